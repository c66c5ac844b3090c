"""The Alembic history produces exactly the tables of schema.py, on both databases."""

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy.ext.asyncio import create_async_engine

from tests.conftest import postgres_database
from wahooks.store.migrate import sqlalchemy_url, upgrade
from wahooks.store.schema import metadata


def _diff(connection: sa.Connection) -> list[object]:
    return list(compare_metadata(MigrationContext.configure(connection), metadata))


def _columns(connection: sa.Connection) -> dict[str, list[str]]:
    inspector = sa.inspect(connection)
    return {
        table: sorted(c["name"] for c in inspector.get_columns(table))
        for table in inspector.get_table_names()
        if table != "alembic_version"
    }


@pytest.fixture(params=["sqlite", "postgres"])
async def empty_database(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[str]:
    """A database no migration has touched (the shared fixture's are copied migrated)."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path}/wahooks.db"
        return
    async with postgres_database(migrated=False) as url:
        yield url


# Neither database reflects an index on an expression: autogenerate skips those (saying so),
# and test_expression_indexes_exist checks them by name instead.
EXPRESSION_INDEXES = ("ix_conversations_tenant_activity",)


@pytest.mark.filterwarnings("ignore:.*expression-based index")
async def test_migrations_match_schema(empty_database: str) -> None:
    database_url = empty_database
    await upgrade(database_url)
    await upgrade(database_url)  # a second start finds nothing to do
    url = sqlalchemy_url(database_url)
    if url.startswith("sqlite"):
        engine = sa.create_engine(url)
        with engine.connect() as conn:
            diff, columns = _diff(conn), _columns(conn)
        engine.dispose()
    else:
        async_engine = create_async_engine(url)
        async with async_engine.connect() as conn:
            diff = await conn.run_sync(_diff)
            columns = await conn.run_sync(_columns)
        await async_engine.dispose()
    assert diff == []
    expected = {t.name: sorted(c.name for c in t.columns) for t in metadata.sorted_tables}
    assert columns == expected


async def test_expression_indexes_exist(empty_database: str) -> None:
    await upgrade(empty_database)
    url = sqlalchemy_url(empty_database)
    if url.startswith("sqlite"):
        engine = sa.create_engine(url)
        with engine.connect() as conn:
            found = conn.execute(sa.text("SELECT name FROM sqlite_master WHERE type = 'index'"))
            names = {row[0] for row in found}
        engine.dispose()
    else:
        async_engine = create_async_engine(url)
        async with async_engine.connect() as aconn:
            found = await aconn.execute(sa.text("SELECT indexname FROM pg_indexes"))
            names = {row[0] for row in found}
        await async_engine.dispose()
    declared = {
        index.name for table in metadata.sorted_tables for index in table.indexes if index.name
    }
    for name in EXPRESSION_INDEXES:
        assert name in declared and name in names, name
