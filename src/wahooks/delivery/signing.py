"""Signature headers on every delivery, computed afresh for each attempt.

- ``webhook-id`` / ``webhook-timestamp`` / ``webhook-signature``: Standard Webhooks v1,
  base64 HMAC-SHA256 of ``{id}.{timestamp}.{body}``. The key is the secret's UTF-8 bytes,
  or, for a ``whsec_…`` secret, its base64-decoded part (so Standard Webhooks libraries
  verify with the secret as given).
- ``X-Pipes-Signature``: hex HMAC-SHA256 of the body with the secret's UTF-8 bytes.
- ``X-Hub-Signature-256``: the same digest as ``sha256=<hex>``, the way Meta signs.
"""

import base64
import binascii
import hashlib
import hmac
import secrets

STANDARD_PREFIX = "whsec_"


def new_secret() -> str:
    """A Standard Webhooks style secret: ``whsec_`` + base64 of 24 random bytes (38 chars)."""
    return STANDARD_PREFIX + base64.b64encode(secrets.token_bytes(24)).decode()


def standard_key(secret: str) -> bytes:
    if secret.startswith(STANDARD_PREFIX):
        try:
            return base64.b64decode(secret[len(STANDARD_PREFIX) :], validate=True)
        except binascii.Error:
            pass
    return secret.encode()


def signature_headers(secret: str, webhook_id: str, timestamp: int, body: bytes) -> dict[str, str]:
    signed = f"{webhook_id}.{timestamp}.".encode() + body
    standard = hmac.new(standard_key(secret), signed, hashlib.sha256).digest()
    body_hex = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    return {
        "webhook-id": webhook_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": "v1," + base64.b64encode(standard).decode(),
        "X-Pipes-Signature": body_hex,
        "X-Hub-Signature-256": "sha256=" + body_hex,
    }
