"""The `wahooks` command as a user runs it: real subprocesses."""

import subprocess
import sys

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
