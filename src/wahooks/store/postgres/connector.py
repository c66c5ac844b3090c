"""PostgreSQL through asyncpg: a pool, one transaction per operation, LISTEN/NOTIFY wake-ups.

Several gateway processes may share the database; the claim uses FOR UPDATE SKIP LOCKED
(see queries.sql) and a NOTIFY after each ingest wakes the other processes' dispatchers.
"""

import asyncio
import re
import secrets
from collections.abc import Sequence
from pathlib import Path
from typing import Any, TypeVar

import asyncpg

from wahooks.store.base import (
    Duplicate,
    Execute,
    ExecuteMany,
    FetchAll,
    FetchOne,
    Operation,
    Query,
)
from wahooks.store.queries import load_queries

T = TypeVar("T")

NOTIFY_CHANNEL = "wahooks_deliveries"
_PARAM = re.compile(r"(?<![:\w]):(\w+)")


def _positional(sql: str) -> tuple[str, list[str]]:
    """``:name`` → ``$n``, remembering the order of the names."""
    names: list[str] = []

    def number(match: re.Match[str]) -> str:
        name = match.group(1)
        if name not in names:
            names.append(name)
        return f"${names.index(name) + 1}"

    return _PARAM.sub(number, sql), names


QUERIES = {
    name: _positional(sql)
    for name, sql in load_queries(Path(__file__).parent / "queries.sql").items()
}


class PostgresConnector:
    def __init__(self, database_url: str, *, min_size: int = 2, max_size: int = 10) -> None:
        self._dsn = database_url
        self._min_size = min_size
        self._max_size = max_size
        self._pool: asyncpg.Pool | None = None
        self._listener: asyncpg.Connection | None = None
        self._notified = asyncio.Event()
        # Heads each NOTIFY's payload, so this process ignores its own: it woke its
        # workers in-process already, and the echo only cost each of them an empty claim.
        self._sender = secrets.token_hex(8)
        self._notifying = False
        self._to_notify: list[str] = []
        self._heard: list[str] = []

    async def open(self) -> None:
        self._pool = await asyncpg.create_pool(
            self._dsn, min_size=self._min_size, max_size=self._max_size
        )

    async def close(self) -> None:
        if self._listener is not None:
            await self._listener.close()
            self._listener = None
        if self._pool is not None:
            await self._pool.close()
            self._pool = None

    def _get_pool(self) -> asyncpg.Pool:
        if self._pool is None:
            raise RuntimeError("PostgreSQL connector is not open")
        return self._pool

    async def transaction(self, op: Operation[T]) -> T:
        async with self._get_pool().acquire() as conn, conn.transaction():
            return await _drive(conn, op)

    async def read(self, op: Operation[T]) -> T:
        async with self._get_pool().acquire() as conn:
            return await _drive(conn, op)

    async def notify(self, payloads: Sequence[str]) -> None:
        """Coalesced: while one NOTIFY round trip is on its way, later payloads wait and go
        together in the next, so a burst of ingests costs a couple of round trips, not one
        each. Each payload starts with this process's id, so it ignores its own: it woke its
        workers in-process already."""
        self._to_notify.extend(p for p in payloads if p not in self._to_notify)
        if self._notifying:
            return
        self._notifying = True
        try:
            while self._to_notify:
                sending, self._to_notify = self._to_notify, []
                await self._get_pool().execute(
                    "SELECT pg_notify($1, $2 || ' ' || p) FROM unnest($3::text[]) AS p",
                    NOTIFY_CHANNEL,
                    self._sender,
                    sending,
                )
        finally:
            self._notifying = False

    async def wait_for_notification(self, wait_s: float) -> list[str]:
        if self._listener is None:
            self._listener = await asyncpg.connect(self._dsn)
            await self._listener.add_listener(NOTIFY_CHANNEL, self._on_notify)
        if not self._heard:
            try:
                await asyncio.wait_for(self._notified.wait(), wait_s)
            except TimeoutError:
                pass
        self._notified.clear()
        heard, self._heard = self._heard, []
        return heard

    def _on_notify(self, _conn: object, _pid: int, _channel: str, message: str) -> None:
        sender, _, payload = message.partition(" ")
        if sender != self._sender:
            self._heard.append(payload)
            self._notified.set()


async def _drive(conn: asyncpg.Connection, op: Operation[T]) -> T:
    try:
        query = op.send(None)
        while True:
            try:
                result = await _run(conn, query)
            except asyncpg.UniqueViolationError as exc:
                raise Duplicate(str(exc)) from exc
            query = op.send(result)
    except StopIteration as stop:
        return stop.value  # type: ignore[no-any-return]


async def _run(conn: asyncpg.Connection, query: Query) -> Any:
    sql, names = QUERIES[query.name]
    match query:
        case FetchAll(params=params):
            return await conn.fetch(sql, *[params[n] for n in names])
        case FetchOne(params=params):
            return await conn.fetchrow(sql, *[params[n] for n in names])
        case Execute(params=params):
            status = await conn.execute(sql, *[params[n] for n in names])
            return int(status.rsplit(" ", 1)[-1]) if status[-1:].isdigit() else 0
        case ExecuteMany(params=many):
            await conn.executemany(sql, [[p[n] for n in names] for p in many])
            return None
