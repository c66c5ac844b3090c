"""Secrets at rest: what the database holds, restarts with the same key, a wrong key, key
rotation, legacy plaintext, and where the key comes from."""

import hashlib
import os
import stat
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import asyncpg
import pytest

from tests.conftest import TEST_SECRET_KEY, add_destination, registered_sim, running_gateway
from tests.ingress.helpers import table
from wahooks.config import Settings
from wahooks.demo.receiver import Receiver
from wahooks.errors import ConfigError
from wahooks.secrets import Keyring, key_file_for, open_keyring
from wahooks.sim import Simulator
from wahooks.store import open_store

OTHER_KEY = Keyring.generate_key()


def _key_settings(database_url: str, *keys: str) -> Settings:
    return Settings(database_url=database_url, secret_keys=keys)


async def _execute(database_url: str, sql: str, *args: object) -> None:
    if database_url.startswith("sqlite:///"):
        import sqlite3

        conn = sqlite3.connect(database_url.removeprefix("sqlite:///"))
        try:
            conn.execute(sql.replace("$1", "?").replace("$2", "?"), args)
            conn.commit()
        finally:
            conn.close()
        return
    pg = await asyncpg.connect(database_url)
    try:
        await pg.execute(sql, *args)
    finally:
        await pg.close()


def _first_key(database_url: str) -> str:
    """The key the gateway used: the tests' for PostgreSQL, the generated file's for SQLite."""
    if database_url.startswith("sqlite"):
        return key_file_for(database_url).read_text().strip()
    return TEST_SECRET_KEY


async def test_the_database_holds_no_secret_in_clear_and_a_restart_still_verifies_and_delivers(
    database_url: str, receiver: Receiver
) -> None:
    async with running_gateway(database_url) as gateway, registered_sim(gateway) as sim:
        destination = await add_destination(gateway, receiver)
        user = sim.user("15551238001", "Ann")
        assert (await sim.send(user, "text", body="one")).ok
        await receiver.wait_for(lambda r: len(r.accepted()) == 1)
        tenant_key = gateway.api_key
        secrets = {
            "access token": sim.settings.access_token,
            "app secret": sim.settings.app_secret,
            "verify token": sim.settings.verify_token,
            "webhook secret": destination["secret"],
        }
        numbers = await table(database_url, "numbers")
        destinations = await table(database_url, "destinations")
        for name, secret in secrets.items():
            assert secret not in str(numbers) + str(destinations), name
        (row,) = numbers
        for column in ("access_token", "app_secret", "verify_token"):
            assert row[column].startswith("enc:v1:"), column
        assert (
            row["verify_token_hash"]
            == hashlib.sha256(sim.settings.verify_token.encode()).hexdigest()
        )
        assert destinations[0]["secret"].startswith("enc:v1:")

    # Started again on the same database with the same key: the app secret still verifies
    # Meta's signature, the webhook secret still signs, the handshake still matches.
    async with (
        running_gateway(database_url) as again,
        Simulator(replace(sim.settings, gateway_url=again.ingress_url)) as sim,
    ):
        assert (await sim.send(user, "text", body="two")).ok
        await receiver.wait_for(lambda r: len(r.accepted()) == 2)
        assert all(a.verified for a in receiver.accepted())
        value = receiver.accepted()[1].json()["entry"][0]["changes"][0]["value"]
        assert value["messages"][0]["text"]["body"] == "two"
        params = {"hub.mode": "subscribe", "hub.verify_token": sim.settings.verify_token,
                  "hub.challenge": "31"}  # fmt: skip
        async with again.http.get(again.ingress_url, params=params) as response:
            assert (response.status, await response.text()) == (200, "31")
        headers = {"Authorization": f"Bearer {tenant_key}"}
        status, listed = await again.api("GET", "/v1/destinations", headers=headers)
        assert status == 200 and listed[0]["id"] == destination["id"]


@pytest.mark.e2e
async def test_a_wrong_key_is_refused_at_start_and_rotation_re_encrypts(
    database_url: str, receiver: Receiver
) -> None:
    async with running_gateway(database_url) as gateway, registered_sim(gateway) as sim:
        await add_destination(gateway, receiver)
    first = _first_key(database_url)

    with pytest.raises(ConfigError) as refused:
        await open_store(_key_settings(database_url, OTHER_KEY))
    assert "WAHOOKS_SECRET_KEYS" in str(refused.value)
    assert "cannot decrypt" in str(refused.value)

    # Rotation: the new key first, the old one after it; every value moves to the new key.
    store = await open_store(_key_settings(database_url, OTHER_KEY, first))
    try:
        (number,) = await store.numbers.all()
        assert number.access_token == sim.settings.access_token
    finally:
        await store.close()
    store = await open_store(_key_settings(database_url, OTHER_KEY))
    try:
        (number,) = await store.numbers.all()
        assert number.app_secret == sim.settings.app_secret
        (destination,) = await store.destinations.of_tenant(gateway.tenant_id)
        assert destination.secret == receiver.secret
    finally:
        await store.close()
    with pytest.raises(ConfigError):
        await open_store(_key_settings(database_url, first))


async def test_plaintext_left_by_an_older_version_is_encrypted_on_start(
    database_url: str, receiver: Receiver
) -> None:
    async with running_gateway(database_url) as gateway, registered_sim(gateway) as sim:
        await add_destination(gateway, receiver)
    await _execute(
        database_url,
        "UPDATE numbers SET access_token = $1, verify_token = $2, verify_token_hash = NULL",
        "plain-access-token",
        "plain-verify-token",
    )
    await _execute(database_url, "UPDATE destinations SET secret = $1", "plain-webhook-secret-1234")
    store = await open_store(_key_settings(database_url, _first_key(database_url)))
    try:
        (number,) = await store.numbers.all()
        assert number.access_token == "plain-access-token"
        assert number.app_secret == sim.settings.app_secret
        assert [n.id for n in await store.numbers.by_verify_token("plain-verify-token")] == [
            number.id
        ]
        (destination,) = await store.destinations.of_tenant(gateway.tenant_id)
        assert destination.secret == "plain-webhook-secret-1234"
    finally:
        await store.close()
    rows = str(await table(database_url, "numbers")) + str(
        await table(database_url, "destinations")
    )
    for plain in ("plain-access-token", "plain-verify-token", "plain-webhook-secret-1234"):
        assert plain not in rows


def test_sqlite_generates_a_private_key_file_once_and_postgres_requires_the_setting(
    tmp_path: Path,
) -> None:
    url = f"sqlite:///{tmp_path}/db/wahooks.db"
    made = open_keyring(url, ())
    path = tmp_path / "db" / "wahooks.db.secret-key"
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    again = open_keyring(url, ())
    assert again.decrypt(made.encrypt("x")) == "x"  # the same key, read back

    with pytest.raises(ConfigError) as refused:
        open_keyring("postgresql://postgres@127.0.0.1/nowhere", ())
    assert "WAHOOKS_SECRET_KEYS" in str(refused.value)
    with pytest.raises(ConfigError) as invalid:
        open_keyring(url, ("not-a-fernet-key",))
    assert "WAHOOKS_SECRET_KEYS" in str(invalid.value)


@pytest.mark.e2e
def test_the_cli_refuses_postgres_without_a_key_naming_the_setting(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("WAHOOKS_")}
    env["WAHOOKS_DATABASE_URL"] = "postgresql://postgres@127.0.0.1/postgres"
    done = subprocess.run(
        [sys.executable, "-m", "wahooks", "tenant", "create", "acme"],
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
        cwd=tmp_path,
    )
    assert done.returncode == 2, done.stdout + done.stderr
    assert "WAHOOKS_SECRET_KEYS" in done.stderr
