"""The ``whatspie`` format against a handler written from seed 003's own Node example, and
what becomes of a reply the gateway cannot send: recorded beside the attempt that carried
it (channel ``reply``), visible through the deliveries API."""

from pathlib import Path
from typing import Any

import orjson
import pytest

from tests.conftest import RunningGateway, add_destination, eventually, gateway_with_sim
from tests.send.files import FileServer
from wahooks.demo.receiver import Arrival, Receiver
from wahooks.sim import Simulator
from wahooks.sim.messages import MESSAGE_TYPES


def process_text_message(text: str) -> str:
    """Seed 003's ``processTextMessage``."""
    if "help" in text.lower():
        return "How can I assist you today?"
    return "Thanks for your message!"


def seed_handler(message: Any) -> Any:
    """Seed 003's Express handler, line for line: a document, a text, else the default."""
    if message.get("type") == "documentMessage":
        return {"type": "chat", "body": "Thank you for the document. We'll review it shortly.",
                "simulation": True}  # fmt: skip
    if message.get("message"):
        return {"type": "chat", "body": process_text_message(message["message"]),
                "simulation": True}  # fmt: skip
    return {"type": "chat", "body": "Message received successfully!", "simulation": True}


def answer_with(receiver: Receiver, handler: Any) -> None:
    def decide(arrival: Arrival) -> None:
        receiver.response_body = orjson.dumps(handler(arrival.json()))

    receiver.on_arrival = decide


async def deliveries_of(gateway: RunningGateway, destination_id: str, n: int) -> list[Any]:
    async def finished() -> Any:
        status, page = await gateway.api(
            "GET", "/v1/deliveries", params={"destinationId": destination_id, "limit": "100"}
        )
        assert status == 200, page
        done = [d for d in page["data"] if d["status"] in ("succeeded", "failed", "skipped")]
        return page["data"] if len(done) == n else None

    return list(await eventually(finished, timeout=20))


# A system message announces a user's new number: it would move the conversation (tested
# in tests/api/test_identity_changes.py); its Whatspie shape is tested in test_whatspie.py.
TYPES = [t for t in MESSAGE_TYPES if t != "system"]
UPDATES = {"reaction", "edit", "revoke"}  # message:reaction / message:update: not answered


@pytest.mark.e2e
async def test_the_seeds_handler_gets_every_message_type(
    gateway: RunningGateway, sim: Simulator, receiver: Receiver
) -> None:
    events = ["message:in:new", "message:reaction", "message:update"]
    destination = await add_destination(gateway, receiver, format="whatspie", events=events)
    answer_with(receiver, seed_handler)
    user = sim.user("15551230201", "Jane Doe")
    assert (await sim.send(user, "text", body="I need help")).ok  # opens the window
    for type_ in TYPES:
        assert (await sim.send(user, type_)).ok, type_
    deliveries = await deliveries_of(gateway, destination["id"], len(TYPES) + 1)
    assert {d["status"] for d in deliveries} == {"succeeded"}  # nothing skipped
    payloads = [a.json() for a in receiver.accepted()]
    assert len(payloads) == len(TYPES) + 1
    for payload in payloads:
        assert ("message" in payload) != ("type" in payload), payload
        assert payload["from"] == user.wa_id and payload["message_id"]
    kinds = [p.get("type", "text") for p in payloads]
    assert "documentMessage" in kinds and "reactionMessage" in kinds
    assert "editedMessage" in kinds and "revokedMessage" in kinds
    # Each new message is answered the seed's way; reactions and updates are not answered.
    answered = len(TYPES) + 1 - len(UPDATES)

    async def replies() -> Any:
        texts = [s.payload["text"]["body"] for s in sim.sent if s.type == "text"]
        return texts if len(texts) == answered else None

    texts = await eventually(replies, timeout=20)
    assert texts[0] == "How can I assist you today?"
    assert "Thank you for the document. We'll review it shortly." in texts
    assert "Message received successfully!" in texts
    for delivery in deliveries:
        status, detail = await gateway.api("GET", f"/v1/deliveries/{delivery['id']}")
        assert status == 200
        assert [a["channel"] for a in detail["attemptLog"]] == ["webhook"], detail


async def reply_attempts(gateway: RunningGateway, wamid: str) -> list[Any]:
    """The attempt log of the message's delivery, once a reply outcome is on it."""

    async def recorded() -> Any:
        status, page = await gateway.api("GET", "/v1/deliveries")
        assert status == 200, page
        for delivery in page["data"]:
            if delivery["wamid"] == wamid:
                status, detail = await gateway.api("GET", f"/v1/deliveries/{delivery['id']}")
                log = detail["attemptLog"]
                if any(a["channel"] == "reply" for a in log):
                    return log
        return None

    return list(await eventually(recorded, timeout=10))


async def test_a_reply_graph_refuses_is_recorded_on_the_delivery(
    gateway: RunningGateway, sim: Simulator, receiver: Receiver
) -> None:
    await add_destination(gateway, receiver, format="whatspie")
    receiver.response_body = orjson.dumps([{"type": "chat", "body": "first"},
                                           {"type": "chat", "body": "second"}])  # fmt: skip
    sim.fail_next_sends(1, code=131009)
    inbound = await sim.send(sim.user("15551230202", "Jane Doe"), "text", body="hi")
    assert inbound.ok
    webhook, reply = await reply_attempts(gateway, inbound.wamid)
    assert (webhook["channel"], webhook["statusCode"], webhook["error"]) == ("webhook", 200, None)
    assert reply["channel"] == "reply" and reply["error"] == "reply_failed"
    assert reply["attempt"] == webhook["attempt"] == 1
    assert reply["errorDetail"] == (
        "reply: message 1 of 2 (text) not sent, nor the rest: Graph API refused the message: "
        "(#131009) Error [graph_error]"
    )
    status, delivery = await gateway.api("GET", "/v1/deliveries", params={"limit": "1"})
    assert status == 200 and delivery["data"][0]["status"] == "succeeded"  # it has the message
    assert [s for s in sim.sent if s.type == "text"] == []  # the second is not sent either


async def test_a_reply_whose_file_cannot_be_fetched_is_recorded_on_the_delivery(
    database_url: str, ca_file: Path, files: FileServer, receiver: Receiver
) -> None:
    missing = files.url("/files/nowhere.png")
    image = {"type": "chat", "body": "here", "params": {"image": {"url": missing}}}
    async with gateway_with_sim(database_url, outbound_ca_file=str(ca_file)) as (gateway, sim):
        await add_destination(gateway, receiver, format="whatspie")
        receiver.response_body = orjson.dumps(image)
        inbound = await sim.send(sim.user("15551230203", "Jane Doe"), "text", body="pic?")
        assert inbound.ok
        _, reply = await reply_attempts(gateway, inbound.wamid)
    assert reply["error"] == "reply_failed"
    assert reply["errorDetail"].startswith("reply: message 1 of 1 (image) not sent")
    assert sim.sent == []
