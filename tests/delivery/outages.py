"""Brokers a test may stop and start again without touching the machine's shared ones (other
tests use those in parallel): a private ``redis-server`` and ``nats-server`` on a free
127.0.0.1 port, killed and restarted on the same port with their data kept; and, for
RabbitMQ (too heavy to run privately), a TCP proxy on 127.0.0.1 in front of the shared one,
which the test cuts (closing every live connection) and restores."""

import asyncio
import contextlib
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from tests.moto_servers import free_port


def wait_listening(port: int, process: subprocess.Popen[bytes] | None, what: str) -> None:
    deadline = time.monotonic() + 20
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            if (process is not None and process.poll() is not None) or time.monotonic() > deadline:
                pytest.fail(f"{what} did not start on 127.0.0.1:{port}")
            time.sleep(0.05)


class BrokerProcess:
    """A broker binary on its own port and data directory. ``kill`` is a crash (SIGKILL):
    what it confirmed must be on disk already; ``start`` brings it back on the same port."""

    def __init__(self, name: str, data: Path) -> None:
        binary = shutil.which(name)
        if binary is None:  # fail, never skip: .ci/run's machine has both
            pytest.fail(f"{name} is not installed")
        self.binary = binary
        self.name = name
        self.data = data
        self.port = free_port()
        self._process: subprocess.Popen[bytes] | None = None

    def command(self) -> list[str]:
        raise NotImplementedError

    def start(self) -> None:
        self._process = subprocess.Popen(
            self.command(), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        wait_listening(self.port, self._process, self.name)

    def kill(self) -> None:
        if self._process is not None:
            self._process.send_signal(signal.SIGKILL)
            self._process.wait(timeout=10)
            self._process = None


class RedisProcess(BrokerProcess):
    def __init__(self, data: Path) -> None:
        super().__init__("redis-server", data)

    def command(self) -> list[str]:
        # No RDB dumps; an append-only file synced on every write, so an XADD Redis
        # answered survives the kill (as a durable production Redis would keep it).
        return [
            self.binary,
            "--port", str(self.port),
            "--bind", "127.0.0.1",
            "--save", "",
            "--appendonly", "yes",
            "--appendfsync", "always",
            "--dir", str(self.data),
        ]  # fmt: skip


class NatsProcess(BrokerProcess):
    def __init__(self, data: Path) -> None:
        super().__init__("nats-server", data)

    def command(self) -> list[str]:
        return [self.binary, "-a", "127.0.0.1", "-p", str(self.port), "-js", "-sd", str(self.data)]


@contextlib.contextmanager
def running(broker: BrokerProcess) -> Iterator[BrokerProcess]:
    broker.start()
    try:
        yield broker
    finally:
        broker.kill()


class TcpProxy:
    """127.0.0.1:<port> forwarding every connection to 127.0.0.1:``target``."""

    def __init__(self, target: int) -> None:
        self.target = target
        self.port = free_port()
        self._server: asyncio.Server | None = None
        self._open: set[asyncio.StreamWriter] = set()

    async def start(self) -> None:
        self._server = await asyncio.start_server(
            self._serve, "127.0.0.1", self.port, reuse_address=True
        )

    async def cut(self) -> None:
        """Stop listening and close every live connection (both ends), as a broker that
        went away would."""
        if self._server is not None:
            self._server.close()
            self._server = None
        for writer in list(self._open):
            writer.transport.abort()
        self._open.clear()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            up_reader, up_writer = await asyncio.open_connection("127.0.0.1", self.target)
        except OSError:
            writer.transport.abort()
            return
        self._open |= {writer, up_writer}
        await asyncio.gather(
            self._pipe(reader, up_writer), self._pipe(up_reader, writer), return_exceptions=True
        )

    async def _pipe(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while data := await reader.read(65536):
                writer.write(data)
                await writer.drain()
        finally:
            self._open.discard(writer)
            writer.transport.abort()


@contextlib.asynccontextmanager
async def proxy(target: int) -> AsyncIterator[TcpProxy]:
    p = TcpProxy(target)
    await p.start()
    try:
        yield p
    finally:
        await p.cut()
