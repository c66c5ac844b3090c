"""Injected media failures: transient Graph errors on metadata or download, a cut download."""

from __future__ import annotations

from typing import Any

import aiohttp
import pytest

from wahooks.sim import Simulator

from .helpers import AUTH


async def media_id(sim: Simulator) -> str:
    media: str = sim.build_message(sim.user("15551230001", "Jane"), "video", size=100_000)["video"][
        "id"
    ]
    return media


async def metadata(
    http: aiohttp.ClientSession, sim: Simulator, node: str
) -> tuple[int, dict[str, Any]]:
    async with http.get(f"{sim.graph_base_url}/{node}", headers=AUTH) as r:
        return r.status, await r.json()


async def test_metadata_failures_then_normal(sim: Simulator, http: aiohttp.ClientSession) -> None:
    node = await media_id(sim)
    sim.fail_next_media(2, 503)
    for _ in range(2):
        status, body = await metadata(http, sim, node)
        assert status == 503 and body["error"]["code"] == 2 and body["error"]["fbtrace_id"]
    status, body = await metadata(http, sim, node)
    assert status == 200 and body["id"] == node


async def test_rate_limit_looks_like_metas(sim: Simulator, http: aiohttp.ClientSession) -> None:
    sim.fail_next_media(1, 429)
    status, body = await metadata(http, sim, await media_id(sim))
    assert status == 429 and body["error"]["code"] == 4


async def test_download_failure_leaves_metadata_alone(
    sim: Simulator, http: aiohttp.ClientSession
) -> None:
    node = await media_id(sim)
    sim.fail_next_media(1, 500, on="download")
    status, meta = await metadata(http, sim, node)
    assert status == 200
    async with http.get(meta["url"], headers=AUTH) as r:
        assert r.status == 500
    async with http.get(meta["url"], headers=AUTH) as r:
        assert r.status == 200 and len(await r.read()) == 100_000


async def test_cut_download(sim: Simulator, http: aiohttp.ClientSession) -> None:
    node = await media_id(sim)
    sim.fail_next_media(1, on="cut")
    _, meta = await metadata(http, sim, node)
    async with http.get(meta["url"], headers=AUTH) as r:
        assert r.status == 200 and r.content_length == 100_000
        with pytest.raises(aiohttp.ClientPayloadError):
            await r.read()
    async with http.get(meta["url"], headers=AUTH) as r:
        assert len(await r.read()) == 100_000


async def test_control_route(sim: Simulator, http: aiohttp.ClientSession) -> None:
    node = await media_id(sim)
    async with http.post(
        f"{sim.base_url}/_sim/fail-media", json={"count": 1, "httpStatus": 502}
    ) as r:
        assert r.status == 200 and await r.json() == {"pending": 1}
    assert (await metadata(http, sim, node))[0] == 502
    async with http.post(f"{sim.base_url}/_sim/fail-media", json={"on": "sideways"}) as r:
        assert r.status == 400
    assert (await metadata(http, sim, node))[0] == 200
