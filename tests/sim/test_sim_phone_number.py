"""The phone-number node the gateway's health check reads, and the controls that break it:
an invalidated (expired) token and transient failures, in Graph's wire format."""

from __future__ import annotations

import aiohttp

from wahooks.sim import Simulator

from .helpers import AUTH

FIELDS = "display_phone_number,verified_name,quality_rating"


async def _read(http: aiohttp.ClientSession, sim: Simulator) -> tuple[int, dict[str, object]]:
    url = f"{sim.graph_base_url}/{sim.settings.phone_number_id}"
    async with http.get(url, params={"fields": FIELDS}, headers=AUTH) as r:
        return r.status, await r.json()


async def test_the_node_answers_the_fields_asked_for(
    sim: Simulator, http: aiohttp.ClientSession
) -> None:
    status, body = await _read(http, sim)
    assert status == 200
    assert body == {
        "display_phone_number": "+" + sim.settings.display_phone_number,
        "verified_name": "Wahooks Simulator",
        "quality_rating": "GREEN",
        "id": sim.settings.phone_number_id,
    }


async def test_an_invalidated_token_answers_oauth_190_everywhere_until_valid_again(
    sim: Simulator, http: aiohttp.ClientSession
) -> None:
    async with http.post(f"{sim.base_url}/_sim/token", json={"valid": False}) as r:
        assert r.status == 200 and await r.json() == {"valid": False}
    status, body = await _read(http, sim)
    assert status == 401
    error = body["error"]
    assert isinstance(error, dict)
    assert error["code"] == 190 and error["type"] == "OAuthException"
    assert error["error_subcode"] == 463 and "expired" in error["message"]
    url = f"{sim.graph_base_url}/{sim.settings.phone_number_id}/messages"
    async with http.post(url, json={}, headers=AUTH) as r:
        assert r.status == 401
    sim.set_token_valid(True)
    assert (await _read(http, sim))[0] == 200
    async with http.post(f"{sim.base_url}/_sim/token", json={"valid": "maybe"}) as r:
        assert r.status == 400


async def test_injected_failures_of_the_node(sim: Simulator, http: aiohttp.ClientSession) -> None:
    async with http.post(
        f"{sim.base_url}/_sim/fail-number-reads", json={"count": 2, "httpStatus": 503}
    ) as r:
        assert r.status == 200 and await r.json() == {"pending": 2}
    for _ in range(2):
        status, body = await _read(http, sim)
        assert status == 503 and body["error"]["code"] == 2  # type: ignore[index]
    sim.fail_next_number_reads(1, 429)
    status, body = await _read(http, sim)
    assert status == 429 and body["error"]["code"] == 4  # type: ignore[index]
    assert (await _read(http, sim))[0] == 200
    async with http.post(f"{sim.base_url}/_sim/fail-number-reads", json={"count": 0}) as r:
        assert r.status == 400


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def _get(
    http: aiohttp.ClientSession, url: str, token: str, **params: str
) -> tuple[int, dict[str, object]]:
    async with http.get(url, params=params, headers=_bearer(token)) as r:
        return r.status, await r.json()


def _no_such_object(status: int, body: dict[str, object], node: str) -> None:
    """Meta's answer to a node the token may not read, whether it exists or not."""
    assert status == 400, body
    error = body["error"]
    assert isinstance(error, dict)
    assert error["code"] == 100 and error["error_subcode"] == 33, error
    assert error["type"] == "GraphMethodException" and node in error["message"], error
    assert isinstance(error["fbtrace_id"], str)


async def test_the_waba_lists_its_numbers_to_its_token_only(
    sim: Simulator, http: aiohttp.ClientSession
) -> None:
    s = sim.settings
    sim.add_number("100000000000777", waba_id=s.waba_id, access_token=s.access_token)
    sim.add_number("100000000000888", waba_id="200000000000999", access_token="other-token")
    url = f"{sim.graph_base_url}/{s.waba_id}/phone_numbers"
    status, body = await _get(http, url, s.access_token, fields="id,display_phone_number")
    assert status == 200, body
    assert body["data"] == [
        {"id": s.phone_number_id, "display_phone_number": "+" + s.display_phone_number},
        {"id": "100000000000777", "display_phone_number": "+15550000001"},
    ]
    paging = body["paging"]
    assert isinstance(paging, dict) and "next" not in paging
    # The other WABA's token reads its own WABA and number, not ours (and the reverse).
    _no_such_object(*await _get(http, url, "other-token"), s.waba_id)
    other_waba = f"{sim.graph_base_url}/200000000000999/phone_numbers"
    _no_such_object(*await _get(http, other_waba, s.access_token), "200000000000999")
    status, body = await _get(http, other_waba, "other-token", fields="id")
    assert status == 200 and body["data"] == [{"id": "100000000000888"}], body
    mine = f"{sim.graph_base_url}/{s.phone_number_id}"
    _no_such_object(*await _get(http, mine, "other-token"), s.phone_number_id)
    theirs = f"{sim.graph_base_url}/100000000000888"
    _no_such_object(*await _get(http, theirs, s.access_token), "100000000000888")
    status, body = await _get(http, theirs, "other-token", fields="id,verified_name")
    assert status == 200 and body == {"id": "100000000000888", "verified_name": "Wahooks Simulator"}
    # The other token cannot send as the simulator's number either.
    async with http.post(f"{mine}/messages", json={}, headers=_bearer("other-token")) as r:
        assert r.status == 400 and (await r.json())["error"]["error_subcode"] == 33
    # A token Meta never issued: OAuth 190, on the node and the edge alike.
    for target in (mine, url):
        status, body = await _get(http, target, "never-issued")
        assert status == 401 and body["error"]["code"] == 190, body  # type: ignore[index]


async def test_the_phone_numbers_edge_pages_with_cursors(
    sim: Simulator, http: aiohttp.ClientSession
) -> None:
    s = sim.settings
    for n in range(4):
        sim.add_number(f"10000000000100{n}", waba_id=s.waba_id, access_token=s.access_token)
    url = f"{sim.graph_base_url}/{s.waba_id}/phone_numbers"
    seen: list[object] = []
    status, body = await _get(http, url, s.access_token, fields="id", limit="2")
    while True:
        assert status == 200, body
        data = body["data"]
        assert isinstance(data, list) and len(data) <= 2
        seen += [item["id"] for item in data]
        paging = body["paging"]
        assert isinstance(paging, dict)
        if "next" not in paging:
            break
        async with http.get(str(paging["next"]), headers=_bearer(s.access_token)) as r:
            status, body = r.status, await r.json()
    assert seen == [s.phone_number_id, *(f"10000000000100{n}" for n in range(4))]


async def test_numbers_are_added_through_the_control_api(
    sim: Simulator, http: aiohttp.ClientSession
) -> None:
    number = {"phoneNumberId": "100000000000555", "wabaId": "200000000000555",
              "accessToken": "tok-555", "verifiedName": "Acme"}  # fmt: skip
    async with http.post(f"{sim.base_url}/_sim/numbers", json=number) as r:
        assert r.status == 200, await r.text()
    status, body = await _get(http, f"{sim.graph_base_url}/100000000000555", "tok-555")
    assert status == 200 and body["verified_name"] == "Acme", body
    async with http.post(f"{sim.base_url}/_sim/numbers", json={"wabaId": "1"}) as r:
        assert r.status == 400
