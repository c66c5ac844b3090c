"""Media ids (shape, randomness) and WhatsApp's size limits per media type."""

import math
from collections import Counter

import pytest

from wahooks.api.errors import status_of
from wahooks.errors import InvalidRequest
from wahooks.media.ids import MEDIA_ID_LENGTH, is_media_id, new_media_id
from wahooks.media.limits import (
    MAX_MEDIA_BYTES,
    MEDIA_TYPES,
    MediaTooLarge,
    check_media_size,
    human_size,
    size_limit,
)

MB = 1024 * 1024


def test_media_ids_are_21_url_safe_characters() -> None:
    ids = [new_media_id() for _ in range(2000)]
    assert all(len(i) == MEDIA_ID_LENGTH == 21 and is_media_id(i) for i in ids)
    assert len(set(ids)) == len(ids)
    # All 64 symbols occur, none far off its share (42000 draws, ~656 each).
    counts = Counter("".join(ids))
    assert len(counts) == 64
    expected = len(ids) * 21 / 64
    assert all(abs(c - expected) < 8 * math.sqrt(expected) for c in counts.values())


@pytest.mark.parametrize(
    "text", ["", "a" * 20, "a" * 22, "a" * 20 + "/", "a" * 20 + "=", "1234567890123456", "é" * 21]
)
def test_not_media_ids(text: str) -> None:
    assert not is_media_id(text)


@pytest.mark.parametrize(
    ("media_type", "animated", "limit"),
    [
        ("image", False, 5 * MB),
        ("audio", False, 16 * MB),
        ("video", False, 16 * MB),
        ("document", False, 100 * MB),
        ("sticker", False, 100 * 1024),
        ("sticker", True, 500 * 1024),
        ("image", True, 5 * MB),  # "animated" only matters for stickers
    ],
)
def test_limits(media_type: str, animated: bool, limit: int) -> None:
    assert size_limit(media_type, animated=animated) == limit
    check_media_size(media_type, limit, animated=animated)  # exactly at the limit is fine
    with pytest.raises(MediaTooLarge) as refused:
        check_media_size(media_type, limit + 1, animated=animated)
    assert (refused.value.limit, refused.value.size, status_of(refused.value)) == (
        limit,
        limit + 1,
        413,
    )


def test_error_names_the_limit() -> None:
    with pytest.raises(MediaTooLarge) as refused:
        check_media_size("image", 6 * MB + MB // 2)
    assert str(refused.value) == (
        "image files may be at most 5 MB on WhatsApp; this one is 6.5 MB (6815744 bytes)"
    )
    assert refused.value.code == "media_too_large"
    with pytest.raises(MediaTooLarge, match="animated sticker files may be at most 500 KB"):
        check_media_size("sticker", 600 * 1024, animated=True)
    with pytest.raises(MediaTooLarge, match="static sticker files may be at most 100 KB"):
        check_media_size("sticker", 101 * 1024)


def test_every_type_is_within_metas_overall_maximum() -> None:
    assert MEDIA_TYPES == ("image", "audio", "video", "document", "sticker")
    assert max(size_limit(t, animated=True) for t in MEDIA_TYPES) == MAX_MEDIA_BYTES


def test_unknown_type() -> None:
    with pytest.raises(InvalidRequest, match="unknown media type 'gif'"):
        size_limit("gif")


def test_human_size() -> None:
    assert [human_size(n) for n in (0, 999, 1536, 100 * 1024, 5 * MB, 16 * MB + 1)] == [
        "0 bytes",
        "999 bytes",
        "1.5 KB",
        "100 KB",
        "5 MB",
        "16 MB",
    ]
