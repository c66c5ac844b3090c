"""Signature headers on every delivery, computed afresh for each attempt.

- ``webhook-id`` / ``webhook-timestamp`` / ``webhook-signature``: Standard Webhooks v1,
  base64 HMAC-SHA256 of ``{id}.{timestamp}.{body}``. The key is the secret's UTF-8 bytes,
  or, for a ``whsec_…`` secret, its base64-decoded part (so Standard Webhooks libraries
  verify with the secret as given).
- ``X-Pipes-Signature``: hex HMAC-SHA256 of the body with the secret's UTF-8 bytes.
- ``X-Hub-Signature-256``: the same digest as ``sha256=<hex>``, the way Meta signs.

During a secret rotation's grace period (``previous``), ``webhook-signature`` carries two
space-separated signatures, the new secret's first (Standard Webhooks libraries accept a
message when any of them verifies), and the old secret's body digests go in
``X-Pipes-Signature-Previous`` and ``X-Hub-Signature-256-Previous``; ``X-Pipes-Signature`` and
``X-Hub-Signature-256`` always carry the new secret's.
"""

import base64
import binascii
import secrets

from wahooks.digests import HUB_PREFIX, hmac_sha256_b64, hmac_sha256_hex

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


def _standard(secret: str, signed: bytes) -> str:
    return "v1," + hmac_sha256_b64(standard_key(secret), signed)


def signature_headers(
    secret: str, webhook_id: str, timestamp: int, body: bytes, previous: str | None = None
) -> dict[str, str]:
    signed = f"{webhook_id}.{timestamp}.".encode() + body
    standard = _standard(secret, signed)
    body_hex = hmac_sha256_hex(secret, body)
    headers = {
        "webhook-id": webhook_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": standard,
        "X-Pipes-Signature": body_hex,
        "X-Hub-Signature-256": HUB_PREFIX + body_hex,
    }
    if previous is not None and previous != secret:
        headers["webhook-signature"] = standard + " " + _standard(previous, signed)
        previous_hex = hmac_sha256_hex(previous, body)
        headers["X-Pipes-Signature-Previous"] = previous_hex
        headers["X-Hub-Signature-256-Previous"] = HUB_PREFIX + previous_hex
    return headers


SIGNATURE_HEADERS = frozenset(
    {
        "webhook-id",
        "webhook-timestamp",
        "webhook-signature",
        "X-Pipes-Signature",
        "X-Hub-Signature-256",
        "X-Pipes-Signature-Previous",
        "X-Hub-Signature-256-Previous",
    }
)
"""Every header ``signature_headers`` may set."""
