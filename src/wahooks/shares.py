"""Fair shares of a few slots between numbers: at most ``total`` pieces of work at once, and
at most ``per_key`` of them for one key (a number), so one number whose Graph API is slow
holds its share and no more, and the others' work goes on beside it.

Two ways in, one count:
- work claimed from the database (media jobs, notices) asks ``busy()`` which keys are at
  their share, leaves their work unclaimed, and ``take``s / ``release``s a slot per piece;
- work that arrives by itself (a REST send) waits in ``hold(key)`` until its key and the
  whole have room.
"""

import asyncio
from collections import Counter
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager


class FairShares:
    def __init__(self, total: int, per_key: int) -> None:
        if total < 1 or per_key < 1:
            raise ValueError("total and per_key must be at least 1")
        self.total = total
        self.per_key = per_key
        self._by_key: Counter[str] = Counter()
        self._used = 0
        # hold()s waiting for room, oldest first: each gets the first slot it fits in.
        self._waiting: list[tuple[str, asyncio.Future[None]]] = []

    @property
    def free(self) -> int:
        return max(self.total - self._used, 0)

    def busy(self) -> list[str]:
        """The keys at their share: their work waits."""
        return [key for key, n in self._by_key.items() if n >= self.per_key]

    def in_use(self, key: str) -> int:
        return self._by_key.get(key, 0)

    def take(self, key: str) -> None:
        """Count one piece of ``key``'s work (the caller left busy keys' work unclaimed and
        claimed no more than ``free``)."""
        self._by_key[key] += 1
        self._used += 1

    def release(self, key: str) -> None:
        self._by_key[key] -= 1
        if self._by_key[key] <= 0:
            del self._by_key[key]
        self._used -= 1
        self._wake()

    def _room(self, key: str) -> bool:
        return self._used < self.total and self._by_key.get(key, 0) < self.per_key

    def _wake(self) -> None:
        """Hand freed slots to the oldest waiters that fit (the slot is theirs at once, so
        a newcomer cannot take it first)."""
        for entry in list(self._waiting):
            key, future = entry
            if future.done():
                self._waiting.remove(entry)
            elif self._room(key):
                self._waiting.remove(entry)
                self.take(key)
                future.set_result(None)

    @asynccontextmanager
    async def hold(self, key: str) -> AsyncIterator[None]:
        """One slot for ``key`` while the block runs; waits for room first."""
        if self._room(key) and not self._waiting:
            self.take(key)
        else:
            future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
            self._waiting.append((key, future))
            self._wake()  # room may be there already, behind nobody who fits
            try:
                await future
            except asyncio.CancelledError:
                if future.done() and not future.cancelled():
                    self.release(key)  # the slot was handed over as we were cancelled
                raise
        try:
            yield
        finally:
            self.release(key)
