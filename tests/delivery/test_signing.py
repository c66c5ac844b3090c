"""Signature headers, checked against the independent ``standardwebhooks`` package and by
recomputing the HMACs here."""

import base64
import hashlib
import hmac
import time

import orjson
import pytest
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from wahooks.delivery.signing import new_secret, signature_headers
from wahooks.delivery.webhook import prepare
from wahooks.demo.receiver import verify
from wahooks.formats.samples import sample_event
from wahooks.models import Destination

BODY = orjson.dumps({"object": "whatsapp_business_account", "text": "héllo 👍"})
PLAIN_SECRET = "plain-secret-of-some-length"
WEBHOOK_ID = "dlv_0123456789abcdef"


def now() -> int:
    return int(time.time())


def hex_hmac(secret: str, body: bytes) -> str:
    return hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def test_all_five_headers_are_present() -> None:
    ts = now()
    headers = signature_headers(PLAIN_SECRET, WEBHOOK_ID, ts, BODY)
    assert set(headers) == {
        "webhook-id",
        "webhook-timestamp",
        "webhook-signature",
        "X-Pipes-Signature",
        "X-Hub-Signature-256",
    }
    assert headers["webhook-id"] == WEBHOOK_ID
    assert headers["webhook-timestamp"] == str(ts)
    assert headers["webhook-signature"].startswith("v1,")
    base64.b64decode(headers["webhook-signature"][3:], validate=True)


def test_standard_webhooks_verifies_a_plain_secret_as_utf8_bytes() -> None:
    headers = signature_headers(PLAIN_SECRET, WEBHOOK_ID, now(), BODY)
    assert Webhook(PLAIN_SECRET.encode()).verify(BODY, headers) == orjson.loads(BODY)


def test_standard_webhooks_verifies_a_generated_secret_as_given() -> None:
    secret = new_secret()
    assert secret.startswith("whsec_")
    headers = signature_headers(secret, WEBHOOK_ID, now(), BODY)
    Webhook(secret).verify(BODY, headers)


def test_standard_webhooks_rejects_a_signature_made_with_another_secret() -> None:
    headers = signature_headers(new_secret(), WEBHOOK_ID, now(), BODY)
    with pytest.raises(WebhookVerificationError):
        Webhook(new_secret()).verify(BODY, headers)


def test_webhook_signature_covers_id_and_timestamp() -> None:
    ts = now()
    headers = signature_headers(PLAIN_SECRET, WEBHOOK_ID, ts, BODY)
    # Same signature, another id: refused (a signature cannot be replayed onto another event).
    with pytest.raises(WebhookVerificationError):
        Webhook(PLAIN_SECRET.encode()).verify(BODY, {**headers, "webhook-id": "dlv_other"})
    with pytest.raises(WebhookVerificationError):
        Webhook(PLAIN_SECRET.encode()).verify(BODY, {**headers, "webhook-timestamp": str(ts - 1)})
    # ... and the signature is exactly HMAC(secret, "id.timestamp.body").
    signed = f"{WEBHOOK_ID}.{ts}.".encode() + BODY
    expected = hmac.new(PLAIN_SECRET.encode(), signed, hashlib.sha256).digest()
    assert headers["webhook-signature"] == "v1," + base64.b64encode(expected).decode()


def test_a_stale_timestamp_is_refused_by_standard_webhooks() -> None:
    headers = signature_headers(PLAIN_SECRET, WEBHOOK_ID, now() - 600, BODY)
    with pytest.raises(WebhookVerificationError):
        Webhook(PLAIN_SECRET.encode()).verify(BODY, headers)


@pytest.mark.parametrize("secret", [PLAIN_SECRET, "whsec_" + "A" * 32, "x" * 256])
def test_pipes_and_hub_signatures_are_hmac_sha256_of_the_body(secret: str) -> None:
    headers = signature_headers(secret, WEBHOOK_ID, now(), BODY)
    digest = hex_hmac(secret, BODY)
    assert headers["X-Pipes-Signature"] == digest
    assert headers["X-Hub-Signature-256"] == "sha256=" + digest
    assert len(digest) == 64 and digest == digest.lower()


def test_generated_secret_signs_body_hmacs_with_the_whole_string() -> None:
    # X-Pipes-Signature / X-Hub-Signature-256 use the secret as shown to the customer,
    # whsec_ prefix included, so a plain HMAC with the string they were given verifies.
    secret = new_secret()
    headers = signature_headers(secret, WEBHOOK_ID, now(), BODY)
    assert headers["X-Pipes-Signature"] == hex_hmac(secret, BODY)


@pytest.mark.parametrize("secret_kind", ["plain", "generated"])
def test_a_tampered_body_fails_every_signature(secret_kind: str) -> None:
    secret = PLAIN_SECRET if secret_kind == "plain" else new_secret()
    key: str | bytes = secret if secret_kind == "generated" else secret.encode()
    headers = signature_headers(secret, WEBHOOK_ID, now(), BODY)
    tampered = BODY.replace(b"h\xc3\xa9llo", b"hallo")
    assert tampered != BODY
    with pytest.raises(WebhookVerificationError):
        Webhook(key).verify(tampered, headers)
    assert headers["X-Pipes-Signature"] != hex_hmac(secret, tampered)
    assert headers["X-Hub-Signature-256"] != "sha256=" + hex_hmac(secret, tampered)
    lowered = {k.lower(): v for k, v in headers.items()}
    assert verify(secret, lowered, BODY, time.time())
    assert not verify(secret, lowered, tampered, time.time())


def test_every_signature_changes_with_the_secret() -> None:
    ts = now()
    a = signature_headers(PLAIN_SECRET, WEBHOOK_ID, ts, BODY)
    b = signature_headers(PLAIN_SECRET + "!", WEBHOOK_ID, ts, BODY)
    for name in ("webhook-signature", "X-Pipes-Signature", "X-Hub-Signature-256"):
        assert a[name] != b[name]


def test_new_secret_is_16_to_256_characters_and_random() -> None:
    secrets = {new_secret() for _ in range(200)}
    assert len(secrets) == 200
    for secret in secrets:
        assert 16 <= len(secret) <= 256
        assert secret.startswith("whsec_")
        assert len(base64.b64decode(secret[len("whsec_") :], validate=True)) >= 24


def test_prepare_signs_the_exact_bytes_it_sends() -> None:
    destination = Destination(
        id="dst_1",
        tenant_id="ten_1",
        number_id=None,
        url="http://127.0.0.1:9/hook",
        secret=new_secret(),
        label="support",
        format="pipes",
        timeout_s=5,
        retry_schedule=(0,),
        enabled=True,
        disabled_reason=None,
        created_at=0,
    )
    ts = time.time()
    request = prepare(destination, sample_event(destination, None, ts), "dlv_x", ts)
    assert request.headers["Content-Type"] == "application/json"
    assert request.headers["webhook-id"] == "dlv_x"
    assert request.headers["webhook-timestamp"] == str(int(ts))
    assert request.timeout_s == 5
    Webhook(destination.secret).verify(request.body, request.headers)
    assert request.headers["X-Pipes-Signature"] == hex_hmac(destination.secret, request.body)
