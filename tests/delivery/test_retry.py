"""The retry schedule as a pure function: no clock, no sleeping, randomness injected."""

import math
import time
from collections.abc import Callable, Iterator, Sequence
from datetime import UTC, datetime
from email.utils import format_datetime

import pytest

from wahooks.config import DEFAULT_RETRY_SCHEDULE, Settings
from wahooks.delivery.retry import next_delay, parse_retry_after

MID: Callable[[], float] = lambda: 0.5  # noqa: E731 - rand() in the middle: no jitter
LOW: Callable[[], float] = lambda: 0.0  # noqa: E731 - the most negative jitter
HIGH: Callable[[], float] = lambda: 1.0  # noqa: E731 - the most positive jitter

MINUTE, HOUR = 60.0, 3600.0


def constant(value: float) -> Callable[[], float]:
    return lambda: value


ISSUE_SCHEDULE = (0, 2, 8, 5 * MINUTE, 30 * MINUTE, 2 * HOUR, 5 * HOUR, 10 * HOUR, 14 * HOUR,
                  20 * HOUR, 24 * HOUR)  # fmt: skip


def delay(
    attempts_made: int,
    *,
    schedule: Sequence[float] = DEFAULT_RETRY_SCHEDULE,
    status_code: int | None = 500,
    retry_after_s: float | None = None,
    jitter: float = 0.2,
    retry_after_max_s: float = 86400,
    rand: Callable[[], float] = MID,
) -> float | None:
    return next_delay(
        schedule,
        attempts_made,
        status_code=status_code,
        retry_after_s=retry_after_s,
        jitter=jitter,
        retry_after_max_s=retry_after_max_s,
        rand=rand,
    )


def test_default_schedule_is_the_one_the_issue_asks_for() -> None:
    assert tuple(DEFAULT_RETRY_SCHEDULE) == ISSUE_SCHEDULE
    settings = Settings()
    assert tuple(settings.default_retry_schedule) == ISSUE_SCHEDULE
    assert settings.retry_jitter == pytest.approx(0.2)
    assert settings.default_timeout_s == 10


def test_next_delay_follows_the_default_schedule_without_jitter() -> None:
    # After attempt k (k attempts made) the wait is schedule[k]: attempt 1 goes out at once,
    # attempt 2 after 2 s, attempt 3 after 8 s, then 5 min ... 24 h.
    got = [delay(k) for k in range(1, len(ISSUE_SCHEDULE))]
    assert got == pytest.approx(list(ISSUE_SCHEDULE[1:]))
    assert delay(0) == 0  # the first attempt: immediately


@pytest.mark.parametrize("attempts_made", range(1, len(ISSUE_SCHEDULE)))
def test_jitter_stays_within_twenty_percent(attempts_made: int) -> None:
    base = ISSUE_SCHEDULE[attempts_made]
    low = delay(attempts_made, rand=LOW)
    high = delay(attempts_made, rand=HIGH)
    assert low == pytest.approx(base * 0.8)
    assert high == pytest.approx(base * 1.2)
    for r in (0.1, 0.25, 0.5, 0.75, 0.99):
        d = delay(attempts_made, rand=constant(r))
        assert d is not None
        assert base * 0.8 - 1e-9 <= d <= base * 1.2 + 1e-9


def test_jitter_spreads_delays_rather_than_shifting_them() -> None:
    # rand() below 0.5 shortens, above lengthens; the spread is symmetric around the schedule.
    base = ISSUE_SCHEDULE[3]
    below = delay(3, rand=lambda: 0.25)
    above = delay(3, rand=lambda: 0.75)
    assert below is not None and above is not None
    assert below < base < above
    assert (below + above) / 2 == pytest.approx(base)


def test_zero_jitter_means_exactly_the_schedule() -> None:
    for k in range(1, len(ISSUE_SCHEDULE)):
        assert delay(k, jitter=0.0, rand=HIGH) == pytest.approx(ISSUE_SCHEDULE[k])


def test_an_immediate_retry_never_goes_negative() -> None:
    assert delay(1, schedule=[0, 0, 5], rand=LOW) == 0.0
    assert delay(1, schedule=[0, 0, 5], rand=HIGH) == 0.0


def test_gives_up_after_the_last_attempt() -> None:
    n = len(ISSUE_SCHEDULE)
    assert delay(n - 1) is not None  # the 11th attempt is still scheduled
    assert delay(n) is None  # after 11 attempts: failed
    assert delay(n + 5) is None
    assert delay(1, schedule=[0]) is None  # a one-attempt schedule never retries
    assert delay(1, schedule=[0, 0.1]) == pytest.approx(0.1)
    assert delay(2, schedule=[0, 0.1]) is None


def test_giving_up_holds_for_429_with_retry_after_too() -> None:
    assert delay(2, schedule=[0, 1], status_code=429, retry_after_s=5) is None


@pytest.mark.parametrize("status", [429, 503])
def test_retry_after_pushes_the_next_attempt_later(status: int) -> None:
    # Schedule says 2 s; the receiver asks for 120 s: we wait 120 s.
    assert delay(1, status_code=status, retry_after_s=120) == pytest.approx(120)
    # ... even with the most negative jitter.
    assert delay(1, status_code=status, retry_after_s=120, rand=LOW) == pytest.approx(120)


@pytest.mark.parametrize("status", [429, 503])
def test_retry_after_never_makes_an_attempt_earlier(status: int) -> None:
    # Schedule says 5 min; the receiver asks for 1 s: the schedule wins.
    assert delay(3, status_code=status, retry_after_s=1) == pytest.approx(300)
    assert delay(3, status_code=status, retry_after_s=0) == pytest.approx(300)
    assert delay(3, status_code=status, retry_after_s=1, rand=HIGH) == pytest.approx(360)


@pytest.mark.parametrize("status", [429, 503])
def test_retry_after_is_capped(status: int) -> None:
    assert delay(
        1, status_code=status, retry_after_s=10**9, retry_after_max_s=3600
    ) == pytest.approx(3600)
    # The cap never shortens the schedule itself.
    assert delay(
        10, status_code=status, retry_after_s=10**9, retry_after_max_s=3600
    ) == pytest.approx(86400)


@pytest.mark.parametrize("status", [500, 502, 504, 400, 404, 410, 301, None])
def test_retry_after_is_ignored_on_other_answers(status: int | None) -> None:
    assert delay(1, status_code=status, retry_after_s=120) == pytest.approx(2)


def test_retry_after_absent_on_429_follows_the_schedule() -> None:
    assert delay(2, status_code=429, retry_after_s=None) == pytest.approx(8)


# --- parse_retry_after ------------------------------------------------------------------

NOW = 1_700_000_000.0


@pytest.mark.parametrize(
    ("value", "expected"),
    [("120", 120.0), ("0", 0.0), (" 7 ", 7.0), ("86400", 86400.0)],
)
def test_parse_retry_after_delta_seconds(value: str, expected: float) -> None:
    assert parse_retry_after(value, NOW) == expected


@pytest.mark.parametrize("value", ["²", "١٢", "12a", "-5"])
def test_parse_retry_after_takes_ascii_digits_only(value: str) -> None:
    # "²".isdigit() is true and float("²") raises: a receiver's header must not break us.
    assert parse_retry_after(value, NOW) is None


def test_parse_retry_after_http_date() -> None:
    later = datetime.fromtimestamp(NOW + 90, tz=UTC)
    header = format_datetime(later, usegmt=True)  # "Tue, 14 Nov 2023 22:14:50 GMT"
    assert header.endswith("GMT")
    assert parse_retry_after(header, NOW) == pytest.approx(90)


def test_parse_retry_after_numeric_offset() -> None:
    assert parse_retry_after("Tue, 14 Nov 2023 23:13:20 +0100", NOW) == pytest.approx(0)
    assert parse_retry_after("Tue, 14 Nov 2023 22:15:20 GMT", NOW) == pytest.approx(120)


@pytest.fixture
def far_from_utc(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Run with a local time zone hours away from UTC, so local-vs-GMT mix-ups show."""
    monkeypatch.setenv("TZ", "America/New_York")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


@pytest.mark.parametrize(
    "value",
    [
        "Tue, 14 Nov 2023 22:15:20 GMT",  # IMF-fixdate
        "Tuesday, 14-Nov-23 22:15:20 GMT",  # RFC 850, obsolete but allowed
        "Tue Nov 14 22:15:20 2023",  # asctime: no zone written, and it means GMT
    ],
)
def test_parse_retry_after_http_dates_are_gmt_whatever_the_local_zone(
    far_from_utc: None, value: str
) -> None:
    assert parse_retry_after(value, NOW) == pytest.approx(120)


def test_parse_retry_after_date_in_the_past_means_now() -> None:
    earlier = format_datetime(datetime.fromtimestamp(NOW - 3600, tz=UTC), usegmt=True)
    assert parse_retry_after(earlier, NOW) == 0.0


@pytest.mark.parametrize(
    "value",
    [None, "", "   ", "soon", "-5", "1.5", "12abc", "Tue, 99 Foo 2023", "tomorrow at noon"],
)
def test_parse_retry_after_garbage_is_none(value: str | None) -> None:
    assert parse_retry_after(value, NOW) is None


def test_parsed_retry_after_is_finite() -> None:
    parsed = parse_retry_after("5", NOW)
    assert parsed is not None and math.isfinite(parsed)
