"""What the dashboard's charts are drawn from: counts of deliveries per time bucket, and
each destination's queue now. The store aggregates (store/stats_ops.py); nothing here does
I/O."""

from dataclasses import dataclass

# The end-to-end latency histogram's upper bounds (seconds from stored to acknowledged), as
# the SQL CASE of store/sql/stats.sql bins them: bin i holds latencies below bound i, the
# last bin everything slower. Percentiles are read off the histogram (a bin's upper bound).
LATENCY_BOUNDS_S = (
    0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 300.0, 1800.0,
)  # fmt: skip


@dataclass(frozen=True, slots=True, kw_only=True)
class DeliveryCount:
    """How many of one destination's deliveries created in one time bucket are in one
    state now (buckets count ``width`` seconds from ``since``)."""

    destination_id: str
    bucket: int
    state: str
    # Succeeded ones: the LATENCY_BOUNDS_S bin of their created → acknowledged time.
    latency_bin: int | None
    # Finished ones (succeeded, failed, dropped): the bucket they finished in.
    done_bucket: int | None
    count: int


@dataclass(frozen=True, slots=True, kw_only=True)
class OpenQueue:
    """A destination's deliveries waiting now (pending or leased), and the oldest one's
    creation time."""

    destination_id: str
    depth: int
    oldest_created_at: float
