"""When to try a delivery again: a pure function of the schedule and the response."""

import email.utils
from collections.abc import Callable, Sequence
from datetime import UTC

THROTTLE_STATUSES = frozenset({429, 503})
GONE = 410


def next_delay(
    schedule: Sequence[float],
    attempts_made: int,
    *,
    status_code: int | None,
    retry_after_s: float | None,
    jitter: float,
    retry_after_max_s: float,
    rand: Callable[[], float],
) -> float | None:
    """Seconds until the next attempt, or None when the schedule is used up.

    ``schedule[k]`` is the delay before attempt k+1; each is spread by ±``jitter`` so
    receivers coming back from an outage are not hit by every retry at the same moment.
    A ``Retry-After`` on 429/503 pushes the attempt later, never earlier.
    """
    if attempts_made >= len(schedule):
        return None
    delay = schedule[attempts_made] * (1 + jitter * (2 * rand() - 1))
    if status_code in THROTTLE_STATUSES and retry_after_s is not None:
        delay = max(delay, min(retry_after_s, retry_after_max_s))
    return max(delay, 0.0)


def parse_retry_after(value: str | None, now: float) -> float | None:
    """``Retry-After`` as delta-seconds or an HTTP date; None when absent or unreadable."""
    if not value:
        return None
    value = value.strip()
    if value.isascii() and value.isdigit():  # str.isdigit() alone takes "²": float() not
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:  # asctime form names no zone; HTTP dates are always GMT
        when = when.replace(tzinfo=UTC)
    return max(when.timestamp() - now, 0.0)
