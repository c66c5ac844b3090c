"""Which numbers a notification is for, with a short cache of numbers already found.

Only hits are cached: a number registered a moment ago (maybe by another process) is found
on its first message, never refused as unknown. A cached app secret may lag a change by
``ttl`` seconds; Meta retries the 401s that could cause.
"""

import time
from collections.abc import Iterable

from wahooks.models import Clock, Number
from wahooks.store import Store

DEFAULT_TTL_S = 10.0


class NumberDirectory:
    def __init__(self, store: Store, *, ttl: float = DEFAULT_TTL_S, clock: Clock = time.monotonic):
        self._store = store
        self._ttl = ttl
        self._clock = clock
        self._cache: dict[str, tuple[float, Number]] = {}

    async def lookup(self, phone_number_ids: Iterable[str]) -> dict[str, Number]:
        now = self._clock()
        found: dict[str, Number] = {}
        missing: list[str] = []
        for pid in phone_number_ids:
            hit = self._cache.get(pid)
            if hit is not None and hit[0] > now:
                found[pid] = hit[1]
            else:
                missing.append(pid)
        if missing:
            fresh = await self._store.numbers.by_phone_number_ids(missing)
            for pid, number in fresh.items():
                self._cache[pid] = (now + self._ttl, number)
            found.update(fresh)
        return found

    def forget(self, phone_number_id: str) -> None:
        self._cache.pop(phone_number_id, None)
