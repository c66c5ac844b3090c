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
