"""A stand-in for the gateway's ingress, fixture loading, a settable clock."""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from aiohttp import web

from wahooks.sim import SimSettings

# Real Meta payloads from pywa's MIT-licensed test data (LICENSE.pywa beside them).
FIXTURES = Path(__file__).resolve().parent / "fixtures"
APP_SECRET = "test-app-secret-abcdef"
ACCESS_TOKEN = "test-access-token"
VERIFY_TOKEN = "test-verify-token"
WAIT_S = 5.0


def load_fixture(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((FIXTURES / name).read_text())
    return data


@dataclass
class Post:
    body: bytes
    headers: dict[str, str]

    def json(self) -> Any:
        return json.loads(self.body)


class Receiver:
    """Records every POST (raw body, headers) and answers `status`; answers the GET handshake."""

    def __init__(self) -> None:
        self.posts: list[Post] = []
        self._arrived = asyncio.Condition()
        self.status = 200
        self.verify_token = VERIFY_TOKEN
        self._runner: web.AppRunner | None = None
        self.url = ""

    async def start(self) -> None:
        app = web.Application()
        app.router.add_post("/ingress/meta", self._post)
        app.router.add_get("/ingress/meta", self._get)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = self._runner.addresses[0][1]
        self.url = f"http://127.0.0.1:{port}/ingress/meta"

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    async def _post(self, request: web.Request) -> web.Response:
        self.posts.append(Post(await request.read(), dict(request.headers)))
        async with self._arrived:
            self._arrived.notify_all()
        return web.Response(status=self.status, text="ok")

    async def _get(self, request: web.Request) -> web.Response:
        q = request.query
        if q.get("hub.mode") == "subscribe" and q.get("hub.verify_token") == self.verify_token:
            return web.Response(text=q.get("hub.challenge", ""))
        return web.Response(status=403)

    async def wait_for(self, count: int) -> list[Post]:
        """The posts once at least `count` arrived (at most WAIT_S seconds)."""
        async with asyncio.timeout(WAIT_S), self._arrived:
            await self._arrived.wait_for(lambda: len(self.posts) >= count)
        return self.posts

    def statuses(self) -> list[dict[str, Any]]:
        """Every status item received so far, in arrival order."""
        out = []
        for post in self.posts:
            for entry in post.json()["entry"]:
                for change in entry["changes"]:
                    out.extend(change["value"].get("statuses", []))
        return out


class FakeClock:
    def __init__(self, now: float = 1_700_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def make_settings(receiver: Receiver, **overrides: Any) -> SimSettings:
    values: dict[str, Any] = {
        "gateway_url": receiver.url,
        "app_secret": APP_SECRET,
        "access_token": ACCESS_TOKEN,
        "verify_token": VERIFY_TOKEN,
        "status_delays_s": (0.01, 0.02, 0.03),
    }
    values.update(overrides)
    return SimSettings(**values)


AUTH = {"Authorization": f"Bearer {ACCESS_TOKEN}"}
