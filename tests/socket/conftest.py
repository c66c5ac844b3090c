"""A WebSocket client written with the independent ``websockets`` package, as a customer's
Pipes.bot client would connect, plus fixtures for a tenant with a socket destination."""

import asyncio
import urllib.parse
from collections.abc import AsyncIterator
from typing import Any

import orjson
import pytest
from websockets.asyncio.client import ClientConnection, connect

from tests.conftest import RunningGateway, gateway_with_sim


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


__all__ = ["WsClient", "gateway_with_sim", "socket_destination", "ws_url"]
