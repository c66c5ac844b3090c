"""Secrets at rest: the keyring that encrypts access tokens, app secrets, verify tokens and
webhook secrets before they reach the database.

Fernet (AES-128-CBC + HMAC-SHA256, from the ``cryptography`` package) under a MultiFernet:
``WAHOOKS_SECRET_KEYS`` holds one or more comma-separated keys, the first encrypts and every
one decrypts, so a key is rotated by putting a new one first and restarting (the startup pass
re-encrypts every stored value under the new first key; the old one can then be dropped).
A stored value is ``enc:v1:<Fernet token>``; one without the prefix is legacy plaintext,
encrypted on the next start.

The same keys sign what the gateway hands out and checks later (the media links,
``derive``): a key per purpose, derived, so no signature ever reveals anything about the key
that encrypts; a rotated-out key stops verifying when it is dropped, as it stops decrypting.

Where the keys come from (``open_keyring``): the setting; else, for SQLite, a key file next to
the database, generated (mode 0600) on first start; PostgreSQL without the setting refuses to
start, since every process sharing the database must share the key.
"""

import logging
import os
from collections.abc import Sequence
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken, MultiFernet

from wahooks.database_url import is_sqlite, sqlite_path
from wahooks.digests import hmac_sha256_hex, sha256_hex
from wahooks.errors import ConfigError
from wahooks.files import private_dir

log = logging.getLogger(__name__)

PREFIX = "enc:v1:"
SETTING = "WAHOOKS_SECRET_KEYS"
KEY_FILE_SUFFIX = ".secret-key"
# Decrypted values kept per keyring: one per number and destination in use, so the claim path
# and the ingress do not pay a Fernet decryption per delivery.
_CACHE_SIZE = 10_000


class SecretUnreadable(Exception):
    """A stored secret that none of the configured keys decrypts (a wrong key)."""


class Keyring:
    def __init__(self, keys: Sequence[str | bytes]) -> None:
        if not keys:
            raise ValueError("a keyring needs at least one key")
        self._primary = Fernet(keys[0])
        self._fernet = MultiFernet([Fernet(k) for k in keys])
        self._keys = tuple(k.encode() if isinstance(k, str) else k for k in keys)
        self._cache: dict[str, str] = {}

    def __repr__(self) -> str:  # never the keys, in a log line or a traceback
        return f"Keyring({len(self._keys)} keys)"

    def derive(self, purpose: str) -> tuple[str, ...]:
        """A signing key for ``purpose`` from each key, in the keys' order: sign with the
        first, accept any (a value signed before a rotation checks until its key goes).
        HMAC-SHA256 of the purpose under the key, so keys of different purposes are
        unrelated and none gives the encrypting key away."""
        return tuple(hmac_sha256_hex(key, b"wahooks-derived-key:" + purpose.encode())
                     for key in self._keys)  # fmt: skip

    @staticmethod
    def generate_key() -> str:
        return Fernet.generate_key().decode()

    @staticmethod
    def is_encrypted(value: str) -> bool:
        return value.startswith(PREFIX)

    def encrypt(self, plaintext: str) -> str:
        return PREFIX + self._fernet.encrypt(plaintext.encode()).decode()

    def decrypt(self, stored: str) -> str:
        """The plaintext of a stored value; legacy plaintext (no prefix) comes back as is."""
        if not stored.startswith(PREFIX):
            return stored
        hit = self._cache.get(stored)
        if hit is not None:
            return hit
        try:
            plaintext = self._fernet.decrypt(stored[len(PREFIX) :].encode()).decode()
        except InvalidToken as exc:
            raise SecretUnreadable(
                f"a stored secret cannot be decrypted with the keys of {SETTING}"
            ) from exc
        if len(self._cache) >= _CACHE_SIZE:
            self._cache.clear()
        self._cache[stored] = plaintext
        return plaintext

    def encrypt_optional(self, plaintext: str | None) -> str | None:
        return None if plaintext is None else self.encrypt(plaintext)

    def decrypt_optional(self, stored: str | None) -> str | None:
        return None if stored is None else self.decrypt(stored)

    def reseal(self, stored: str) -> str | None:
        """The value to store instead of ``stored``, or None if it is fine as it is:
        plaintext is encrypted; a value under an older key is re-encrypted under the first.
        SecretUnreadable if no key decrypts it."""
        if not stored.startswith(PREFIX):
            return self.encrypt(stored)
        token = stored[len(PREFIX) :].encode()
        try:
            self._primary.decrypt(token)
            return None
        except InvalidToken:
            pass
        try:
            return PREFIX + self._fernet.rotate(token).decode()
        except InvalidToken as exc:
            raise SecretUnreadable(
                f"a stored secret cannot be decrypted with the keys of {SETTING}"
            ) from exc


def hash_verify_token(token: str) -> str:
    """What Meta's GET handshake looks numbers up by (the token itself is encrypted)."""
    return sha256_hex(token)


def _parse_keys(keys: Sequence[str], source: str) -> list[str]:
    parsed = [k.strip() for k in keys if k.strip()]
    for i, key in enumerate(parsed, 1):
        try:
            Fernet(key)
        except (ValueError, TypeError) as exc:
            raise ConfigError(
                f"{source}: key {i} is not a Fernet key (32 url-safe base64-encoded bytes; "
                "make one with `wahooks secret-key generate`)"
            ) from exc
    return parsed


def key_file_for(database_url: str) -> Path:
    """The generated key file of a SQLite database: next to it."""
    path = sqlite_path(database_url)
    return path.with_name(path.name + KEY_FILE_SUFFIX)


def _read_or_create_key_file(path: Path) -> list[str]:
    try:
        text = path.read_text()
    except FileNotFoundError:
        private_dir(path.parent)
        key = Keyring.generate_key()
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:  # another process made it first: use that one
            return _read_or_create_key_file(path)
        with os.fdopen(fd, "w") as f:
            f.write(key + "\n")
        log.warning(
            "generated the key that encrypts stored secrets: %s (mode 0600). Back it up with "
            "the database: without it, stored access tokens and webhook secrets are lost. "
            "Set %s to use your own.",
            path,
            SETTING,
        )
        return [key]
    except OSError as exc:
        raise ConfigError(f"cannot read the secret key file {path}: {exc}") from exc
    return _parse_keys(text.replace(",", "\n").splitlines(), f"secret key file {path}")


def open_keyring(database_url: str, keys: Sequence[str]) -> Keyring:
    """The keyring for this configuration (see the module doc)."""
    if keys:
        return Keyring(_parse_keys(keys, SETTING))
    if is_sqlite(database_url):
        found = _read_or_create_key_file(key_file_for(database_url))
        if not found:
            raise ConfigError(f"the secret key file {key_file_for(database_url)} holds no key")
        return Keyring(found)
    raise ConfigError(
        f"{SETTING} is not set: with PostgreSQL every gateway process must share the key that "
        "encrypts stored secrets. Make one with `wahooks secret-key generate` and give the "
        f"same {SETTING} to every process."
    )
