"""Nothing the gateway writes holds a key, token or secret.

A real `wahooks serve` at INFO (uvicorn logs every socket handshake with its URL) goes
through what an operator's day holds: keys in socket URLs, headers and subprotocols (right,
wrong and revoked), a number registered with its token, app secret and verify token, the
subscription handshake, messages in and out, a failing receiver, a secret rotated. Then
every byte of its stdout and stderr is searched for each of those secrets.
"""

import asyncio
import os
import secrets
import signal
import uuid
from pathlib import Path

import aiohttp
import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import InvalidStatus

from tests.conftest import TEST_SECRET_KEY, register_body
from tests.e2e.gateway_process import GatewayProcess, create_tenant, free_port
from wahooks.demo.receiver import Receiver
from wahooks.media.addresses import LOOPBACK_NETWORKS
from wahooks.sim import SimSettings, Simulator

pytestmark = pytest.mark.e2e


async def _json(http: aiohttp.ClientSession, method: str, url: str, **kw: object) -> object:
    async with http.request(method, url, **kw) as response:  # type: ignore[arg-type]
        body = await response.json()
        assert response.status < 300, (response.status, body)
        return body


async def _refused(url: str, **kw: object) -> None:
    with pytest.raises(InvalidStatus) as refused:
        await connect(url, **kw)  # type: ignore[arg-type]
    assert refused.value.response.status_code == 401


async def test_a_busy_gateway_writes_no_secret(tmp_path: Path) -> None:
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("WAHOOKS_")}
    env.update(
        WAHOOKS_DATABASE_URL=f"sqlite:///{tmp_path}/wahooks.db",
        WAHOOKS_SECRET_KEYS=TEST_SECRET_KEY,
        WAHOOKS_OUTBOUND_ALLOW_NETWORKS=",".join(LOOPBACK_NETWORKS),
        WAHOOKS_MEDIA_URL=f"file://{tmp_path}/media",
        WAHOOKS_PUBLIC_URL=f"http://127.0.0.1:{port}",
        WAHOOKS_LOG_LEVEL="INFO",
        WAHOOKS_DISPATCH_POLL_INTERVAL_S="0.05",
    )
    api_key = await create_tenant(env, tmp_path)
    sim_settings = SimSettings(
        gateway_url=f"http://127.0.0.1:{port}/ingress/meta",
        phone_number_id=str(10**14 + uuid.uuid4().int % 10**13),
        access_token="EAAtok" + secrets.token_urlsafe(24),
        app_secret="appsec" + secrets.token_hex(16),
        verify_token="verify" + secrets.token_hex(12),
    )
    dest_secrets = ["whsec" + secrets.token_hex(16), "whsec" + secrets.token_hex(16)]
    wrong_key = "pk_live_" + "W" * 32
    gateway = GatewayProcess(env, port, tmp_path, tmp_path / "gateway.log")
    receiver = Receiver(always=500)  # failing first: attempts, errors and retries get logged
    await receiver.start()
    revoked_key = ""
    try:
        headers = {"Authorization": f"Bearer {api_key}"}
        async with Simulator(sim_settings) as sim, aiohttp.ClientSession(headers=headers) as http:
            await gateway.start(http)
            base = gateway.url
            await _json(http, "POST", base + "/v1/numbers", json=register_body(sim))
            dest = await _json(
                http,
                "POST",
                base + "/v1/destinations",
                json={
                    "url": receiver.url,
                    "secret": dest_secrets[0],
                    "retrySchedule": [0] + [0.5] * 40,
                },
            )
            assert isinstance(dest, dict)
            await _json(
                http,
                "POST",
                f"{base}/v1/destinations/{dest['id']}/rotate-secret",
                json={"secret": dest_secrets[1]},
            )
            second = await _json(http, "POST", base + "/v1/keys", json={"label": "temp"})
            assert isinstance(second, dict)
            revoked_key = second["key"]
            await _json(http, "DELETE", f"{base}/v1/keys/{second['id']}")
            assert await sim.subscribe()

            ws = base.replace("http://", "ws://") + "/ws"
            async with connect(f"{ws}?apiKey={api_key}") as socket:
                await socket.recv()
            async with connect(ws, additional_headers=headers) as socket:
                await socket.recv()
            async with connect(ws, subprotocols=["wahooks", api_key]) as socket:  # type: ignore[list-item]
                await socket.recv()
            await _refused(f"{ws}?apiKey={wrong_key}")
            await _refused(f"{ws}?apiKey={revoked_key}")
            await _refused(ws, additional_headers={"Authorization": f"Bearer {wrong_key}"})

            for n in range(3):
                await sim.send(sim.user("15550009001", "Log"), "text", body=f"hi {n}")
            await receiver.wait_for(lambda r: len(r.arrivals) >= 2, timeout=20)
            receiver.always = None  # the receiver recovers; the retries succeed
            await receiver.wait_for(lambda r: len(r.accepted()) >= 3, timeout=20)
            conversation = receiver.accepted()[0].json()["pipes"]["conversationId"]
            await _json(
                http,
                "POST",
                base + "/v1/messages/send",
                json={"conversationId": conversation, "text": "an answer"},
            )
            async with http.get(base + "/v1/numbers", headers={"Authorization": "Bearer x"}):
                pass
    finally:
        if gateway.proc is not None and gateway.proc.returncode is None:
            gateway.proc.send_signal(signal.SIGTERM)
            async with asyncio.timeout(30):
                await gateway.proc.wait()
        await gateway.reap()
        await receiver.stop()
    written = gateway.log_path.read_text(errors="replace")
    assert "WebSocket" in written  # the handshakes were logged: the search below means something
    found = {
        name: value
        for name, value in {
            "tenant key": api_key,
            "revoked key": revoked_key,
            "wrong key": wrong_key,
            "access token": sim_settings.access_token,
            "app secret": sim_settings.app_secret,
            "verify token": sim_settings.verify_token,
            "destination secret": dest_secrets[0],
            "rotated secret": dest_secrets[1],
            "secret key": TEST_SECRET_KEY,
        }.items()
        if value and value in written
    }
    assert not found, f"secrets in the gateway's output: {sorted(found)}"
