"""The one time format: ISO 8601 UTC with milliseconds out, ISO 8601 with a zone in."""

from typing import Any

import pytest

from wahooks.times import iso_from_unix_text, iso_time, parse_time, readable_time


def test_iso_time_writes_utc_with_milliseconds_and_z() -> None:
    assert iso_time(1736937000) == "2025-01-15T10:30:00.000Z"
    assert iso_time(1736937000.1239) == "2025-01-15T10:30:00.123Z"  # truncated, not rounded
    assert iso_time(0) == "1970-01-01T00:00:00.000Z"
    assert iso_time(None) is None


@pytest.mark.parametrize(
    ("unix", "expected"),
    [
        ("1697043223", "2023-10-11T16:53:43.000Z"),
        (1697043223, "2023-10-11T16:53:43.000Z"),
        ("not a time", "not a time"),
        (None, "None"),
        ("9" * 30, "9" * 30),
    ],
)
def test_iso_from_unix_text_passes_on_what_it_cannot_read(unix: Any, expected: str) -> None:
    assert iso_from_unix_text(unix) == expected


def test_readable_time() -> None:
    assert readable_time(1736937000) == "2025-01-15 10:30 UTC"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2025-01-15T10:30:00Z", 1736937000.0),
        ("2025-01-15T10:30:00.000Z", 1736937000.0),
        ("2025-01-15T12:30:00+02:00", 1736937000.0),
    ],
)
def test_parse_time_reads_what_iso_time_writes(text: str, expected: float) -> None:
    assert parse_time(text) == expected
    assert parse_time(iso_time(expected)) == expected


@pytest.mark.parametrize(
    ("text", "message"),
    [("2025-01-15T10:30:00", "needs a timezone"), ("yesterday", "not a time"), ("", "not a time")],
)
def test_parse_time_refuses_times_without_a_zone_and_garbage(text: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_time(text)
