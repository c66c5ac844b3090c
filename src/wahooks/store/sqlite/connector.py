"""SQLite: one connection on one thread, with group commit.

Every transaction is queued; the writer thread takes all queued operations at once and runs
them in a single ``BEGIN IMMEDIATE … COMMIT``, each inside its own SAVEPOINT so one failing
operation rolls back alone. One fsync then covers the whole batch: batched commits measured
5x single-row commits here, and sqlite3 called directly 3x aiosqlite.
"""

import asyncio
import logging
import sqlite3
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, TypeVar

import orjson

from wahooks.files import private_dir, private_file, tighten
from wahooks.store.base import (
    Duplicate,
    Execute,
    ExecuteMany,
    FetchAll,
    FetchOne,
    Operation,
    Params,
    Query,
)
from wahooks.store.queries import load_queries

T = TypeVar("T")
log = logging.getLogger(__name__)

QUERIES = load_queries(Path(__file__).parent / "queries.sql")
MAX_BATCH = 500  # operations per group commit; bounds one transaction's duration


def sqlite_path(database_url: str) -> Path:
    return Path(database_url.removeprefix("sqlite:///"))


def prepare_database_file(path: Path) -> None:
    """Create the database file 0600 in a 0700 folder before SQLite opens it: SQLite gives
    its -wal and -shm files the database file's permissions."""
    private_dir(path.parent)
    private_file(path)
    for companion in ("-wal", "-shm", "-journal"):
        tighten(path.with_name(path.name + companion))


class SqliteConnector:
    def __init__(self, database_url: str, *, synchronous: str = "FULL") -> None:
        self._path = sqlite_path(database_url)
        self._synchronous = synchronous
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="wahooks-sqlite")
        self._conn: sqlite3.Connection | None = None
        self._queue: list[tuple[Operation[Any], asyncio.Future[Any]]] = []
        self._flusher: asyncio.Task[None] | None = None

    async def open(self) -> None:
        prepare_database_file(self._path)
        loop = asyncio.get_running_loop()
        self._conn = await loop.run_in_executor(self._executor, self._connect)

    def _connect(self) -> sqlite3.Connection:
        conn = sqlite3.connect(self._path, isolation_level=None, check_same_thread=False)
        conn.row_factory = sqlite3.Row
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute(f"PRAGMA synchronous={self._synchronous}")
        conn.execute("PRAGMA busy_timeout=5000")
        conn.execute("PRAGMA foreign_keys=ON")
        return conn

    async def close(self) -> None:
        if self._flusher is not None:
            await self._flusher
        if self._conn is not None:
            conn, self._conn = self._conn, None
            await asyncio.get_running_loop().run_in_executor(self._executor, conn.close)
        self._executor.shutdown(wait=True)

    async def transaction(self, op: Operation[T]) -> T:
        future: asyncio.Future[T] = asyncio.get_running_loop().create_future()
        self._queue.append((op, future))
        if self._flusher is None or self._flusher.done():
            self._flusher = asyncio.create_task(self._flush())
        return await future

    async def read(self, op: Operation[T]) -> T:
        return await asyncio.get_running_loop().run_in_executor(self._executor, self._read, op)

    async def notify(self, payloads: Sequence[str]) -> None:
        """One process owns the file: its workers are woken in-process."""

    async def wait_for_notification(self, wait_s: float) -> list[str]:
        await asyncio.sleep(wait_s)
        return []

    # --- the writer thread ------------------------------------------------------------

    async def _flush(self) -> None:
        loop = asyncio.get_running_loop()
        while self._queue:
            batch, self._queue = self._queue[:MAX_BATCH], self._queue[MAX_BATCH:]
            outcomes = await loop.run_in_executor(
                self._executor, self._run_batch, [op for op, _ in batch]
            )
            for (_, future), (ok, value) in zip(batch, outcomes, strict=True):
                if future.done():
                    continue
                if ok:
                    future.set_result(value)
                else:
                    future.set_exception(value)

    def _run_batch(self, ops: list[Operation[Any]]) -> list[tuple[bool, Any]]:
        conn = self._connection()
        outcomes: list[tuple[bool, Any]] = []
        try:
            conn.execute("BEGIN IMMEDIATE")
            for op in ops:
                conn.execute("SAVEPOINT op")
                try:
                    outcomes.append((True, self._drive(conn, op)))
                except Exception as exc:  # the op's own failure: roll back only its writes
                    conn.execute("ROLLBACK TO op")
                    outcomes.append((False, _translate(exc)))
                conn.execute("RELEASE op")
            conn.execute("COMMIT")
        except sqlite3.Error as exc:
            log.exception("group commit failed; %d operations rolled back", len(ops))
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            return [(False, exc)] * len(ops)
        return outcomes

    def _read(self, op: Operation[T]) -> T:
        conn = self._connection()
        conn.execute("BEGIN")
        try:
            return self._drive(conn, op)
        finally:
            conn.execute("COMMIT")

    def _connection(self) -> sqlite3.Connection:
        if self._conn is None:
            raise RuntimeError("SQLite connector is not open")
        return self._conn

    def _drive(self, conn: sqlite3.Connection, op: Operation[T]) -> T:
        try:
            query = op.send(None)
            while True:
                query = op.send(_run(conn, query))
        except StopIteration as stop:
            return stop.value  # type: ignore[no-any-return]


def _bind(params: Params) -> dict[str, Any]:
    # sqlite3 cannot bind lists; the SQL reads them with json_each.
    return {k: orjson.dumps(v).decode() if isinstance(v, list) else v for k, v in params.items()}


def _run(conn: sqlite3.Connection, query: Query) -> Any:
    sql = QUERIES[query.name]
    match query:
        case FetchAll(params=params):
            return conn.execute(sql, _bind(params)).fetchall()
        case FetchOne(params=params):
            cursor = conn.execute(sql, _bind(params))
            row = cursor.fetchone()
            cursor.fetchall()  # finish the statement (RETURNING) before the next one
            return row
        case Execute(params=params):
            return conn.execute(sql, _bind(params)).rowcount
        case ExecuteMany(params=many):
            conn.executemany(sql, [_bind(p) for p in many])
            return None


def _translate(exc: Exception) -> Exception:
    if isinstance(exc, sqlite3.IntegrityError) and "UNIQUE" in str(exc):
        return Duplicate(str(exc))
    return exc
