"""A sample receiving app: what a customer's webhook endpoint does, done right.

It verifies all three signatures on the raw body before reading it, remembers every
arrival (time, headers, body, verdict), and can be told to fail (status codes to answer,
or a delay) so tests and benchmarks can watch retries. Used by the demo, the tests and
bench/e2e.py.
"""

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import orjson
from aiohttp import web

from wahooks.delivery.signing import standard_key
from wahooks.digests import HUB_PREFIX, hmac_sha256_b64, hmac_sha256_hex, same

MAX_TIMESTAMP_SKEW_S = 300  # Standard Webhooks: refuse timestamps over 5 minutes off


@dataclass(frozen=True, slots=True)
class Arrival:
    received_at: float  # time.time()
    headers: dict[str, str]
    body: bytes
    verified: bool
    answered: int

    def json(self) -> Any:
        return orjson.loads(self.body)

    @property
    def webhook_id(self) -> str:
        return self.headers.get("webhook-id", "")


def verify(secret: str, headers: dict[str, str], body: bytes, now: float) -> bool:
    """All three signatures must match, and the timestamp must be fresh."""
    body_hex = hmac_sha256_hex(secret, body)
    if not same(headers.get("x-pipes-signature", ""), body_hex):
        return False
    if not same(headers.get("x-hub-signature-256", ""), HUB_PREFIX + body_hex):
        return False
    webhook_id = headers.get("webhook-id", "")
    timestamp = headers.get("webhook-timestamp", "")
    if not timestamp.isdigit() or abs(now - int(timestamp)) > MAX_TIMESTAMP_SKEW_S:
        return False
    signed = f"{webhook_id}.{timestamp}.".encode() + body
    expected = hmac_sha256_b64(standard_key(secret), signed)
    offered = [s.split(",", 1)[1] for s in headers.get("webhook-signature", "").split() if "," in s]
    return any(same(expected, sig) for sig in offered)


@dataclass
class Receiver:
    """Answers 200 to verified POSTs, 401 to unverified ones; ``fail_with`` overrides."""

    secret: str | None = None
    host: str = "127.0.0.1"
    port: int = 0
    record_bodies: bool = True
    arrivals: list[Arrival] = field(default_factory=list)
    # Status codes to answer next, one per request, before going back to normal.
    fail_with: list[int] = field(default_factory=list)
    # When set, every request is answered with this status (e.g. 500 while "down").
    always: int | None = None
    delay_s: float = 0.0
    # Decides one request's status from its (lower-cased) headers and body; None: as usual.
    status_for: Callable[[dict[str, str], bytes], int | None] | None = None
    # What every answer carries (tests: big or binary bodies, Retry-After, Location).
    response_body: bytes = b'{"ok":true}'
    response_headers: dict[str, str] = field(default_factory=dict)
    on_arrival: Callable[[Arrival], None] | None = None
    count: int = 0
    _runner: web.AppRunner | None = None
    _changed: asyncio.Event = field(default_factory=asyncio.Event)

    async def start(self) -> str:
        app = web.Application(client_max_size=64 * 1024 * 1024)
        app.router.add_post("/{tail:.*}", self._handle)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, self.port)
        await site.start()
        server = site._server
        assert server is not None
        self.port = server.sockets[0].getsockname()[1]  # type: ignore[attr-defined]
        return self.url

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}/webhook"

    async def _handle(self, request: web.Request) -> web.Response:
        body = await request.read()
        now = time.time()
        headers = {k.lower(): v for k, v in request.headers.items()}
        verified = self.secret is not None and verify(self.secret, headers, body, now)
        if self.delay_s:
            await asyncio.sleep(self.delay_s)
        decided = None if self.status_for is None else self.status_for(headers, body)
        if decided is not None:
            status = decided
        elif self.fail_with:
            status = self.fail_with.pop(0)
        elif self.always is not None:
            status = self.always
        else:
            status = 200 if verified or self.secret is None else 401
        arrival = Arrival(now, headers, body, verified, status)
        self.count += 1
        if self.on_arrival is not None:
            self.on_arrival(arrival)
        if not self.record_bodies:  # long runs (benchmarks) keep only the verdicts
            arrival = Arrival(now, {}, b"", verified, status)
        self.arrivals.append(arrival)
        self._changed.set()
        return web.Response(
            status=status,
            body=self.response_body,
            headers=self.response_headers,
            content_type="application/json",
        )

    def accepted(self) -> list[Arrival]:
        return [a for a in self.arrivals if 200 <= a.answered <= 299]

    async def wait_for(
        self, predicate: Callable[["Receiver"], bool], timeout: float = 10.0
    ) -> None:
        """Wait until ``predicate(self)`` holds; TimeoutError after ``timeout`` seconds."""
        async with asyncio.timeout(timeout):
            while not predicate(self):
                self._changed.clear()
                await self._changed.wait()
