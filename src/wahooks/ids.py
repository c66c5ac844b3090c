"""Public identifiers: a short type prefix plus unguessable URL-safe random characters, and
our media ids (the store mints them as it records an inbound file)."""

import re
import secrets
import string

_ALPHABET = string.ascii_letters + string.digits


def new_id(prefix: str, length: int = 20) -> str:
    """`prefix` + `_` + `length` random alphanumerics, e.g. ``conv_4fQ…``."""
    return f"{prefix}_{random_chars(length)}"


def random_chars(length: int) -> str:
    return "".join(secrets.choice(_ALPHABET) for _ in range(length))


# Media ids: 21 random URL-safe characters, as Pipes.bot's, never Meta's Graph id.
# 64 symbols x 21 places = 126 random bits: unguessable, so an id in a webhook is safe to
# show, while ownership is still checked on every download.
MEDIA_ID_LENGTH = 21
# Exactly 64 symbols, so secrets.choice draws each with the same probability.
_MEDIA_ALPHABET = string.ascii_letters + string.digits + "-_"
_MEDIA_ID = re.compile(rf"[A-Za-z0-9_-]{{{MEDIA_ID_LENGTH}}}")


def new_media_id() -> str:
    return "".join(secrets.choice(_MEDIA_ALPHABET) for _ in range(MEDIA_ID_LENGTH))


def is_media_id(text: str) -> bool:
    """Whether `text` has the shape of one of our media ids (cheap check before a lookup)."""
    return _MEDIA_ID.fullmatch(text) is not None
