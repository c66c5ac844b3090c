"""Health probes: live answers without the database; ready checks the database, its schema
and this process's workers, and fails (503, with the reason) when any is wrong."""

import contextlib
import sqlite3

import asyncpg
import pytest

from tests.conftest import RunningGateway
from wahooks.store.migrate import head_revision


async def probe(gateway: RunningGateway, path: str) -> tuple[int, dict[str, object]]:
    async with gateway.http.get(gateway.url + path) as response:
        return response.status, await response.json()


async def test_live_and_ready_answer_when_all_is_well(gateway: RunningGateway) -> None:
    assert await probe(gateway, "/health/live") == (200, {"status": "ok"})
    status, body = await probe(gateway, "/health/ready")
    assert status == 200, body
    assert body == {"status": "ok", "schemaVersion": head_revision(), "workers": True}


async def test_ready_fails_when_the_schema_is_not_current(gateway: RunningGateway) -> None:
    url = gateway.gateway.settings.database_url
    if url.startswith("sqlite:///"):
        with contextlib.closing(sqlite3.connect(url.removeprefix("sqlite:///"))) as db:
            db.execute("UPDATE alembic_version SET version_num = '0001'")
            db.commit()
    else:
        conn = await asyncpg.connect(url)
        try:
            await conn.execute("UPDATE alembic_version SET version_num = '0001'")
        finally:
            await conn.close()
    status, body = await probe(gateway, "/health/ready")
    assert status == 503 and body["error"]["code"] == "schema_outdated", body  # type: ignore[index]
    assert (await probe(gateway, "/health/live"))[0] == 200


async def test_ready_fails_when_the_workers_stopped(gateway: RunningGateway) -> None:
    assert gateway.gateway.dispatcher is not None
    await gateway.gateway.dispatcher.stop()
    status, body = await probe(gateway, "/health/ready")
    assert status == 503 and body["error"]["code"] == "workers_stopped", body  # type: ignore[index]


async def test_ready_fails_when_the_database_is_gone(gateway: RunningGateway) -> None:
    """A database server that goes away (PostgreSQL); an embedded SQLite file cannot go
    away under the process that holds it open."""
    url = gateway.gateway.settings.database_url
    if url.startswith("sqlite:///"):
        pytest.skip("SQLite is embedded: the process holds its database file open")
    name = url.rsplit("/", 1)[1]
    admin = await asyncpg.connect(url.rsplit("/", 1)[0] + "/postgres")
    try:
        await admin.execute(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS false')
        await admin.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE datname = $1 AND pid <> pg_backend_pid()",
            name,
        )
        status, body = await probe(gateway, "/health/ready")
        live = await probe(gateway, "/health/live")
    finally:
        await admin.execute(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS true')
        await admin.close()
    assert status == 503, body
    assert body["error"]["code"] == "database_unavailable", body  # type: ignore[index]
    assert live[0] == 200
