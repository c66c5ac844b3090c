"""Through the whole path: simulator → ingress → store → dispatcher → receiver."""

import pytest
from standardwebhooks.webhooks import Webhook

from tests.conftest import RunningGateway, add_destination
from wahooks.demo.receiver import Receiver
from wahooks.sim import Simulator

pytestmark = pytest.mark.e2e  # a relay between gateway processes


async def test_text_message_arrives_signed_in_pipes_format(
    gateway: RunningGateway, sim: Simulator, receiver: Receiver
) -> None:
    destination = await add_destination(gateway, receiver)
    user = sim.user("15551230001", "Jane Doe")
    sent = await sim.send(user, "text", body="Hello from WhatsApp!")
    assert sent.ok
    await receiver.wait_for(lambda r: len(r.accepted()) == 1)
    arrival = receiver.accepted()[0]
    assert arrival.verified
    # A generated secret is whsec_…: Standard Webhooks libraries take it as given.
    Webhook(destination["secret"]).verify(arrival.body, arrival.headers)
    payload = arrival.json()
    value = payload["entry"][0]["changes"][0]["value"]
    assert value["messages"][0]["id"] == sent.wamid
    assert value["messages"][0]["text"] == {"body": "Hello from WhatsApp!"}
    assert value["contacts"] == [
        {"profile": {"name": "Jane Doe"}, "wa_id": "15551230001", "user_id": user.user_id}
    ]
    assert payload["pipes"]["label"] == "support"
    assert payload["pipes"]["conversationId"].startswith("conv_")
