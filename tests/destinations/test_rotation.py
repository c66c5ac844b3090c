"""Secret rotation: a new secret at once, the old one signing too for a grace period, checked
with the independent ``standardwebhooks`` package and by recomputing the HMACs."""

import hashlib
import hmac
import time
from datetime import datetime

import orjson
import pytest
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from tests.api.helpers import assert_error
from tests.conftest import RunningGateway, add_destination, gateway_with_sim
from tests.destinations.helpers import JumpingClock, destination
from wahooks.delivery.signing import signature_headers
from wahooks.demo.receiver import Arrival, Receiver
from wahooks.sim import Simulator

BODY = orjson.dumps({"hello": "world"})
OLD = "old-secret-0123456789"
NEW = "new-secret-9876543210"


def hex_hmac(secret: str, body: bytes) -> str:
    return hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def verifies(secret: str, arrival: Arrival) -> bool:
    try:
        Webhook(secret.encode() if not secret.startswith("whsec_") else secret).verify(
            arrival.body, arrival.headers
        )
    except WebhookVerificationError:
        return False
    return True


# --- signing -------------------------------------------------------------------------------


def test_with_a_previous_secret_both_sign() -> None:
    headers = signature_headers(NEW, "dlv_1", int(time.time()), BODY, previous=OLD)
    assert len(headers["webhook-signature"].split(" ")) == 2
    Webhook(NEW.encode()).verify(BODY, headers)
    Webhook(OLD.encode()).verify(BODY, headers)
    with pytest.raises(WebhookVerificationError):
        Webhook(b"a-third-secret-nobody-has").verify(BODY, headers)
    assert headers["X-Pipes-Signature"] == hex_hmac(NEW, BODY)
    assert headers["X-Hub-Signature-256"] == "sha256=" + hex_hmac(NEW, BODY)
    assert headers["X-Pipes-Signature-Previous"] == hex_hmac(OLD, BODY)
    assert headers["X-Hub-Signature-256-Previous"] == "sha256=" + hex_hmac(OLD, BODY)


def test_without_a_previous_secret_only_one_signs() -> None:
    headers = signature_headers(NEW, "dlv_1", int(time.time()), BODY)
    assert " " not in headers["webhook-signature"]
    assert "X-Pipes-Signature-Previous" not in headers
    with pytest.raises(WebhookVerificationError):
        Webhook(OLD.encode()).verify(BODY, headers)


# --- the endpoint ----------------------------------------------------------------------------


@pytest.mark.e2e
async def test_rotation_signs_with_both_secrets_until_the_grace_period_ends(
    database_url: str, receiver: Receiver
) -> None:
    clock = JumpingClock()
    async with gateway_with_sim(database_url, clock=clock) as (gateway, sim):
        await _rotate_and_outlive_the_grace_period(gateway, sim, receiver, clock)


async def _rotate_and_outlive_the_grace_period(
    gateway: RunningGateway, sim: Simulator, receiver: Receiver, clock: JumpingClock
) -> None:
    created = await add_destination(gateway, receiver, secret=OLD, retrySchedule=[0, 0.1])
    path = f"/v1/destinations/{created['id']}"
    receiver.secret = None  # answer 200 whatever the signatures: this test checks them itself

    status, rotated = await gateway.api(
        "POST", path + "/rotate-secret", {"secret": NEW, "graceSeconds": 120}
    )
    assert status == 200, rotated
    assert rotated["secret"] == NEW
    assert rotated["previousSecretExpiresAt"] is not None
    # The secret is shown in that answer only.
    shown = await destination(gateway, created["id"])
    assert shown["secret"] is None and shown["previousSecretExpiresAt"] is not None

    await sim.send(sim.user("15551231111", "Rot"), "text", body="during")
    await receiver.wait_for(lambda r: len(r.arrivals) == 1)
    during = receiver.arrivals[0]
    assert verifies(NEW, during) and verifies(OLD, during)
    assert during.headers["x-pipes-signature"] == hex_hmac(NEW, during.body)
    assert during.headers["x-pipes-signature-previous"] == hex_hmac(OLD, during.body)
    assert during.headers["x-hub-signature-256-previous"] == "sha256=" + hex_hmac(OLD, during.body)

    # Past the grace period, and within the 5 minutes Standard Webhooks lets a timestamp be off.
    clock.jump(121)
    await sim.send(sim.user("15551231111", "Rot"), "text", body="after")
    await receiver.wait_for(lambda r: len(r.arrivals) == 2)
    after = receiver.arrivals[1]
    assert verifies(NEW, after)
    assert not verifies(OLD, after)
    assert "x-pipes-signature-previous" not in after.headers
    assert after.headers["x-pipes-signature"] == hex_hmac(NEW, after.body)
    assert (await destination(gateway, created["id"]))["previousSecretExpiresAt"] is None


async def test_rotation_without_a_body_generates_a_secret_with_a_day_of_grace(
    gateway: RunningGateway, receiver: Receiver
) -> None:
    created = await add_destination(gateway, receiver, secret=OLD)
    before = time.time()
    status, rotated = await gateway.api("POST", f"/v1/destinations/{created['id']}/rotate-secret")
    assert status == 200, rotated
    assert rotated["secret"].startswith("whsec_") and rotated["secret"] != OLD
    expires = rotated["previousSecretExpiresAt"]
    until = datetime.fromisoformat(expires.replace("Z", "+00:00")).timestamp()
    assert before + 86400 - 5 <= until <= time.time() + 86400 + 5

    # The test send signs with both.
    receiver.secret = rotated["secret"]
    status, result = await gateway.api("POST", f"/v1/destinations/{created['id']}/test")
    assert status == 200, result
    assert result["success"] is True
    (arrival,) = receiver.arrivals
    assert verifies(OLD, arrival) and verifies(rotated["secret"], arrival)
    sent = result["signatureHeaders"]
    assert sent["X-Pipes-Signature-Previous"] == hex_hmac(OLD, arrival.body)
    assert sent["webhook-signature"] == arrival.headers["webhook-signature"]


async def test_rotating_again_drops_the_oldest_and_grace_zero_keeps_none(
    gateway: RunningGateway, receiver: Receiver
) -> None:
    created = await add_destination(gateway, receiver, secret=OLD)
    path = f"/v1/destinations/{created['id']}"
    third = "third-secret-abcdefgh"
    for secret in (NEW, third):
        status, body = await gateway.api("POST", path + "/rotate-secret", {"secret": secret})
        assert status == 200, body
    receiver.secret = third
    status, result = await gateway.api("POST", path + "/test")
    assert status == 200 and result["success"], result
    (arrival,) = receiver.arrivals
    assert verifies(third, arrival) and verifies(NEW, arrival) and not verifies(OLD, arrival)

    status, body = await gateway.api(
        "POST", path + "/rotate-secret", {"secret": OLD, "graceSeconds": 0}
    )
    assert status == 200 and body["previousSecretExpiresAt"] is None, body
    receiver.secret = OLD
    status, result = await gateway.api("POST", path + "/test")
    assert status == 200 and result["success"], result
    last = receiver.arrivals[-1]
    assert verifies(OLD, last) and not verifies(third, last)
    assert "X-Pipes-Signature-Previous" not in result["signatureHeaders"]


async def test_a_secret_set_by_patch_replaces_the_old_one_at_once(
    gateway: RunningGateway, receiver: Receiver
) -> None:
    created = await add_destination(gateway, receiver, secret=OLD)
    path = f"/v1/destinations/{created['id']}"
    status, body = await gateway.api("POST", path + "/rotate-secret", {"secret": NEW})
    assert status == 200, body
    status, body = await gateway.api("PATCH", path, {"secret": "patched-secret-123456"})
    assert status == 200, body
    assert body["secret"] == "patched-secret-123456"
    assert body["previousSecretExpiresAt"] is None
    receiver.secret = "patched-secret-123456"
    status, result = await gateway.api("POST", path + "/test")
    assert status == 200 and result["success"], result
    (arrival,) = receiver.arrivals
    assert not verifies(NEW, arrival) and not verifies(OLD, arrival)


async def test_rotation_bodies_are_validated(gateway: RunningGateway, receiver: Receiver) -> None:
    created = await add_destination(gateway, receiver, secret=OLD)
    path = f"/v1/destinations/{created['id']}/rotate-secret"
    cases = [
        ({"secret": "s" * 15}, "secret"),
        ({"secret": "s" * 257}, "secret"),
        ({"secret": 12345678901234567}, "secret"),
        ({"graceSeconds": -1}, "graceSeconds"),
        ({"graceSeconds": 7 * 86400 + 1}, "graceSeconds"),
        ({"graceSeconds": "a day"}, "graceSeconds"),
        ({"grace": 10}, "grace"),
        ([NEW], None),
    ]
    for body, mentions in cases:
        status, answer = await gateway.api("POST", path, body)
        assert_error(status, answer, 400, mentions)
    status, answer = await gateway.api(
        "POST", path, data=b'{"graceSeconds": NaN}', headers={"Content-Type": "application/json"}
    )
    assert_error(status, answer, 400, "graceSeconds")
    status, answer = await gateway.api("POST", "/v1/destinations/dst_nope/rotate-secret")
    assert_error(status, answer, 404, "dst_nope")
    # Nothing above changed the secret.
    receiver.secret = OLD
    status, result = await gateway.api("POST", f"/v1/destinations/{created['id']}/test")
    assert status == 200 and result["success"], result
    assert "X-Pipes-Signature-Previous" not in result["signatureHeaders"]
