"""A real HTTPS file server for media-by-URL sends: TLS from a test CA (trustme) that the
gateway is told to trust, on any loopback address, counting what it was asked for."""

from __future__ import annotations

import asyncio
import ssl
from dataclasses import dataclass, field

import trustme
from aiohttp import web

CHUNK = 64 * 1024


@dataclass
class FileServer:
    ca: trustme.CA
    host: str = "127.0.0.1"
    files: dict[str, tuple[bytes, str]] = field(default_factory=dict)  # name -> (bytes, type)
    hits: list[str] = field(default_factory=list)  # paths requested, in order
    port: int = 0
    # /gated/{name} answers only once this is set (a slow file server, held by the test).
    gate: asyncio.Event = field(default_factory=asyncio.Event)
    _runner: web.AppRunner | None = None

    def add(self, name: str, data: bytes, content_type: str = "application/octet-stream") -> str:
        self.files[name] = (data, content_type)
        return self.url(f"/files/{name}")

    def url(self, path: str) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"https://{host}:{self.port}{path}"

    async def start(self) -> FileServer:
        app = web.Application()
        app.router.add_get("/files/{name}", self._file)
        app.router.add_get("/chunked/{name}", self._chunked)  # no Content-Length
        app.router.add_get("/gated/{name}", self._gated)
        app.router.add_get("/redirect", self._redirect)  # ?to=<url>
        app.router.add_get("/status/{code}", self._status)
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        self.ca.issue_cert("127.0.0.1", "127.0.0.2", "::1", "localhost").configure_cert(context)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, 0, ssl_context=context)
        await site.start()
        assert site._server is not None
        self.port = site._server.sockets[0].getsockname()[1]  # type: ignore[attr-defined]
        return self

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    def _seen(self, request: web.Request) -> None:
        self.hits.append(request.path_qs)

    async def _file(self, request: web.Request) -> web.Response:
        self._seen(request)
        data, content_type = self.files[request.match_info["name"]]
        return web.Response(body=data, headers={"Content-Type": content_type})

    async def _chunked(self, request: web.Request) -> web.StreamResponse:
        self._seen(request)
        data, content_type = self.files[request.match_info["name"]]
        response = web.StreamResponse(headers={"Content-Type": content_type})
        response.enable_chunked_encoding()
        await response.prepare(request)
        for start in range(0, len(data), CHUNK):
            await response.write(data[start : start + CHUNK])
        await response.write_eof()
        return response

    async def _gated(self, request: web.Request) -> web.Response:
        self._seen(request)
        await self.gate.wait()
        data, content_type = self.files[request.match_info["name"]]
        return web.Response(body=data, headers={"Content-Type": content_type})

    async def _redirect(self, request: web.Request) -> web.Response:
        self._seen(request)
        raise web.HTTPFound(request.query["to"])

    async def _status(self, request: web.Request) -> web.Response:
        self._seen(request)
        return web.Response(status=int(request.match_info["code"]), text="no")
