"""The overview's series, computed from the store's aggregates (models.stats). Pure.

- **Outcomes**: deliveries created in each bucket, by their state now (pending and leased
  shown as pending).
- **Latency**: p50 and p99 of stored → acknowledged, of the deliveries acknowledged in each
  bucket, read off the latency histogram (a percentile is its bin's upper bound, as
  Prometheus' histogram_quantile reads buckets).
- **Queue**: depth and oldest waiting age at each bucket's end: what was waiting before the
  window (from the queue now) plus what was created and not yet finished by then. A
  delivery created before the window that finished within it is not seen: the early part of
  a window may show a little less than was waiting.
"""

import heapq
import math
from dataclasses import dataclass, field

from wahooks.models import LATENCY_BOUNDS_S, DeliveryCount, OpenQueue

OUTCOMES = ("succeeded", "failed", "pending", "dropped")
WAITING = ("pending", "leased")


@dataclass(frozen=True, slots=True)
class Window:
    name: str  # "hour" or "day"
    width_s: float  # one bucket
    buckets: int

    def bounds(self, now: float) -> tuple[float, float]:
        """[since, until): whole buckets, the last one holding ``now``."""
        until = (math.floor(now / self.width_s) + 1) * self.width_s
        return until - self.width_s * self.buckets, until


WINDOWS = {"hour": Window("hour", 60, 60), "day": Window("day", 900, 96)}


@dataclass
class Series:
    """One destination's (or all of them together) series over a window."""

    outcomes: dict[str, list[int]]
    p50_s: list[float | None]
    p99_s: list[float | None]
    depth: list[int]
    oldest_age_s: list[float | None]
    histogram: list[int] = field(default_factory=lambda: [0] * (len(LATENCY_BOUNDS_S) + 1))

    @property
    def total(self) -> int:
        return sum(sum(v) for v in self.outcomes.values())

    def count(self, outcome: str) -> int:
        return sum(self.outcomes[outcome])

    def percentile(self, q: float) -> float | None:
        """Over the whole window."""
        return _percentile(self.histogram, q)


def _percentile(histogram: list[int], q: float) -> float | None:
    total = sum(histogram)
    if total == 0:
        return None
    rank = q * total
    seen = 0
    for index, n in enumerate(histogram):
        seen += n
        if seen >= rank and n:
            return LATENCY_BOUNDS_S[index] if index < len(LATENCY_BOUNDS_S) else math.inf
    return math.inf  # pragma: no cover - the loop always reaches the total


def series(
    counts: list[DeliveryCount],
    queues: list[OpenQueue],
    window: Window,
    since: float,
    destination_id: str | None = None,
) -> Series:
    """The series of one destination, or of all (``destination_id`` None)."""
    n = window.buckets
    mine = [c for c in counts if destination_id in (None, c.destination_id)]
    outcomes = {name: [0] * n for name in OUTCOMES}
    histograms = [[0] * (len(LATENCY_BOUNDS_S) + 1) for _ in range(n)]
    created, finished = [0] * n, [0] * n
    waiting_in_window = 0
    for c in mine:
        if not 0 <= c.bucket < n:
            continue
        outcome = "pending" if c.state in WAITING else c.state
        if outcome in outcomes:
            outcomes[outcome][c.bucket] += c.count
        created[c.bucket] += c.count
        if c.state in WAITING:
            waiting_in_window += c.count
        if c.done_bucket is not None and c.done_bucket < n:
            finished[max(c.done_bucket, c.bucket)] += c.count
            if c.latency_bin is not None:
                histograms[max(c.done_bucket, 0)][c.latency_bin] += c.count
    waiting_now = [q for q in queues if destination_id in (None, q.destination_id)]
    # Waiting now but created before the window: waiting all through it.
    before = max(0, sum(q.depth for q in waiting_now) - waiting_in_window)
    oldest_before = min((q.oldest_created_at for q in waiting_now), default=None)
    depth = []
    running = before
    for k in range(n):
        running += created[k] - finished[k]
        depth.append(max(0, running))
    ages = _oldest_ages(mine, window, since, before, oldest_before)
    total = [sum(col) for col in zip(*histograms, strict=True)]
    return Series(
        outcomes=outcomes,
        p50_s=[_percentile(h, 0.5) for h in histograms],
        p99_s=[_percentile(h, 0.99) for h in histograms],
        depth=depth,
        oldest_age_s=ages,
        histogram=total,
    )


def _oldest_ages(
    mine: list[DeliveryCount],
    window: Window,
    since: float,
    before: int,
    oldest_before: float | None,
) -> list[float | None]:
    """At each bucket's end, the age of the oldest delivery still waiting then. One pass
    over the buckets with a heap of the open groups (oldest bucket on top), so a day's
    counts cost rows x log(rows), not rows x buckets."""
    n = window.buckets
    ends = [since + (k + 1) * window.width_s for k in range(n)]
    if before > 0 and oldest_before is not None and oldest_before < since:
        return [end - oldest_before for end in ends]  # waiting since before the window
    # Each group is open from its bucket until the bucket it finished in (never: n).
    spans = sorted(
        (c.bucket, n if c.done_bucket is None else c.done_bucket)
        for c in mine
        if 0 <= c.bucket < n and c.count
    )
    ages: list[float | None] = []
    heap: list[tuple[int, int]] = []
    i = 0
    for k in range(n):
        while i < len(spans) and spans[i][0] <= k:
            heapq.heappush(heap, spans[i])
            i += 1
        while heap and heap[0][1] <= k:  # finished by this bucket: no longer waiting
            heapq.heappop(heap)
        ages.append(max(0.0, ends[k] - (since + heap[0][0] * window.width_s)) if heap else None)
    return ages
