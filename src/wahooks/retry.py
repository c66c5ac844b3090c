"""How long to wait before trying again: the one retry policy every worker shares.

Deliveries, media downloads, notices, Graph API sends and ``wahooks listen`` each retry on
their own numbers, but they compose the same few pieces: a delay read from a schedule or
doubled from a first delay up to a cap, spread by jitter so clients coming back from an
outage do not all return at the same instant, and pushed later (never earlier) by a server's
``Retry-After``. Keeping the pieces here means one place to get overflow, jitter bounds and
header parsing right; each caller keeps its own schedule, cap and order of composition.

Randomness and time are parameters (``rand``, ``now``), so tests pin them instead of
sleeping or seeding the global generator.
"""

import email.utils
import random
from collections.abc import Callable, Sequence
from datetime import UTC

# A uniform draw from [0, 1), as random.random: tests pass their own.
Rand = Callable[[], float]

# Past this many doublings every sensible cap has been reached long ago, and 2.0**n would
# overflow a float: the cap is returned without computing it.
_MAX_DOUBLINGS = 64


def scheduled(schedule: Sequence[float], attempts_made: int) -> float | None:
    """The delay before attempt ``attempts_made + 1``, or None when the schedule is used up
    (``schedule[k]`` is the wait before attempt k+1)."""
    if attempts_made < 0 or attempts_made >= len(schedule):
        return None
    return float(schedule[attempts_made])


def exponential(first_s: float, attempt: int, cap_s: float) -> float:
    """The delay after the ``attempt``-th failure (1, 2, …): ``first_s``, doubling, at most
    ``cap_s``."""
    if attempt - 1 >= _MAX_DOUBLINGS:
        return float(cap_s)
    return float(min(first_s * 2.0 ** (attempt - 1), cap_s))


def spread(delay_s: float, jitter: float, rand: Rand = random.random) -> float:
    """``delay_s`` moved by a uniform ±``jitter`` fraction (0.2: anywhere in 80% to 120%)."""
    return delay_s * (1 + jitter * (2 * rand() - 1))


def full_jitter(delay_s: float, rand: Rand = random.random) -> float:
    """Anywhere in [0, ``delay_s``): "full jitter", for reconnects, where spreading many
    clients matters more than waiting at least a minimum."""
    return delay_s * rand()


def honour_retry_after(delay_s: float, retry_after_s: float | None, max_s: float) -> float:
    """``delay_s``, pushed later by a ``Retry-After`` (capped at ``max_s``, so a server cannot
    park us for a day); a Retry-After never makes an attempt earlier."""
    if retry_after_s is None:
        return delay_s
    return max(delay_s, min(retry_after_s, max_s))


def parse_retry_after(value: str | None, now: float) -> float | None:
    """``Retry-After`` as delta-seconds or an HTTP date (seconds from ``now``, a Unix time);
    None when absent or unreadable, 0 for a date already past."""
    if not value:
        return None
    value = value.strip()
    # ASCII digits only: str.isdigit() alone takes "²", which float() refuses.
    if value.isascii() and value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:  # asctime form names no zone; HTTP dates are always GMT
        when = when.replace(tzinfo=UTC)
    return max(when.timestamp() - now, 0.0)
