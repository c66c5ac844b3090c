"""When to try a delivery again: a pure function of the destination's schedule and the
response, built on the shared retry policy (wahooks.retry)."""

from collections.abc import Callable, Sequence

from wahooks.retry import honour_retry_after, parse_retry_after, scheduled, spread

__all__ = [
    "GONE",
    "INTERNAL",
    "THROTTLE_STATUSES",
    "UNRENDERABLE",
    "next_delay",
    "parse_retry_after",
]

THROTTLE_STATUSES = frozenset({429, 503})
GONE = 410
# Attempts that failed before anything was sent (the error kinds recorded on them).
UNRENDERABLE = "unrenderable"  # the format cannot render the event: no retry would
INTERNAL = "internal"  # our own error: retried as the schedule says


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
    base = scheduled(schedule, attempts_made)
    if base is None:
        return None
    delay = spread(base, jitter, rand)
    if status_code in THROTTLE_STATUSES:
        delay = honour_retry_after(delay, retry_after_s, retry_after_max_s)
    return max(delay, 0.0)
