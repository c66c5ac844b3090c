"""Times as the gateway writes and reads them: Unix seconds inside, ISO 8601 outside.

The API, the payload formats and the health notes all show a time as ISO 8601 in UTC with
milliseconds and a ``Z`` (``2025-01-15T10:30:00.000Z``); the API reads times back as ISO 8601
with a timezone. One module so every surface writes the same shape: a client comparing a
delivery's ``createdAt`` with its payload's ``timestamp`` must not meet two spellings.
"""

from datetime import UTC, datetime
from typing import Any, overload

TIME_FORMAT = "ISO 8601 with a timezone, e.g. 2025-06-01T00:00:00Z"


@overload
def iso_time(ts: float) -> str: ...
@overload
def iso_time(ts: None) -> None: ...
@overload
def iso_time(ts: float | None) -> str | None: ...
def iso_time(ts: float | None) -> str | None:
    """Unix seconds as ISO 8601 UTC with milliseconds (``…T10:30:00.000Z``); None stays
    None, for the optional times of API answers."""
    if ts is None:
        return None
    moment = datetime.fromtimestamp(ts, tz=UTC)
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def iso_from_unix_text(unix_seconds: Any) -> str:
    """Meta's timestamp (a string of Unix seconds, ``"1697043223"``) as ISO 8601
    (``"2023-10-11T16:53:43.000Z"``); anything unreadable is passed on as its text rather
    than failing the whole payload."""
    try:
        return iso_time(int(unix_seconds))
    except (TypeError, ValueError, OverflowError, OSError):
        return str(unix_seconds)


def readable_time(ts: float) -> str:
    """Unix seconds as a short UTC time for people (``2025-01-15 10:30 UTC``)."""
    return datetime.fromtimestamp(ts, tz=UTC).strftime("%Y-%m-%d %H:%M UTC")


def parse_time(value: str) -> float:
    """An ISO 8601 time with a timezone, as Unix seconds; ValueError for anything else (a
    time without a zone is refused, not guessed)."""
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise ValueError(f"not a time in {TIME_FORMAT}") from None
    if moment.tzinfo is None:
        raise ValueError(f"needs a timezone ({TIME_FORMAT})")
    try:
        return moment.timestamp()
    except (OverflowError, ValueError):
        raise ValueError("out of range") from None
