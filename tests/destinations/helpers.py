"""What the destination tests share: a clock that can jump, reading destinations and
deliveries through the API, sending batches through the simulator, a receiver that counts
concurrent requests."""

import asyncio
import time
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from tests.conftest import RunningGateway, eventually
from wahooks.models import Destination
from wahooks.sim import Simulator


class JumpingClock:
    """The gateway's clock: real time plus an offset a test moves forward (an hour in a
    moment), so time-based rules are tested without sleeping."""

    def __init__(self) -> None:
        self.offset = 0.0

    def __call__(self) -> float:
        return time.time() + self.offset

    def jump(self, seconds: float) -> None:
        self.offset += seconds


async def destination(gateway: RunningGateway, destination_id: str) -> Any:
    status, body = await gateway.api("GET", f"/v1/destinations/{destination_id}")
    assert status == 200, body
    return body


async def deliveries(gateway: RunningGateway, **filters: str) -> list[Any]:
    query = "&".join(f"{k}={v}" for k, v in filters.items())
    status, body = await gateway.api("GET", "/v1/deliveries" + (f"?{query}" if query else ""))
    assert status == 200, body
    return list(body["data"])


async def delivery(gateway: RunningGateway, delivery_id: str) -> Any:
    status, body = await gateway.api("GET", f"/v1/deliveries/{delivery_id}")
    assert status == 200, body
    return body


async def wait_destination(gateway: RunningGateway, destination_id: str, **wanted: Any) -> Any:
    async def check() -> Any:
        body = await destination(gateway, destination_id)
        return body if all(body[k] == v for k, v in wanted.items()) else None

    return await eventually(check)


async def send_many(sim: Simulator, n: int, prefix: str = "1555300") -> list[str]:
    """``n`` text messages from ``n`` different users (so no ordering holds them up), in one
    POST to the ingress; returns their wamids."""
    users = [sim.user(f"{prefix}{i:04d}", f"User {i}") for i in range(n)]
    sent = await sim.send_batch(
        [(u, "text", {"body": f"message {i}"}) for i, u in enumerate(users)]
    )
    assert sent.ok
    return sent.wamids


@dataclass
class ConcurrencyReceiver:
    """A webhook receiver that holds each request ``delay_s`` and records how many it held
    at once."""

    delay_s: float = 0.3
    current: int = 0
    peak: int = 0
    bodies: list[bytes] = field(default_factory=list)
    _runner: web.AppRunner | None = None
    url: str = ""

    async def start(self) -> None:
        app = web.Application()
        app.router.add_post("/hook", self._handle)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self.url = f"http://127.0.0.1:{port}/hook"

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    async def _handle(self, request: web.Request) -> web.Response:
        body = await request.read()
        self.current += 1
        self.peak = max(self.peak, self.current)
        try:
            await asyncio.sleep(self.delay_s)
        finally:
            self.current -= 1
        self.bodies.append(body)
        return web.json_response({"ok": True})


def dst(destination_id: str = "dst_a", **options: object) -> Destination:
    """A Destination as the store returns one, for tests without a database."""
    fields: dict[str, object] = {"retry_schedule": (0,), **options}
    return Destination(
        id=destination_id,
        tenant_id="ten_1",
        number_id=None,
        url="http://127.0.0.1:9/hook",
        secret="s" * 16,
        label=None,
        format="pipes",
        timeout_s=10,
        enabled=True,
        disabled_reason=None,
        created_at=0,
        **fields,  # type: ignore[arg-type]
    )
