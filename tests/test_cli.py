"""The `wahooks` command as a user runs it: real subprocesses."""

import asyncio
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from wahooks.config import Settings

pytestmark = pytest.mark.e2e  # the command in real subprocesses


def _wahooks(*args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "wahooks", *args], capture_output=True, text=True, timeout=timeout
    )


def test_demo_sends_every_type_and_exits_zero() -> None:
    done = _wahooks("demo")
    assert done.returncode == 0, done.stdout + done.stderr
    rows = {line.split()[0]: line.split() for line in done.stdout.splitlines() if line.strip()}
    for kind in ("text", "image", "audio", "video", "document", "sticker", "location",
                 "contacts", "reaction"):  # fmt: skip
        assert rows[kind][1:3] == ["yes", "verified"], done.stdout
    assert "9/9 messages arrived, all signatures verified." in done.stdout


def test_serve_help_lists_every_setting() -> None:
    done = _wahooks("serve", "--help")
    assert done.returncode == 0
    for name in Settings.model_fields:
        assert f"WAHOOKS_{name.upper()}" in done.stdout


def test_invalid_configuration_is_refused_before_start() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "wahooks", "serve"],
        capture_output=True,
        text=True,
        timeout=30,
        env={"WAHOOKS_DATABASE_URL": "mysql://nope", "PATH": ""},
    )
    assert done.returncode == 2
    assert "WAHOOKS_DATABASE_URL" in done.stderr


def test_a_misspelt_setting_is_refused_naming_the_closest_one(tmp_path: object) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "wahooks", "serve"],
        capture_output=True,
        text=True,
        timeout=30,
        env={"WAHOOKS_DATABSE_URL": "sqlite:///elsewhere.db", "PATH": ""},
        cwd=str(tmp_path),
    )
    assert done.returncode == 2, done.stderr
    lines = done.stderr.strip().splitlines()
    assert lines == [
        "wahooks: unknown setting WAHOOKS_DATABSE_URL; did you mean WAHOOKS_DATABASE_URL?"
    ]


def test_version() -> None:
    from wahooks import __version__

    done = _wahooks("--version")
    assert done.returncode == 0 and done.stdout.strip() == f"wahooks {__version__}"


def _serve_refused(env: dict[str, str], *args: str) -> str:
    """`wahooks serve` that must stop at once: exit 2, one line on stderr (returned)."""
    done = subprocess.run(
        [sys.executable, "-m", "wahooks", "serve", *args],
        capture_output=True,
        text=True,
        timeout=60,
        env={"PATH": "", **env},
    )
    assert done.returncode == 2, (done.returncode, done.stderr)
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("wahooks: "), done.stderr
    return lines[0]


def test_an_unreachable_database_is_one_line_and_exit_2() -> None:
    line = _serve_refused(
        {
            "WAHOOKS_DATABASE_URL": "postgresql://postgres:hunter2@127.0.0.1:1/nothing",
            "WAHOOKS_SECRET_KEYS": "4kmRCYnnNEZ3KLtX6dNMWtG7BN2u_v1XuIfDyZM2ZYU=",
        },
        "--port",
        "0",
    )
    assert "cannot reach the database postgresql://postgres:***@127.0.0.1:1/nothing" in line
    assert "hunter2" not in line


def test_postgres_without_a_secret_key_is_one_line_and_exit_2() -> None:
    line = _serve_refused(
        {"WAHOOKS_DATABASE_URL": "postgresql://postgres@127.0.0.1:1/nothing"}, "--port", "0"
    )
    assert "WAHOOKS_SECRET_KEYS is not set" in line


def test_a_port_in_use_is_one_line_and_exit_2_before_the_database_is_made(
    tmp_path: Path,
) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        database = tmp_path / "never.db"
        env = {"WAHOOKS_DATABASE_URL": f"sqlite:///{database}"}
        line = _serve_refused(env, "--port", str(port))
    assert f"cannot listen on 127.0.0.1:{port}" in line
    assert not database.exists()  # nothing was migrated


def test_keys_are_listed_and_revoked_from_the_command_line(tmp_path: Path) -> None:
    env = {"WAHOOKS_DATABASE_URL": f"sqlite:///{tmp_path}/wahooks.db", "PATH": ""}

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "wahooks", *args],
            capture_output=True, text=True, timeout=60, env=env,
        )  # fmt: skip

    created = run("tenant", "create", "Acme")
    assert created.returncode == 0, created.stderr
    tenant_id = created.stdout.split("tenant:")[1].split()[0]
    key = created.stdout.split("api key:")[1].split()[0]
    listed = run("tenant", "list")
    assert tenant_id in listed.stdout and "Acme" in listed.stdout
    keys = run("tenant", "keys", tenant_id)
    assert keys.returncode == 0 and " live " in keys.stdout, keys.stdout
    assert key not in keys.stdout and key[:8] in keys.stdout  # the prefix, never the key
    key_id = keys.stdout.split()[0]
    revoked = run("tenant", "revoke-key", tenant_id, key_id)
    assert revoked.returncode == 0 and key_id in revoked.stdout, revoked.stderr
    assert "revoked" in run("tenant", "keys", tenant_id).stdout
    assert run("tenant", "revoke-key", tenant_id, "key_nope").returncode == 1
    assert run("tenant", "keys", "ten_nope").returncode == 1

    for label in ("first", "second"):
        assert run("operator-key", "create", "--label", label).returncode == 0
    operator_keys = run("operator-key", "list").stdout.splitlines()
    assert len(operator_keys) == 2
    first, second = (line.split()[0] for line in operator_keys)
    assert run("operator-key", "revoke", first).returncode == 0
    last = run("operator-key", "revoke", second)
    assert last.returncode == 1 and "not revoked" in last.stderr  # never the last live key


async def test_check_reports_the_database_and_each_numbers_token(tmp_path: Path) -> None:
    from tests.conftest import LOOPBACK_NETWORKS, gateway_with_sim

    url = f"sqlite:///{tmp_path}/wahooks.db"
    env = {
        "WAHOOKS_DATABASE_URL": url,
        "WAHOOKS_OUTBOUND_ALLOW_NETWORKS": ",".join(LOOPBACK_NETWORKS),
        "PATH": "",
    }

    async def run() -> subprocess.CompletedProcess[str]:
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "wahooks", "check", env=env,
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
        )  # fmt: skip
        out, err = await asyncio.wait_for(process.communicate(), 60)
        return subprocess.CompletedProcess([], process.returncode or 0, out.decode(), err.decode())

    async with gateway_with_sim(url) as (_, sim):
        done = await run()
        assert done.returncode == 0, done.stdout + done.stderr
        assert "database  ok" in done.stdout
        assert f"number    ok   {sim.number_id}" in done.stdout  # type: ignore[attr-defined]
        sim.set_token_valid(False)  # revoked at Meta
        failed = await run()
        assert failed.returncode == 1, failed.stdout + failed.stderr
        assert "FAIL" in failed.stdout and "access token" in failed.stdout


async def test_demo_with_the_dashboard_keeps_running_and_prints_a_key() -> None:
    import re
    import signal

    from tests.dashboard.helpers import DashboardClient

    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "wahooks", "demo", "--dashboard",
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    assert proc.stdout is not None
    try:
        printed = ""
        async with asyncio.timeout(60):
            while "key       " not in printed:
                line = await proc.stdout.readline()
                assert line, printed
                printed += line.decode()
        url = re.search(r"dashboard (http://127\.0\.0\.1:\d+)/dashboard/sign-in", printed)
        key = re.search(r"key       (pk_live_\w+)", printed)
        assert url and key, printed
        assert "9/9 messages arrived" in printed
        browser = DashboardClient.open(url.group(1))
        try:
            page = await browser.sign_in(key.group(1))
            total = re.search(
                r'id="chart-outcomes" data-chart="bars" data-total="(\d+)"', page.text
            )
            assert total and int(total.group(1)) >= 9, page.text
        finally:
            await browser.close()
        assert proc.returncode is None  # still running
    finally:
        proc.send_signal(signal.SIGINT)
        async with asyncio.timeout(30):
            code = await proc.wait()
    assert code == 0
