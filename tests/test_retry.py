"""The shared retry policy: every piece a pure function, randomness and time passed in."""

import random
from datetime import UTC, datetime
from email.utils import format_datetime

import pytest

from wahooks.retry import (
    exponential,
    full_jitter,
    honour_retry_after,
    parse_retry_after,
    scheduled,
    spread,
)

NOW = 1_700_000_000.0


def test_scheduled_reads_the_wait_before_each_attempt() -> None:
    schedule = (0, 2, 8)
    assert [scheduled(schedule, k) for k in range(3)] == [0.0, 2.0, 8.0]


@pytest.mark.parametrize("attempts_made", [3, 4, 100, -1])
def test_scheduled_is_none_past_the_end(attempts_made: int) -> None:
    assert scheduled((0, 2, 8), attempts_made) is None


def test_scheduled_empty_schedule_means_no_retry() -> None:
    assert scheduled((), 0) is None


def test_exponential_doubles_from_the_first_delay() -> None:
    assert [exponential(0.5, n, 100) for n in range(1, 6)] == [0.5, 1.0, 2.0, 4.0, 8.0]


def test_exponential_is_capped() -> None:
    assert exponential(1.0, 6, 30.0) == 30.0
    assert exponential(60.0, 2, 3600.0) == 120.0
    assert exponential(60.0, 8, 3600.0) == 3600.0


def test_exponential_does_not_overflow_after_many_failures() -> None:
    assert exponential(1.0, 10_000, 30.0) == 30.0
    assert exponential(1.0, 65, 30.0) == 30.0


@pytest.mark.parametrize(("rand", "expected"), [(0.0, 8.0), (0.5, 10.0), (1.0, 12.0)])
def test_spread_moves_within_the_jitter(rand: float, expected: float) -> None:
    assert spread(10.0, 0.2, lambda: rand) == pytest.approx(expected)


def test_spread_with_a_seeded_random_stays_in_bounds() -> None:
    rng = random.Random(42)
    draws = [spread(10.0, 0.2, rng.random) for _ in range(1000)]
    assert all(8.0 <= d <= 12.0 for d in draws)
    assert min(draws) < 8.5 and max(draws) > 11.5  # the whole band is used
    again = random.Random(42)
    assert draws[:5] == [spread(10.0, 0.2, again.random) for _ in range(5)]


def test_spread_without_jitter_is_the_delay() -> None:
    assert spread(7.0, 0.0, random.random) == 7.0


def test_full_jitter_spans_zero_to_the_delay() -> None:
    rng = random.Random(7)
    draws = [full_jitter(4.0, rng.random) for _ in range(1000)]
    assert all(0.0 <= d < 4.0 for d in draws)
    assert min(draws) < 0.2 and max(draws) > 3.8
    assert full_jitter(4.0, lambda: 0.5) == 2.0


def test_retry_after_pushes_later_never_earlier_and_is_capped() -> None:
    assert honour_retry_after(5.0, 60.0, 3600.0) == 60.0
    assert honour_retry_after(120.0, 60.0, 3600.0) == 120.0
    assert honour_retry_after(5.0, 86400.0, 60.0) == 60.0
    assert honour_retry_after(5.0, None, 60.0) == 5.0


@pytest.mark.parametrize(("value", "expected"), [("0", 0.0), ("120", 120.0), (" 7 ", 7.0)])
def test_parse_retry_after_seconds(value: str, expected: float) -> None:
    assert parse_retry_after(value, NOW) == expected


def test_parse_retry_after_http_date_is_relative_to_the_injected_clock() -> None:
    header = format_datetime(datetime.fromtimestamp(NOW + 90, tz=UTC), usegmt=True)
    assert parse_retry_after(header, NOW) == pytest.approx(90)
    assert parse_retry_after(header, NOW + 30) == pytest.approx(60)
    assert parse_retry_after(header, NOW + 1000) == 0.0  # past: now


def test_parse_retry_after_asctime_dates_are_gmt() -> None:
    assert parse_retry_after("Tue Nov 14 22:15:20 2023", NOW) == pytest.approx(120)


@pytest.mark.parametrize("value", ["²", "1²", "١٢", "-5", "1.5", "soon", "", None, "Mon, 99 Foo"])
def test_parse_retry_after_garbage_and_non_ascii_digits_are_none(value: str | None) -> None:
    assert parse_retry_after(value, NOW) is None
