"""The WABA's message templates in Meta's format: list with paging and filters, create
(checked as Meta does, PENDING), auth and unknown accounts."""

from __future__ import annotations

from typing import Any

import aiohttp

from wahooks.sim import Simulator

from .helpers import AUTH


async def call(
    http: aiohttp.ClientSession,
    sim: Simulator,
    method: str,
    json: Any = None,
    *,
    query: str = "",
    waba: str | None = None,
    headers: Any = AUTH,
) -> tuple[int, dict[str, Any]]:
    url = f"{sim.graph_base_url}/{waba or sim.settings.waba_id}/message_templates{query}"
    async with http.request(method, url, json=json, headers=headers) as r:
        return r.status, await r.json()


async def test_list_pages_with_metas_cursors(sim: Simulator, http: aiohttp.ClientSession) -> None:
    for i in range(5):
        sim.templates.add(f"t_{i}", status="APPROVED" if i % 2 == 0 else "PENDING")
    status, page = await call(http, sim, "GET", query="?limit=2")
    assert status == 200 and [t["name"] for t in page["data"]] == ["t_0", "t_1"]
    assert set(page["paging"]["cursors"]) == {"before", "after"} and "next" in page["paging"]
    async with http.get(page["paging"]["next"], headers=AUTH) as r:
        second = await r.json()
    assert [t["name"] for t in second["data"]] == ["t_2", "t_3"]
    status, page = await call(http, sim, "GET", query="?status=APPROVED")
    assert [t["name"] for t in page["data"]] == ["t_0", "t_2", "t_4"]
    status, page = await call(http, sim, "GET", query="?name=t_3")
    assert [t["name"] for t in page["data"]] == ["t_3"]
    status, page = await call(http, sim, "GET", query="?limit=abc")
    assert status == 400 and page["error"]["code"] == 100


async def test_create_is_checked_and_pending(sim: Simulator, http: aiohttp.ClientSession) -> None:
    template = {
        "name": "hello",
        "category": "MARKETING",
        "language": "en_US",
        "components": [{"type": "BODY", "text": "Hi {{1}}"}],
    }
    status, body = await call(http, sim, "POST", template)
    assert status == 200 and body["status"] == "PENDING" and body["category"] == "MARKETING"
    assert body["id"].isdigit()
    status, body = await call(http, sim, "POST", template)  # same name and language
    assert status == 400 and body["error"]["error_subcode"] == 2388024
    for broken in (
        {**template, "name": "Hello"},
        {**template, "category": "OTHER"},
        {**template, "components": [{"type": "FOOTER", "text": "x"}]},
        {**template, "language": None},
    ):
        status, body = await call(http, sim, "POST", broken)
        assert status == 400 and body["error"]["code"] == 100, broken
    assert sim.templates.review("hello", "REJECTED") == 1
    status, page = await call(http, sim, "GET")
    assert [t["status"] for t in page["data"]] == ["REJECTED"]


async def test_templates_need_the_token_and_the_right_account(
    sim: Simulator, http: aiohttp.ClientSession
) -> None:
    status, body = await call(http, sim, "GET", headers={})
    assert status == 401 and body["error"]["code"] == 190
    status, body = await call(http, sim, "GET", waba="999")
    assert status == 400 and body["error"]["error_subcode"] == 33
