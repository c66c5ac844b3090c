"""The bootstrap commands as an operator runs them (real subprocesses): the first operator
key on a fresh database, a tenant with its first key, a key for WAHOOKS_SECRET_KEYS."""

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography.fernet import Fernet

from tests.conftest import TEST_SECRET_KEY, running_gateway


def _wahooks(database_url: str, cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("WAHOOKS_")}
    env["WAHOOKS_DATABASE_URL"] = database_url
    if not database_url.startswith("sqlite"):
        env["WAHOOKS_SECRET_KEYS"] = TEST_SECRET_KEY
    return subprocess.run(
        [sys.executable, "-m", "wahooks", *args],
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
        cwd=cwd,
    )


def _found(pattern: str, text: str) -> str:
    match = re.search(pattern, text)
    assert match, text
    return match.group(0)


@pytest.mark.e2e
async def test_the_first_operator_key_and_a_tenant_come_from_the_command_line(
    database_url: str, tmp_path: Path
) -> None:
    made = _wahooks(database_url, tmp_path, "operator-key", "create", "--label", "bootstrap")
    assert made.returncode == 0, made.stdout + made.stderr
    operator_key = _found(r"op_live_[A-Za-z0-9]{32}", made.stdout)
    assert "shown once" in made.stdout
    tenant = _wahooks(database_url, tmp_path, "tenant", "create", "Acme Ltd")
    assert tenant.returncode == 0, tenant.stdout + tenant.stderr
    tenant_id = _found(r"ten_\w+", tenant.stdout)
    tenant_key = _found(r"pk_live_[A-Za-z0-9]{32}", tenant.stdout)

    async with running_gateway(database_url) as gateway:
        as_operator = {"Authorization": f"Bearer {operator_key}"}
        status, keys = await gateway.api("GET", "/v1/operator/keys", headers=as_operator)
        assert status == 200, keys
        assert [k["label"] for k in keys] == ["bootstrap", "tests"]
        status, one = await gateway.api("GET", f"/v1/tenants/{tenant_id}", headers=as_operator)
        assert (status, one["name"]) == (200, "Acme Ltd")
        as_tenant = {"Authorization": f"Bearer {tenant_key}"}
        status, listed = await gateway.api("GET", "/v1/keys", headers=as_tenant)
        assert status == 200 and len(listed) == 1 and listed[0]["prefix"] == tenant_key[:16]


@pytest.mark.e2e
def test_secret_key_generate_prints_a_fernet_key(tmp_path: Path) -> None:
    done = _wahooks(f"sqlite:///{tmp_path}/x.db", tmp_path, "secret-key", "generate")
    assert done.returncode == 0, done.stderr
    key = done.stdout.strip()
    assert Fernet(key).decrypt(Fernet(key).encrypt(b"ok")) == b"ok"
    assert "WAHOOKS_SECRET_KEYS" in done.stderr
    assert not (tmp_path / "x.db").exists()  # no database needed
