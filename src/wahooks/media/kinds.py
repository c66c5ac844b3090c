"""Which WhatsApp message type a file is sent as, from its MIME type (pure).

WhatsApp shows images, videos and audio inline only in a few formats (Meta's "supported
media types"): JPEG and PNG images, MP4 and 3GPP video, AAC, AMR, MP3, MP4 and OGG audio,
and WebP as stickers. Everything else still arrives, as a document, which is what a user
would expect from "send this file".
"""

from wahooks.errors import InvalidRequest
from wahooks.media.limits import MediaType, check_media_size

_IMAGE = frozenset({"image/jpeg", "image/png"})
_VIDEO = frozenset({"video/mp4", "video/3gpp"})
_AUDIO = frozenset({"audio/aac", "audio/amr", "audio/mpeg", "audio/mp4", "audio/ogg"})
_STICKER = frozenset({"image/webp"})
# Meta takes a caption on these and nowhere else.
CAPTIONED: frozenset[str] = frozenset({"image", "video", "document"})
MAX_CAPTION_CHARS = 1024
# A WebP file's VP8X header (byte 20) carries flags; 0x02 says "animated".
_VP8X_FLAGS_AT = 20
_ANIMATION_FLAG = 0x02


def base_mime(mime_type: str) -> str:
    """``audio/ogg; codecs=opus`` -> ``audio/ogg``."""
    return mime_type.split(";", 1)[0].strip().lower()


def check_mime(mime_type: str) -> str:
    """`mime_type` if it is a ``type/subtype`` string; InvalidRequest otherwise."""
    base = base_mime(mime_type)
    kind, _, sub = base.partition("/")
    # Control characters (NUL, CR, LF) can be neither stored (PostgreSQL) nor sent back in
    # a Content-Type header.
    control = any(not c.isprintable() for c in mime_type)
    if not kind or not sub or any(c.isspace() for c in base) or control or len(mime_type) > 200:
        raise InvalidRequest(f"mimeType: {mime_type!r} is not a MIME type like image/jpeg")
    return mime_type.strip()


def message_type(mime_type: str) -> MediaType:
    """image, video, audio, sticker or document: how a file of this type is sent."""
    base = base_mime(mime_type)
    if base in _IMAGE:
        return "image"
    if base in _VIDEO:
        return "video"
    if base in _AUDIO:
        return "audio"
    if base in _STICKER:
        return "sticker"
    return "document"


def is_animated_webp(head: bytes) -> bool:
    """Whether these first bytes of a WebP file say it is animated (VP8X animation flag)."""
    return (
        len(head) > _VP8X_FLAGS_AT
        and head[:4] == b"RIFF"
        and head[8:16] == b"WEBPVP8X"
        and bool(head[_VP8X_FLAGS_AT] & _ANIMATION_FLAG)
    )


def check_sendable(
    kind: MediaType, size: int, caption: str | None, *, animated: bool = False
) -> None:
    """WhatsApp's rules for one file: its type's size limit (413) and where captions go."""
    check_media_size(kind, size, animated=animated)
    if size == 0:
        raise InvalidRequest("media: the file is empty")
    if caption is None:
        return
    if kind not in CAPTIONED:
        raise InvalidRequest(
            f"caption: WhatsApp {kind} messages cannot carry a caption or text; "
            "send the text as its own message"
        )
    if len(caption) > MAX_CAPTION_CHARS:
        raise InvalidRequest(
            f"caption: {len(caption)} characters; WhatsApp takes at most {MAX_CAPTION_CHARS}"
        )
