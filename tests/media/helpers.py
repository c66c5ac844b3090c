"""Loopback HTTP servers that count TCP connections, and a resolver with fixed answers."""

from __future__ import annotations

import asyncio
import contextlib
import socket
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field

from aiohttp.abc import AbstractResolver, ResolveResult

# (path and query) -> raw HTTP response bytes, written as-is; the handler may also stream.
Handler = Callable[[str, asyncio.StreamWriter], Awaitable[None]]


async def say_ok(_: str, writer: asyncio.StreamWriter) -> None:
    writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok")


def redirect_to(location: str) -> Handler:
    async def handle(_: str, writer: asyncio.StreamWriter) -> None:
        writer.write(
            f"HTTP/1.1 302 Found\r\nLocation: {location}\r\nContent-Length: 0\r\n"
            "Connection: close\r\n\r\n".encode()
        )

    return handle


@dataclass
class CountingServer:
    """A minimal HTTP/1.1 server on one loopback address; `connections` counts TCP accepts,
    so a test can assert that a refused address was never even connected to."""

    host: str
    handler: Handler = say_ok
    connections: int = 0
    port: int = 0
    _server: asyncio.Server | None = field(default=None, repr=False)

    @property
    def url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}/"

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._serve, self.host, 0)
        self.port = self._server.sockets[0].getsockname()[1]

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        try:
            head = await reader.readuntil(b"\r\n\r\n")
            target = head.split(b" ", 2)[1].decode()
            await self.handler(target, writer)
            await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()
            with contextlib.suppress(ConnectionError):
                await writer.wait_closed()


@contextlib.asynccontextmanager
async def counting_server(host: str, handler: Handler = say_ok) -> AsyncIterator[CountingServer]:
    server = CountingServer(host, handler)
    await server.start()
    try:
        yield server
    finally:
        await server.stop()


def ipv6_loopback_available() -> bool:
    try:
        with socket.socket(socket.AF_INET6) as s:
            s.bind(("::1", 0))
        return True
    except OSError:
        return False


class FixedResolver(AbstractResolver):
    """Answers names from a table, as a DNS server under an attacker's control could.

    `answers` maps a name to the address lists of successive lookups (the last repeats);
    `lookups` counts lookups per name.
    """

    def __init__(self, answers: dict[str, list[list[str]]]) -> None:
        self._answers = answers
        self.lookups: dict[str, int] = {}

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        n = self.lookups.get(host, 0)
        self.lookups[host] = n + 1
        rounds = self._answers.get(host)
        if rounds is None:
            raise OSError(f"no such name: {host}")
        addresses = rounds[min(n, len(rounds) - 1)]
        return [
            ResolveResult(
                hostname=host,
                host=address,
                port=port,
                family=socket.AF_INET6 if ":" in address else socket.AF_INET,
                proto=0,
                flags=socket.AI_NUMERICHOST,
            )
            for address in addresses
        ]

    async def close(self) -> None:
        pass
