"""Meta's X-Hub-Signature-256: ``sha256=`` + hex HMAC-SHA256(app secret, raw body)."""

import hashlib
import hmac

PREFIX = "sha256="


def is_valid(body: bytes, header: str | None, app_secret: str) -> bool:
    """Checked on the raw bytes (Meta escapes non-ASCII; re-serialising would break it)."""
    if not header or not header.startswith(PREFIX):
        return False
    expected = hmac.new(app_secret.encode(), body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, header[len(PREFIX) :].strip().lower())
