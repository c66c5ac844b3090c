"""API keys: their format, how they are made and how they are stored.

Three kinds, told apart by their prefix: ``op_live_`` (the operator), ``pk_live_`` (a tenant),
``ak_live_`` (one of a tenant's Apps); each is the prefix plus 32 random characters, shown
once, stored hashed. A key is found by its first 16 characters (unique, indexed) and checked
against a SHA-256 hash in constant time. SHA-256 rather than bcrypt: the keys carry ~190
random bits, so a slow hash buys nothing against guessing and would cost every request
milliseconds.

Below the web layer, so the CLI, the demo and the account services (accounts.py) make keys
without importing the API; api/auth.py only resolves a request's key into a Principal.
"""

from typing import NamedTuple

from wahooks.digests import same, sha256_hex
from wahooks.ids import random_chars
from wahooks.models import KeyKind

KEY_PREFIXES: dict[KeyKind, str] = {
    KeyKind.OPERATOR: "op_live_",
    KeyKind.TENANT: "pk_live_",
    KeyKind.APP: "ak_live_",
}
TENANT_KEY_PREFIX = KEY_PREFIXES[KeyKind.TENANT]
KEY_RANDOM_CHARS = 32
LOOKUP_CHARS = 16


class NewKey(NamedTuple):
    key: str  # shown once
    prefix: str  # stored, for lookup and display
    key_hash: str  # stored


def hash_key(key: str) -> str:
    return sha256_hex(key)


def new_key(kind: KeyKind) -> NewKey:
    key = KEY_PREFIXES[kind] + random_chars(KEY_RANDOM_CHARS)
    return NewKey(key, lookup_prefix(key), hash_key(key))


def lookup_prefix(key: str) -> str:
    """The stored part a key is found by."""
    return key[:LOOKUP_CHARS]


def key_kind(key: str) -> KeyKind | None:
    """The key's kind, or None when it has no known prefix or the wrong length."""
    for kind, prefix in KEY_PREFIXES.items():
        if key.startswith(prefix) and len(key) == len(prefix) + KEY_RANDOM_CHARS:
            return kind
    return None


def key_matches(stored_hash: str | None, key: str) -> bool:
    """Whether ``key`` is the one stored as ``stored_hash`` (constant-time)."""
    return stored_hash is not None and same(stored_hash, hash_key(key))
