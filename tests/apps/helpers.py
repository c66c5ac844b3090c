"""What the App tests share: an App with its key, a simulator number of an App, socket
clients with an App key."""

import contextlib
import urllib.parse
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

from websockets.asyncio.client import connect

from tests.conftest import RunningGateway
from tests.socket.conftest import WsClient
from wahooks.demo.registration import number_registration
from wahooks.sim import SimSettings, Simulator


@dataclass
class AppHandle:
    """An App of the gateway's tenant, calling with its own key."""

    gateway: RunningGateway
    id: str
    key: str
    slug: str
    socket_destination_id: str

    async def api(self, method: str, path: str, json: Any = None, **kw: Any) -> tuple[int, Any]:
        headers = {"Authorization": f"Bearer {self.key}", **kw.pop("headers", {})}
        return await self.gateway.api(method, path, json, headers=headers, **kw)

    def ws_url(self, **params: str) -> str:
        query = urllib.parse.urlencode({"apiKey": self.key, **params})
        return self.gateway.url.replace("http://", "ws://") + "/ws?" + query

    async def socket(self, **params: str) -> WsClient:
        client = WsClient(await connect(self.ws_url(**params)))
        client.welcome = await client.next("connected")
        return client


async def create_app(
    gateway: RunningGateway, name: str = "Support bot", slug: str | None = None
) -> AppHandle:
    slug = slug or "bot-" + uuid.uuid4().hex[:10]
    status, body = await gateway.api("POST", "/v1/apps", {"name": name, "slug": slug})
    assert status == 201, body
    return AppHandle(gateway, body["id"], body["apiKey"], slug, body["socketDestinationId"])


@contextlib.asynccontextmanager
async def app_sim(app: AppHandle, **settings: Any) -> AsyncIterator[Simulator]:
    """A simulator whose number is registered as one of ``app``'s (with the App's key); its
    id on the gateway is ``sim.number_id``."""
    values: dict[str, Any] = {
        "gateway_url": app.gateway.ingress_url,
        "phone_number_id": str(10**14 + uuid.uuid4().int % 10**13),
        "waba_id": str(2 * 10**14 + uuid.uuid4().int % 10**13),
        "status_delays_s": (0.01, 0.02, 0.03),
        **settings,
    }
    async with Simulator(SimSettings(**values)) as simulator:
        status, body = await app.api("POST", "/v1/numbers", number_registration(simulator))
        assert status == 201, body
        assert body["appId"] == app.id
        simulator.number_id = body["id"]  # type: ignore[attr-defined]
        yield simulator


def number_id(sim: Simulator) -> str:
    return sim.number_id  # type: ignore[attr-defined,no-any-return]


async def app_webhook(app: AppHandle, url: str, **fields: Any) -> dict[str, Any]:
    """A webhook destination of the App, created with the App's key."""
    status, body = await app.api("POST", "/v1/destinations", {"url": url, **fields})
    assert status == 201, body
    assert body["appId"] == app.id
    return body  # type: ignore[no-any-return]
