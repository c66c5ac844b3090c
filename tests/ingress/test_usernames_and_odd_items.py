"""WhatsApp as of 2026: users known only by a business-scoped user id (BSUID) and a
username, items that do not parse beside ones that do, and content nested too deeply; one
odd item never costs the rest of its POST, and nothing blocks a conversation."""

from typing import Any

from tests.conftest import RunningGateway, add_destination, eventually
from tests.ingress.helpers import assert_error, encode, post_ingress, wait_until_finished
from wahooks.demo.receiver import Receiver
from wahooks.ingress.parse import MAX_DEPTH, nesting_depth
from wahooks.sim import Simulator


def messages_of(receiver: Receiver) -> list[Any]:
    """(value of the change) of each accepted Meta-shaped payload."""
    return [
        a.json()["entry"][0]["changes"][0]["value"]
        for a in receiver.accepted()
        if a.json().get("object") == "whatsapp_business_account"
    ]


async def test_a_username_user_a_text_and_a_status_without_timestamp_in_one_post(
    gateway: RunningGateway, sim: Simulator, receiver: Receiver
) -> None:
    meta = Receiver()
    await meta.start()
    try:
        await add_destination(gateway, receiver, events=["message:in:new", "unsupported"])
        await add_destination(
            gateway, meta, format="meta", events=["message:in:new", "unsupported"]
        )
        jane = sim.user("15551231001", "Jane", username="@jane", hides_phone=True)
        bob = sim.user("15551231002", "Bob")
        from_jane = sim.build_message(jane, "text", body="I have a username")
        from_bob = sim.build_message(bob, "text", body="I have a number")
        assert "from" not in from_jane and from_jane["from_user_id"] == jane.user_id
        notification = sim.notification([(jane, from_jane), (bob, from_bob)])
        odd_status = {"id": "wamid.sent-elsewhere", "status": "read", "recipient_id": "1555"}
        notification["entry"][0]["changes"][0]["value"]["statuses"] = [odd_status]
        status, answer = await post_ingress(gateway, encode(notification), sim.settings.app_secret)
        assert status == 200, answer
        await wait_until_finished(gateway, 6)  # 2 messages + 1 unsupported, to 2 destinations
        for destination in (receiver, meta):
            values = messages_of(destination)
            by_id = {v["messages"][0]["id"]: v for v in values if "messages" in v}
            assert set(by_id) >= {from_jane["id"], from_bob["id"]}
            (contact,) = by_id[from_jane["id"]]["contacts"]
            assert contact["user_id"] == jane.user_id
            assert contact["profile"]["username"] == "@jane"
        # The odd status, visible with its reason: pipes as a gateway event, meta as Meta
        # sent it with our reason beside it.
        (pipes_odd,) = [a.json() for a in receiver.accepted() if a.json().get("event")]
        assert pipes_odd["event"] == "unsupported"
        assert pipes_odd["data"]["kind"] == "status" and pipes_odd["data"]["item"] == odd_status
        assert "timestamp" in pipes_odd["data"]["reason"]
        (meta_odd,) = [a.json() for a in meta.accepted() if "wahooks" in a.json()]
        assert meta_odd["entry"][0]["changes"][0]["value"]["statuses"] == [odd_status]
        assert "timestamp" in meta_odd["wahooks"]["reason"]
    finally:
        await meta.stop()


async def test_a_reply_to_a_user_known_only_by_bsuid_goes_out_with_recipient(
    gateway: RunningGateway, sim: Simulator, receiver: Receiver
) -> None:
    await add_destination(gateway, receiver)
    jane = sim.user("15551231003", "Jane", username="@jane", hides_phone=True)
    sent = await sim.send(jane, "text", body="hello")
    assert sent.ok
    await receiver.wait_for(lambda r: len(r.accepted()) == 1)
    conversation = receiver.accepted()[0].json()["pipes"]["conversationId"]
    status, body = await gateway.api(
        "POST", "/v1/messages/send", {"conversationId": conversation, "text": "hi @jane"}
    )
    assert status == 200, body
    (out,) = sim.sent
    assert out.payload["recipient"] == jane.user_id and "to" not in out.payload
    # A second message of the same user is the same conversation.
    assert (await sim.send(jane, "text", body="again")).ok
    await receiver.wait_for(lambda r: len(r.accepted()) >= 2)
    again = [a.json() for a in receiver.accepted() if "pipes" in a.json()][-1]
    assert again["pipes"]["conversationId"] == conversation


def nested(levels: int) -> Any:
    value: Any = "deep"
    for _ in range(levels):
        value = {"a": value}
    return value


async def test_deep_content_is_refused_at_the_door_and_never_blocks_a_conversation(
    gateway: RunningGateway, sim: Simulator, receiver: Receiver
) -> None:
    await add_destination(gateway, receiver)
    user = sim.user("15551231004", "Deep")

    def with_depth(depth: int) -> bytes:
        message = sim.build_message(user, "text", body="nested")
        notification = sim.notification([(user, message)])
        base = nesting_depth(notification)
        message["text"]["extra"] = nested(depth - base)
        notification = sim.notification([(user, message)])
        assert nesting_depth(notification) == depth
        return encode(notification)

    # At the limit: stored, and delivered in every payload's own wrapping.
    status, answer = await post_ingress(gateway, with_depth(MAX_DEPTH), sim.settings.app_secret)
    assert status == 200, answer
    # One level beyond, and far beyond (past what the JSON parser reads): a clear 400.
    for depth, code in ((MAX_DEPTH + 1, "invalid_notification"), (3000, "invalid_json")):
        body = with_depth(depth) if depth < 1000 else b'{"a":' * depth + b"1" + b"}" * depth
        status, answer = await post_ingress(gateway, body, sim.settings.app_secret)
        assert status == 400, (depth, answer)
        assert_error(answer, code=code)
    # The conversation goes on: the next message is delivered after the deep one.
    assert (await sim.send(user, "text", body="after")).ok
    found = await wait_until_finished(gateway, 2)
    assert all(d["status"] == "succeeded" for d in found)

    async def two() -> bool:
        return len(receiver.accepted()) == 2

    await eventually(two)
