"""The test send ("Test Connection"/"Test Webhook"): a sample in the destination's own format
with its test marker, signed, and a result that shows what was sent and how it was answered."""

import pytest
from standardwebhooks.webhooks import Webhook

from tests.conftest import RunningGateway, add_destination
from tests.destinations.helpers import deliveries, destination
from wahooks.delivery.signing import SIGNATURE_HEADERS
from wahooks.demo.receiver import Receiver
from wahooks.sim import Simulator

# Where each format puts its test marker.
MARKERS = {
    "pipes": lambda p: p["pipes"]["test"],
    "meta": lambda p: p["test"],
    "whatspie": lambda p: p["test"],
    "wassenger": lambda p: p["wahooks"]["test"],
}


@pytest.mark.parametrize("format_name", sorted(MARKERS))
async def test_every_format_sends_its_test_payload(
    gateway: RunningGateway, sim: Simulator, receiver: Receiver, format_name: str
) -> None:
    created = await add_destination(gateway, receiver, format=format_name)
    status, result = await gateway.api("POST", f"/v1/destinations/{created['id']}/test")
    assert status == 200, result
    assert result["success"] is True, result
    assert result["statusCode"] == 200
    assert result["latencyMs"] > 0
    assert result["responseExcerpt"] == '{"ok":true}'
    assert result["format"] == format_name
    (arrival,) = receiver.arrivals
    assert arrival.verified
    Webhook(created["secret"]).verify(arrival.body, arrival.headers)
    # The result shows exactly what was sent: the payload and the signature headers.
    assert result["payload"] == arrival.json()
    assert MARKERS[format_name](result["payload"]) is True
    sent = result["signatureHeaders"]
    assert set(sent) == SIGNATURE_HEADERS - {
        "X-Pipes-Signature-Previous",
        "X-Hub-Signature-256-Previous",
    }
    assert {k.lower(): v for k, v in sent.items()} == {
        k: v for k, v in arrival.headers.items() if k in {h.lower() for h in sent}
    }
    assert sent["webhook-id"] == result["webhookId"]


async def test_a_failing_receiver_is_reported_and_not_counted_against_the_destination(
    gateway: RunningGateway, receiver: Receiver
) -> None:
    created = await add_destination(gateway, receiver)
    receiver.always = 500
    receiver.response_body = b'{"error":"database down"}'
    for _ in range(3):
        status, result = await gateway.api("POST", f"/v1/destinations/{created['id']}/test")
        assert status == 200, result
        assert result["success"] is False
        assert result["statusCode"] == 500
        assert result["responseExcerpt"] == '{"error":"database down"}'
        assert result["error"] == "receiver answered 500"
        assert result["signatureHeaders"]["X-Pipes-Signature"]
    shown = await destination(gateway, created["id"])
    assert shown["consecutiveFailures"] == 0 and shown["enabled"] is True
    assert await deliveries(gateway) == []


async def test_a_disabled_destination_can_still_be_tested(
    gateway: RunningGateway, receiver: Receiver
) -> None:
    created = await add_destination(gateway, receiver)
    path = f"/v1/destinations/{created['id']}"
    status, body = await gateway.api("PATCH", path, {"enabled": False})
    assert status == 200, body
    status, result = await gateway.api("POST", path + "/test")
    assert status == 200 and result["success"] is True, result
    assert len(receiver.arrivals) == 1
