"""A real `wahooks serve` subprocess for end-to-end tests, and the CLI steps before it."""

import asyncio
import contextlib
import re
import signal
import socket
import sys
from dataclasses import dataclass
from pathlib import Path

import aiohttp

STARTUP_TIMEOUT_S = 30
LOG_TAIL_LINES = 150


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class GatewayProcess:
    """`python -m wahooks serve` on a fixed port; its output goes to ``log_path``."""

    env: dict[str, str]
    port: int
    cwd: Path
    log_path: Path
    proc: asyncio.subprocess.Process | None = None
    starts: int = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def start(self, http: aiohttp.ClientSession) -> None:
        assert self.proc is None or self.proc.returncode is not None
        self.starts += 1
        with self.log_path.open("ab") as log:
            log.write(f"\n===== gateway start #{self.starts} =====\n".encode())
            log.flush()
            self.proc = await asyncio.create_subprocess_exec(
                sys.executable, "-m", "wahooks", "serve", "--port", str(self.port),
                env=self.env, cwd=self.cwd, stdout=log, stderr=log,
            )  # fmt: skip
        async with asyncio.timeout(STARTUP_TIMEOUT_S):
            while True:
                if self.proc.returncode is not None:
                    raise AssertionError(f"gateway exited with {self.proc.returncode}")
                with contextlib.suppress(aiohttp.ClientError):
                    async with http.get(self.url + "/health") as response:
                        if response.status == 200:
                            return
                await asyncio.sleep(0.05)

    def kill(self) -> None:
        """SIGKILL, synchronously: no await between the caller's last step and the kill."""
        assert self.proc is not None and self.proc.returncode is None, "gateway not running"
        self.proc.send_signal(signal.SIGKILL)

    async def reap(self) -> None:
        if self.proc is not None:
            if self.proc.returncode is None:
                with contextlib.suppress(ProcessLookupError):
                    self.proc.kill()
            await self.proc.wait()

    def log_tail(self) -> str:
        try:
            lines = self.log_path.read_text(errors="replace").splitlines()
        except OSError:
            return "(no gateway log)"
        return "\n".join(lines[-LOG_TAIL_LINES:])


async def create_tenant(env: dict[str, str], cwd: Path) -> str:
    """`wahooks tenant create` on the (fresh) database; returns the printed API key."""
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "wahooks", "tenant", "create", "e2e-test",
        env=env, cwd=cwd, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    try:
        async with asyncio.timeout(STARTUP_TIMEOUT_S):
            out, err = await proc.communicate()
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()
    assert proc.returncode == 0, err.decode()
    text = out.decode()
    assert re.search(r"^tenant:\s+ten_\S+$", text, re.M), text
    key = re.search(r"^api key:\s+(pk_live_\S+)$", text, re.M)
    assert key, text
    return key.group(1)
