"""The overview's series and charts, from hand-made aggregates (pure functions)."""

import math

from wahooks.dashboard import charts
from wahooks.dashboard.figures import WINDOWS, series
from wahooks.models import LATENCY_BOUNDS_S, DeliveryCount, OpenQueue

HOUR = WINDOWS["hour"]
SINCE = 1_699_999_980.0  # a whole minute


def count(bucket: int, state: str, n: int, *, done: int | None = None, bin: int | None = None,
          destination: str = "dst_a") -> DeliveryCount:  # fmt: skip
    return DeliveryCount(
        destination_id=destination, bucket=bucket, state=state, latency_bin=bin,
        done_bucket=done, count=n,
    )  # fmt: skip


def test_the_window_ends_with_the_bucket_holding_now() -> None:
    since, until = HOUR.bounds(SINCE + 30.5)
    assert until == SINCE + 60 and until - since == 3600


def test_outcomes_latency_and_queue_are_read_off_the_counts() -> None:
    counts = [
        count(0, "succeeded", 98, done=0, bin=2),  # < 50 ms
        count(0, "succeeded", 2, done=1, bin=8),  # < 5 s
        count(1, "failed", 1, done=3),
        count(2, "pending", 4),
        count(2, "pending", 7, destination="dst_b"),
    ]
    queues = [OpenQueue(destination_id="dst_a", depth=5, oldest_created_at=SINCE - 100)]
    shown = series(counts, queues, HOUR, SINCE, "dst_a")
    assert shown.outcomes["succeeded"][0] == 100 and shown.outcomes["failed"][1] == 1
    assert shown.outcomes["pending"][2] == 4 and shown.total == 105
    assert shown.p50_s[0] == LATENCY_BOUNDS_S[2] and shown.p99_s[1] == LATENCY_BOUNDS_S[8]
    assert shown.percentile(0.5) == LATENCY_BOUNDS_S[2]
    assert shown.percentile(0.99) == LATENCY_BOUNDS_S[8]  # the 99th of 100 is a slow one
    # One was waiting before the window (5 waiting now, 4 of them created in it).
    # Each bucket's end: before + created so far - finished so far.
    assert shown.depth[:5] == [1 + 100 - 98, 3 + 1 - 2, 2 + 4, 6 - 1, 5]
    assert shown.oldest_age_s[0] == 60 + 100  # the one from before the window
    everyone = series(counts, queues, HOUR, SINCE)
    assert everyone.total == 112


def test_without_anything_waiting_before_the_oldest_open_bucket_gives_the_age() -> None:
    counts = [count(3, "pending", 2), count(1, "succeeded", 1, done=4, bin=0)]
    shown = series(counts, [], HOUR, SINCE, None)
    assert shown.oldest_age_s[0] is None and shown.oldest_age_s[1] == 60
    assert shown.oldest_age_s[3] == 180  # bucket 1's delivery still open at bucket 3's end
    assert shown.oldest_age_s[6] == 420 - 180  # then only bucket 3's


def test_a_latency_beyond_the_last_bound_reads_as_infinite() -> None:
    shown = series([count(0, "succeeded", 1, done=0, bin=len(LATENCY_BOUNDS_S))], [], HOUR, SINCE)
    assert shown.p99_s[0] == math.inf
    assert charts.duration(math.inf) == "> 30 min"


def test_charts_carry_their_figures_and_escape_text() -> None:
    bars = charts.stacked_bars("c1", "<b>title</b>", {"succeeded": [1, 2], "failed": [0, 3]},
                               ["a", "b"])  # fmt: skip
    assert 'data-total="6"' in bars and 'data-succeeded="3"' in bars
    assert "<b>" not in bars and "&lt;b&gt;" in bars
    line = charts.lines("c2", "t", {"p50": [None, 0.2, None]}, ["a", "b", "c"], seconds=True)
    assert 'data-last-p50="0.2"' in line and "M" in line
    assert charts.duration(0.012) == "12 ms" and charts.duration(90) == "90.0 s"


def test_the_sql_bins_latency_as_the_bounds_say() -> None:
    from pathlib import Path

    import wahooks.store

    sql = (Path(wahooks.store.__file__).parent / "sql" / "stats.sql").read_text()
    for index, bound in enumerate(LATENCY_BOUNDS_S):
        assert f"< {bound:g} THEN {index}" in sql, bound
    assert f"ELSE {len(LATENCY_BOUNDS_S)} END AS latency_bin" in sql
