"""The control API under /_sim/ and the `wahooks sim` command glue."""

from __future__ import annotations

import argparse
import asyncio
import json
import signal
import sys
from typing import Any

import aiohttp
import pytest

from wahooks.sim import SimSettings, Simulator
from wahooks.sim.command import add_arguments, settings_from_args

from .helpers import AUTH, Receiver


async def control(
    http: aiohttp.ClientSession, sim: Simulator, body: Any
) -> tuple[int, dict[str, Any]]:
    async with http.post(f"{sim.base_url}/_sim/messages", json=body) as r:
        return r.status, await r.json()


async def test_control_sends_messages(
    sim: Simulator, receiver: Receiver, http: aiohttp.ClientSession
) -> None:
    status, body = await control(
        http, sim, {"from": "15551230001", "name": "Jane", "type": "text", "body": "hey"}
    )
    assert status == 200 and body["gatewayStatus"] == 200 and len(body["wamids"]) == 1
    (post,) = await receiver.wait_for(1)
    value = post.json()["entry"][0]["changes"][0]["value"]
    assert value["messages"][0]["id"] == body["wamids"][0]
    assert value["messages"][0]["text"] == {"body": "hey"}
    assert value["contacts"][0]["profile"] == {"name": "Jane"}

    status, body = await control(
        http, sim, {"from": "15551230001", "type": "image", "count": 3, "batch": True}
    )
    assert status == 200 and len(body["wamids"]) == 3
    posts = await receiver.wait_for(2)
    assert len(posts) == 2
    assert len(posts[1].json()["entry"][0]["changes"][0]["value"]["messages"]) == 3

    status, body = await control(
        http, sim, {"from": "15551230001", "type": "reaction", "count": 2, "duplicate": True}
    )
    assert status == 200 and len(body["wamids"]) == 2
    posts = await receiver.wait_for(6)
    assert posts[2].body == posts[3].body and posts[4].body == posts[5].body


async def test_control_reports_gateway_answer(
    sim: Simulator, receiver: Receiver, http: aiohttp.ClientSession
) -> None:
    receiver.status = 401
    _, body = await control(
        http, sim, {"from": "15551230001", "type": "text", "wrong_signature": True}
    )
    assert body["gatewayStatus"] == 401


async def test_control_rejects_bad_input(sim: Simulator, http: aiohttp.ClientSession) -> None:
    bad: list[Any] = [
        {"type": "text"},
        {"from": "not-a-number", "type": "text"},
        {"from": "1555", "type": "poll"},
        {"from": "1555", "type": "text", "caption": "x"},
        {"from": "1555", "type": "text", "body": 5},
        {"from": "1555", "type": "text", "count": 0},
        {"from": "1555", "type": "text", "layout": "sideways"},
        ["not", "an", "object"],
    ]
    for payload in bad:
        status, body = await control(http, sim, payload)
        assert status == 400, payload
        assert body["error"]["code"] == "invalid_request" and body["error"]["message"]
    async with http.post(f"{sim.base_url}/_sim/messages", data=b"{nope") as r:
        assert r.status == 400


async def test_control_unreachable_gateway(http: aiohttp.ClientSession) -> None:
    async with Simulator(SimSettings(gateway_url="http://127.0.0.1:9/ingress/meta")) as sim:
        status, body = await control(http, sim, {"from": "1555", "type": "text"})
        assert status == 502 and body["error"]["code"] == "gateway_unreachable"


async def test_control_sent_info_and_failures(sim: Simulator, http: aiohttp.ClientSession) -> None:
    async with http.get(f"{sim.base_url}/_sim/info") as r:
        info = await r.json()
    assert info["graph_base_url"] == sim.graph_base_url
    assert info["phone_number_id"] == sim.settings.phone_number_id
    assert info["verify_token"] == sim.settings.verify_token
    assert info["app_secret"] == sim.settings.app_secret

    async with http.post(f"{sim.base_url}/_sim/fail-sends", json={"code": 130429}) as r:
        assert r.status == 200
    send_url = f"{info['graph_base_url']}/{info['phone_number_id']}/messages"
    payload = {"messaging_product": "whatsapp", "to": "1555", "text": {"body": "x"}}
    async with http.post(send_url, json=payload, headers=AUTH) as r:
        assert r.status == 400
    async with http.post(send_url, json=payload, headers=AUTH) as r:
        wamid = (await r.json())["messages"][0]["id"]
    async with http.get(f"{sim.base_url}/_sim/sent") as r:
        sent = await r.json()
    assert [s["wamid"] for s in sent] == [wamid]
    assert sent[0]["payload"] == payload and sent[0]["to"] == "1555"


def test_cli_arguments_cover_every_setting() -> None:
    parser = argparse.ArgumentParser()
    add_arguments(parser)
    defaults = settings_from_args(parser.parse_args([]))
    assert defaults == SimSettings(port=9090)
    help_text = parser.format_help()
    for flag in ("--gateway-url", "--app-secret", "--media-url-ttl", "--status-delays", "--port"):
        assert flag in help_text
    assert "9090" in help_text
    args = parser.parse_args(
        ["--port", "0", "--media-url-ttl", "5", "--status-delays", "0,1", "--no-statuses"]
    )
    custom = settings_from_args(args)
    assert custom.port == 0 and custom.media_url_ttl_s == 5.0
    assert custom.status_delays_s == (0.0, 1.0) and custom.send_statuses is False


@pytest.mark.e2e
async def test_cli_serves_until_sigint(receiver: Receiver) -> None:
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "wahooks.sim",
        "--port",
        "0",
        "--gateway-url",
        receiver.url,
        stdout=asyncio.subprocess.PIPE,
    )
    assert proc.stdout is not None
    try:
        async with asyncio.timeout(20):
            first = (await proc.stdout.readline()).decode()
            base_url = first.split(" on ")[1].split(",")[0]
            async with (
                aiohttp.ClientSession() as http,
                http.post(f"{base_url}/_sim/messages", json={"from": "1555", "type": "text"}) as r,
            ):
                assert (await r.json())["gatewayStatus"] == 200
            await receiver.wait_for(1)
            proc.send_signal(signal.SIGINT)
            rest = (await proc.stdout.read()).decode()
            assert await proc.wait() == 0
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()
    assert "Stopping" in rest
    assert json.loads(receiver.posts[0].body)["object"] == "whatsapp_business_account"


async def test_control_sends_a_user_id_update(
    sim: Simulator, receiver: Receiver, http: aiohttp.ClientSession
) -> None:
    body = {"from": "15551230001", "name": "Jane"}
    async with http.post(f"{sim.base_url}/_sim/user-id-update", json=body) as r:
        assert r.status == 200
        answer = await r.json()
    jane = sim.user("15551230001", "Jane")
    assert answer["previousUserId"] == jane.user_id != answer["userId"]
    assert answer["userId"] == jane.with_new_user_id().user_id
    (post,) = await receiver.wait_for(1)
    change = post.json()["entry"][0]["changes"][0]
    assert change["field"] == "user_id_update"
    (item,) = change["value"]["user_id_update"]
    assert item["wa_id"] == "15551230001"
    assert (item["previous_user_id"], item["user_id"]) == (jane.user_id, answer["userId"])
    async with http.post(f"{sim.base_url}/_sim/user-id-update", json={"from": "x1"}) as r:
        assert r.status == 400
