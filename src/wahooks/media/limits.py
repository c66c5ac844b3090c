"""WhatsApp's size limits per media type, and the error that names the one exceeded.

Meta's Cloud API documentation (supported media types) gives: image 5 MB, audio 16 MB,
video 16 MB, document 100 MB, sticker 100 KB static / 500 KB animated; nothing over 100 MB
is accepted at all (error 131052). Sizes here are binary (1 MB = 1024 x 1024 bytes), like
the simulator's upload limit.
"""

from typing import Literal, get_args

from wahooks.errors import InvalidRequest, PayloadTooLarge

MediaType = Literal["image", "audio", "video", "document", "sticker"]
MEDIA_TYPES: tuple[MediaType, ...] = get_args(MediaType)

KB = 1024
MB = 1024 * KB
MAX_MEDIA_BYTES = 100 * MB

_LIMITS: dict[str, int] = {
    "image": 5 * MB,
    "audio": 16 * MB,
    "video": 16 * MB,
    "document": 100 * MB,
    "sticker": 100 * KB,
}
ANIMATED_STICKER_BYTES = 500 * KB


class MediaTooLarge(PayloadTooLarge):
    code = "media_too_large"

    def __init__(self, media_type: str, size: int | None, limit: int, *, animated: bool) -> None:
        """`size` None: a stream cut off at the limit, so only "larger" is known."""
        kind = (
            f"{'animated' if animated else 'static'} sticker"
            if media_type == "sticker"
            else media_type
        )
        this = "is larger" if size is None else f"is {human_size(size)} ({size} bytes)"
        super().__init__(
            f"{kind} files may be at most {human_size(limit)} on WhatsApp; this one {this}"
        )
        self.media_type = media_type
        self.size = size
        self.limit = limit


def size_limit(media_type: str, *, animated: bool = False) -> int:
    """The largest file WhatsApp takes for `media_type`, in bytes."""
    if media_type == "sticker" and animated:
        return ANIMATED_STICKER_BYTES
    limit = _LIMITS.get(media_type)
    if limit is None:
        raise InvalidRequest(
            f"unknown media type {media_type!r}; expected one of {', '.join(MEDIA_TYPES)}"
        )
    return limit


def check_media_size(media_type: str, size: int, *, animated: bool = False) -> None:
    """MediaTooLarge (HTTP 413) if `size` bytes is over WhatsApp's limit for the type."""
    limit = size_limit(media_type, animated=animated)
    if size > limit:
        raise MediaTooLarge(media_type, size, limit, animated=animated)


def human_size(size: int) -> str:
    """``5242880`` -> ``5 MB``, ``102400`` -> ``100 KB``, ``1536`` -> ``1.5 KB``."""
    for unit, factor in (("MB", MB), ("KB", KB)):
        if size >= factor:
            return f"{size / factor:.1f}".removesuffix(".0") + f" {unit}"
    return f"{size} bytes"
