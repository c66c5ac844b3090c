"""Our media ids: 21 random URL-safe characters, as Pipes.bot's, never Meta's Graph id.

64 symbols x 21 places = 126 random bits: unguessable, so an id in a webhook is safe to
show, while ownership is still checked on every download.
"""

import re
import secrets
import string

MEDIA_ID_LENGTH = 21
# Exactly 64 symbols, so secrets.choice draws each with the same probability.
_ALPHABET = string.ascii_letters + string.digits + "-_"
_MEDIA_ID = re.compile(rf"[A-Za-z0-9_-]{{{MEDIA_ID_LENGTH}}}")


def new_media_id() -> str:
    return "".join(secrets.choice(_ALPHABET) for _ in range(MEDIA_ID_LENGTH))


def is_media_id(text: str) -> bool:
    """Whether `text` has the shape of one of our media ids (cheap check before a lookup)."""
    return _MEDIA_ID.fullmatch(text) is not None
