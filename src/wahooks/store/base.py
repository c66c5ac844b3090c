"""The connector interface: how store operations reach a database.

An operation (the *_ops.py modules) is a generator that yields named queries and receives
their results, so the domain logic is written once and each connector drives it its own
way: the SQLite connector inside its writer thread (group commit), the PostgreSQL
connector with awaits on an asyncpg connection.
"""

from collections.abc import Generator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol, TypeVar

T = TypeVar("T")

Row = Mapping[str, Any]
Params = Mapping[str, Any]


@dataclass(frozen=True, slots=True)
class FetchAll:
    name: str
    params: Params = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class FetchOne:
    """Answers the first row, or None."""

    name: str
    params: Params = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Execute:
    """Answers the number of rows changed."""

    name: str
    params: Params = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class ExecuteMany:
    name: str
    params: Sequence[Params]


Query = FetchAll | FetchOne | Execute | ExecuteMany
Operation = Generator[Query, Any, T]


class Duplicate(Exception):
    """A unique constraint refused the write (both databases raise this one)."""


class Connector(Protocol):
    async def open(self) -> None: ...

    async def close(self) -> None: ...

    async def transaction(self, op: Operation[T]) -> T:
        """Run ``op`` atomically: all its writes commit, or none."""
        ...

    async def read(self, op: Operation[T]) -> T:
        """Run ``op`` for reading; it must not write."""
        ...

    async def notify(self, payloads: Sequence[str]) -> None:
        """Tell the other processes sharing the database (notifier.py writes the payloads)."""
        ...

    async def wait_for_notification(self, wait_s: float) -> list[str]:
        """The payloads other processes sent since the last call; waits up to ``wait_s``
        seconds for the first (an empty list: none came)."""
        ...
