"""A WebSocket client written with the independent ``websockets`` package, as a customer's
Pipes.bot client would connect, plus fixtures for a tenant with a socket destination."""

import asyncio
import contextlib
import urllib.parse
import uuid
from collections.abc import AsyncIterator
from typing import Any

import orjson
import pytest
from websockets.asyncio.client import ClientConnection, connect

from tests.conftest import RunningGateway, register_body, running_gateway
from wahooks.sim import SimSettings, Simulator


def ws_url(gateway: RunningGateway, **params: str) -> str:
    query = urllib.parse.urlencode({"apiKey": gateway.api_key, **params})
    return gateway.url.replace("http://", "ws://") + "/ws?" + query


class WsClient:
    def __init__(self, ws: ClientConnection) -> None:
        self.ws = ws
        self.welcome: dict[str, Any] = {}

    @classmethod
    async def open(cls, gateway: RunningGateway, **params: str) -> "WsClient":
        client = cls(await connect(ws_url(gateway, **params)))
        client.welcome = await client.next("connected")
        return client

    async def next(self, kind: str | None = None, timeout: float = 10.0) -> dict[str, Any]:
        """The next frame (of ``kind``, skipping others)."""
        async with asyncio.timeout(timeout):
            while True:
                frame: dict[str, Any] = orjson.loads(await self.ws.recv())
                if kind is None or frame["type"] == kind:
                    return frame

    async def messages(self, n: int, timeout: float = 10.0) -> list[dict[str, Any]]:
        return [(await self.next("whatsapp_message", timeout))["data"] for _ in range(n)]

    async def nothing_for(self, seconds: float) -> None:
        """Fails if any frame arrives within ``seconds``."""
        try:
            async with asyncio.timeout(seconds):
                frame = await self.ws.recv()
        except TimeoutError:
            return
        raise AssertionError(f"unexpected frame {frame!r}")

    async def send(self, kind: str, data: dict[str, Any]) -> None:
        await self.ws.send(orjson.dumps({"type": kind, "data": data}).decode())

    async def ack(self, *delivery_ids: str) -> None:
        for delivery_id in delivery_ids:
            await self.ws.send(orjson.dumps({"type": "ack", "deliveryId": delivery_id}).decode())

    async def close(self) -> None:
        await self.ws.close()


async def socket_destination(gateway: RunningGateway, **fields: Any) -> dict[str, Any]:
    status, body = await gateway.api("POST", "/v1/destinations", {"method": "socket", **fields})
    assert status == 201, body
    return body  # type: ignore[no-any-return]


@pytest.fixture
async def clients() -> AsyncIterator[list[WsClient]]:
    """Clients opened by a test, closed after it."""
    opened: list[WsClient] = []
    yield opened
    for client in opened:
        await client.close()


@contextlib.asynccontextmanager
async def gateway_with_sim(
    database_url: str, **settings: Any
) -> AsyncIterator[tuple[RunningGateway, Simulator]]:
    """A gateway with its own settings, a registered simulator number, and a socket
    destination: for tests that need settings the shared fixtures do not have."""
    async with running_gateway(database_url, **settings) as gateway:
        sim_settings = SimSettings(
            gateway_url=gateway.ingress_url,
            phone_number_id=str(10**14 + uuid.uuid4().int % 10**13),
            status_delays_s=(0.01, 0.02, 0.03),
        )
        async with Simulator(sim_settings) as sim:
            status, body = await gateway.api("POST", "/v1/numbers", register_body(sim))
            assert status == 201, body
            sim.number_id = body["id"]  # type: ignore[attr-defined]
            yield gateway, sim
