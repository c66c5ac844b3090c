"""What every benchmark needs: free ports, a fresh database, a `wahooks serve` subprocess.

The gateway runs in its own process so its event loop is not shared with the load
generator; everything stays on 127.0.0.1.
"""

import asyncio
import contextlib
import multiprocessing
import os
import socket
import subprocess
import sys
import tempfile
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from typing import Any

import aiohttp
import asyncpg

from wahooks.media.addresses import LOOPBACK_NETWORKS
from wahooks.secrets import Keyring

# One key per benchmark run, shared by its gateway processes (PostgreSQL requires one).
BENCH_SECRET_KEY = Keyring.generate_key()


# Where the benchmarks make their PostgreSQL databases (--postgres-url), as the tests do.
POSTGRES_URL = os.environ.get(
    "WAHOOKS_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1/postgres"
)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def wait_http(url: str, timeout: float = 30) -> None:
    """Until ``url`` answers anything below 500."""
    async with asyncio.timeout(timeout), aiohttp.ClientSession() as http:
        while True:
            with contextlib.suppress(aiohttp.ClientError):
                async with http.get(url) as r:
                    if r.status < 500:
                        return
            await asyncio.sleep(0.05)


@contextlib.asynccontextmanager
async def database(kind: str, postgres_url: str, tmp: Path) -> AsyncIterator[str]:
    """A fresh SQLite file, or a fresh PostgreSQL database dropped afterwards."""
    if kind == "sqlite":
        yield f"sqlite:///{tmp}/bench-{uuid.uuid4().hex[:8]}.db"
        return
    name = "wahooks_bench_" + uuid.uuid4().hex[:8]
    admin = await asyncpg.connect(postgres_url)
    await admin.execute(f'CREATE DATABASE "{name}"')
    await admin.close()
    try:
        yield postgres_url.rsplit("/", 1)[0] + "/" + name
    finally:
        admin = await asyncpg.connect(postgres_url)
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()


def gateway_env(database_url: str, **settings: str) -> dict[str, str]:
    """The environment of a benchmark gateway: quiet, media in a temporary folder, and
    outbound connections allowed to loopback (the simulator and receivers run here)."""
    return {
        **os.environ,
        "WAHOOKS_DATABASE_URL": database_url,
        "WAHOOKS_SECRET_KEYS": BENCH_SECRET_KEY,
        "WAHOOKS_LOG_LEVEL": "WARNING",
        "WAHOOKS_MEDIA_URL": f"file://{tempfile.mkdtemp(prefix='wahooks-bench-media-')}",
        "WAHOOKS_OUTBOUND_ALLOW_NETWORKS": ",".join(LOOPBACK_NETWORKS),
        **settings,
    }


def create_tenant(env: dict[str, str]) -> str:
    """A tenant through the CLI, as an operator would; its API key."""
    made = subprocess.run(
        [sys.executable, "-m", "wahooks", "tenant", "create", "bench"],
        env=env, capture_output=True, text=True, check=True,
    )  # fmt: skip
    return next(ln.split()[-1] for ln in made.stdout.splitlines() if ln.startswith("api key"))


@contextlib.asynccontextmanager
async def gateway_process(
    env: dict[str, str], port: int | None = None
) -> AsyncIterator[tuple[str, subprocess.Popen[bytes]]]:
    """`wahooks serve` on ``port`` (else a free one), ready; its URL and process."""
    port = port or free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "wahooks", "serve", "--port", str(port)], env=env
    )
    try:
        url = f"http://127.0.0.1:{port}"
        await wait_http(url + "/health")
        yield url, proc
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()


def serve_forever(port: int, routes: list[Any]) -> None:
    """Run an aiohttp app of ``routes`` (``web.post(...)``...) on 127.0.0.1:``port`` until
    killed: the body of a receiver process."""
    from aiohttp import web

    async def main() -> None:
        app = web.Application()
        app.add_routes(routes)
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        await web.TCPSite(runner, "127.0.0.1", port).start()
        await asyncio.Event().wait()

    asyncio.run(main())


@contextlib.contextmanager
def process(target: Callable[..., None], *args: Any) -> Iterator[None]:
    """``target(*args)`` in a spawned process (its own interpreter and event loop), killed
    on the way out."""
    proc = multiprocessing.get_context("spawn").Process(target=target, args=args, daemon=True)
    proc.start()
    try:
        yield
    finally:
        proc.kill()
        proc.join()


def rss_mb(pid: int) -> float:
    """A process's resident memory, from /proc."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return round(int(line.split()[1]) / 1024, 1)
    return 0.0
