"""The overview's counts per time bucket, kept in this process for the buckets that no
longer change much, so a day's chart does not count a day of deliveries on every refresh.

A bucket that ended long enough ago (``POLICY``: 10 minutes for the hour's minutes, an
hour for the day's quarters) is counted once and kept for a while (5 minutes, an hour); the
buckets since are counted afresh on every request (they are where deliveries are still
being stored and finished). What a kept bucket shows is therefore up to that long old: a
delivery that finishes late (a retry on a long schedule, a re-send, a recovery) moves
between its states in the chart within it. Missing buckets are counted in one query per
request, so a day's first view costs one day's count and later ones one bucket.

One per dashboard (built by ``site.attach``), bounded; nothing global.
"""

import math
from collections import defaultdict
from dataclasses import dataclass, replace

from wahooks.models import DeliveryCount
from wahooks.store import Store

# Bucket width -> (sealed once it ended this long ago, kept this long), in seconds.
POLICY = {60.0: (600.0, 300.0), 900.0: (3600.0, 3600.0)}
DEFAULT_POLICY = (3600.0, 3600.0)
MAX_ENTRIES = 100_000  # buckets kept, every tenant together; then start afresh


@dataclass(frozen=True, slots=True)
class _Kept:
    counts: list[DeliveryCount]  # buckets numbered from the epoch (absolute)
    at: float


def _shift(counts: list[DeliveryCount], by: int) -> list[DeliveryCount]:
    """Bucket numbers moved by ``by`` (from one range's start to another's)."""
    return [
        replace(
            c,
            bucket=c.bucket + by,
            done_bucket=None if c.done_bucket is None else c.done_bucket + by,
        )
        for c in counts
    ]


class CountsCache:
    def __init__(self) -> None:
        self._kept: dict[tuple[str, float, int], _Kept] = {}

    async def counts(
        self,
        store: Store,
        tenant_id: str,
        *,
        since: float,
        until: float,
        width_s: float,
        now: float,
    ) -> list[DeliveryCount]:
        """As ``store.stats.delivery_counts`` (buckets from ``since``, which is a whole
        number of buckets from the epoch)."""
        first = round(since / width_s)
        sealed_after_s, _ = POLICY.get(width_s, DEFAULT_POLICY)
        sealed = min(round(until / width_s), math.floor((now - sealed_after_s) / width_s))
        found: list[DeliveryCount] = []
        if sealed > first:
            found += await self._sealed(store, tenant_id, first, sealed, width_s, now)
        live_from = max(first, sealed)
        live = await store.stats.delivery_counts(
            tenant_id, since=live_from * width_s, until=until, width_s=width_s
        )
        found += _shift(live, live_from - first)
        return found

    async def _sealed(
        self, store: Store, tenant_id: str, first: int, end: int, width_s: float, now: float
    ) -> list[DeliveryCount]:
        _, keep_s = POLICY.get(width_s, DEFAULT_POLICY)
        missing = [
            b
            for b in range(first, end)
            if (k := self._kept.get((tenant_id, width_s, b))) is None or now - k.at > keep_s
        ]
        if missing:
            low, high = min(missing), max(missing) + 1
            counted = await store.stats.delivery_counts(
                tenant_id, since=low * width_s, until=high * width_s, width_s=width_s
            )
            by_bucket: dict[int, list[DeliveryCount]] = defaultdict(list)
            for c in _shift(counted, low):
                by_bucket[c.bucket].append(c)
            if len(self._kept) + (high - low) > MAX_ENTRIES:
                self._kept.clear()
            for b in range(low, high):
                self._kept[(tenant_id, width_s, b)] = _Kept(by_bucket.get(b, []), now)
        kept = [c for b in range(first, end) for c in self._kept[(tenant_id, width_s, b)].counts]
        return _shift(kept, -first)
