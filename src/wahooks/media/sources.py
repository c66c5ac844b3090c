"""What a send's ``media`` value is: one of our media ids, an https URL, or base64 (pure).

Auto-detected as Pipes.bot does: 21 id characters are a media id (no base64 string has
length 21, so the two cannot be confused), ``https://`` is a URL, anything else must be
base64 — plain, URL-safe, with or without padding or line breaks, or a ``data:`` URL, whose
MIME type then stands in for ``mimeType``.
"""

from __future__ import annotations

import base64
import binascii
import re
from dataclasses import dataclass
from urllib.parse import urlsplit

from wahooks.errors import InvalidRequest, PayloadTooLarge
from wahooks.media.ids import is_media_id
from wahooks.media.limits import human_size

_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*://")
_DATA_URL = re.compile(r"data:([^;,]*)((?:;[^;,]*)*);base64,", re.IGNORECASE)
_WHITESPACE = re.compile(r"\s+")


@dataclass(frozen=True, slots=True)
class StoredSource:
    media_id: str


@dataclass(frozen=True, slots=True)
class UrlSource:
    url: str


@dataclass(frozen=True, slots=True)
class InlineSource:
    data: bytes
    mime_type: str | None  # from a data: URL


MediaSource = StoredSource | UrlSource | InlineSource


class InlineTooLarge(PayloadTooLarge):
    code = "inline_media_too_large"


def parse_media(value: str, *, max_inline_bytes: int) -> MediaSource:
    """Detect the mode of `value`; InvalidRequest (400) or InlineTooLarge (413) if unusable."""
    if is_media_id(value):
        return StoredSource(value)
    if _SCHEME.match(value):
        return UrlSource(check_https_url(value))
    mime_type = None
    found = _DATA_URL.match(value)
    if found is not None:
        mime_type = found.group(1).strip() + found.group(2) or None
        value = value[found.end() :]
    return InlineSource(decode_base64(value, max_inline_bytes), mime_type)


def check_https_url(url: str) -> str:
    """`url` if it is an absolute https URL; plain http (or anything else) is refused."""
    parts = urlsplit(url)
    if parts.scheme.lower() != "https":
        raise InvalidRequest(
            f"media: only https:// URLs are fetched, not {parts.scheme}://", code="insecure_url"
        )
    if not parts.hostname:
        raise InvalidRequest("media: the URL has no host")
    return url


def decode_base64(text: str, max_bytes: int) -> bytes:
    compact = _WHITESPACE.sub("", text)
    # Three bytes per four characters: refuse before decoding anything too big.
    if len(compact) // 4 * 3 > max_bytes + 2:
        raise InlineTooLarge(
            f"media: inline (base64) files may be at most {human_size(max_bytes)}; "
            "upload bigger ones with POST /v1/media, or send an https URL"
        )
    padded = compact + "=" * (-len(compact) % 4)
    alphabet = b"-_" if ("-" in compact or "_" in compact) else None
    try:
        data = base64.b64decode(padded, altchars=alphabet, validate=True)
    except (binascii.Error, ValueError):
        raise InvalidRequest(
            "media: not one of our 21-character media ids, an https:// URL, or valid base64",
            code="invalid_media",
        ) from None
    if len(data) > max_bytes:
        raise InlineTooLarge(
            f"media: inline (base64) files may be at most {human_size(max_bytes)}; "
            "upload bigger ones with POST /v1/media, or send an https URL"
        )
    if not data:
        raise InvalidRequest("media: the file is empty")
    return data
