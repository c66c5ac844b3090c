"""Public identifiers: a short type prefix plus unguessable URL-safe random characters."""

import secrets
import string

_ALPHABET = string.ascii_letters + string.digits


def new_id(prefix: str, length: int = 20) -> str:
    """`prefix` + `_` + `length` random alphanumerics, e.g. ``conv_4fQ…``."""
    return f"{prefix}_{random_chars(length)}"


def random_chars(length: int) -> str:
    return "".join(secrets.choice(_ALPHABET) for _ in range(length))
