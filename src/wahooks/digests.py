"""SHA-256 digests, keyed (HMAC) and plain, in the encodings the gateway exchanges them in.

Keyed: delivery signatures (hex and base64 HMAC of what we send), Meta's
``X-Hub-Signature-256`` on what we receive, and the demo receiver's checks. Plain: what API
keys, verify tokens and activation codes are stored and looked up as. One module, so a key
is always encoded the same way (a ``str`` key is its UTF-8 bytes) and every comparison of a
secret-derived value is constant-time.
"""

import base64
import hashlib
import hmac

# Meta's spelling of a hex HMAC-SHA256 in a header: ``sha256=<hex>``.
HUB_PREFIX = "sha256="


def _key_bytes(key: str | bytes) -> bytes:
    return key.encode() if isinstance(key, str) else key


def hmac_sha256_hex(key: str | bytes, message: bytes) -> str:
    return hmac.new(_key_bytes(key), message, hashlib.sha256).hexdigest()


def hmac_sha256_b64(key: str | bytes, message: bytes) -> str:
    digest = hmac.new(_key_bytes(key), message, hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


def sha256_hex(data: str | bytes) -> str:
    """A plain digest (``str`` as UTF-8), for values looked up by hash: the inputs carry
    enough randomness that a slow hash would buy nothing."""
    return hashlib.sha256(_key_bytes(data)).hexdigest()


def same(a: str, b: str) -> bool:
    """Constant-time equality, for anything derived from a secret (signatures, key hashes):
    an early exit would tell an attacker how much of a guess was right."""
    return hmac.compare_digest(a.encode(), b.encode())


def hub_signature_valid(body: bytes, header: str | None, secret: str) -> bool:
    """An ``X-Hub-Signature-256`` header against the raw body (hex case-insensitive)."""
    if not header or not header.startswith(HUB_PREFIX):
        return False
    return same(hmac_sha256_hex(secret, body), header[len(HUB_PREFIX) :].strip().lower())
