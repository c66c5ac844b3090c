"""What every benchmark needs: free ports, a fresh database, a `wahooks serve` subprocess.

The gateway runs in its own process so its event loop is not shared with the load
generator; everything stays on 127.0.0.1.
"""

import asyncio
import contextlib
import os
import socket
import subprocess
import sys
import tempfile
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import asyncpg

from wahooks.media.addresses import LOOPBACK_NETWORKS
from wahooks.secrets import Keyring

# One key per benchmark run, shared by its gateway processes (PostgreSQL requires one).
BENCH_SECRET_KEY = Keyring.generate_key()


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
