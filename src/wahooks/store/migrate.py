"""Bring a database to the newest schema with Alembic; run on every start."""

import functools
from pathlib import Path

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from alembic.script import ScriptDirectory
from sqlalchemy.ext.asyncio import create_async_engine

from wahooks.store.sqlite.connector import prepare_database_file, sqlite_path

MIGRATIONS = Path(__file__).parent / "migrations"
# Several processes may start together on one PostgreSQL: one migrates, the others wait.
_PG_MIGRATION_LOCK = 0x77616801


def alembic_config(connection: sa.Connection) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["connection"] = connection
    return config


def _upgrade(connection: sa.Connection) -> None:
    if connection.dialect.name == "postgresql":
        connection.execute(sa.text(f"SELECT pg_advisory_lock({_PG_MIGRATION_LOCK})"))
    try:
        command.upgrade(alembic_config(connection), "head")
    finally:
        if connection.dialect.name == "postgresql":
            connection.execute(sa.text(f"SELECT pg_advisory_unlock({_PG_MIGRATION_LOCK})"))


@functools.cache
def head_revision() -> str:
    """The newest migration this code knows: what a current database is at."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    head = ScriptDirectory.from_config(config).get_current_head()
    if head is None:
        raise RuntimeError(f"no migrations in {MIGRATIONS}")
    return head


def sqlalchemy_url(database_url: str) -> str:
    if database_url.startswith(("postgresql://", "postgres://")):
        return "postgresql+asyncpg://" + database_url.split("://", 1)[1]
    return database_url


async def upgrade(database_url: str) -> None:
    url = sqlalchemy_url(database_url)
    if url.startswith("sqlite"):
        prepare_database_file(sqlite_path(database_url))
        engine = sa.create_engine(url)
        try:
            with engine.begin() as conn:
                _upgrade(conn)
        finally:
            engine.dispose()
        return
    async_engine = create_async_engine(url)
    try:
        async with async_engine.begin() as conn:
            await conn.run_sync(_upgrade)
    finally:
        await async_engine.dispose()
