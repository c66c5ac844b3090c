"""Talking back: POST /v1/messages/send and socket replies, through the simulator's Graph
API, with Meta's statuses turned into message:out:* events."""

import time
from typing import Any

import pytest

from tests.conftest import RunningGateway, add_destination, eventually
from tests.socket.conftest import WsClient, socket_destination
from wahooks.accounts import issue_tenant_key
from wahooks.demo.receiver import Receiver
from wahooks.sim import Simulator

OUT_EVENTS = ["message:out:new", "message:out:ack", "message:out:failed"]
DAY_AND_AN_HOUR_AGO = int(time.time()) - 25 * 3600


async def conversation_of(
    gateway: RunningGateway, receiver: Receiver, sim: Simulator, wa_id: str, **fields: Any
) -> str:
    """Send a message from ``wa_id``; its conversation id, as the webhook payload names it."""
    sent = await sim.send(sim.user(wa_id, "Customer"), "text", body="hello", **fields)

    async def arrived() -> str | None:
        for arrival in receiver.accepted():
            payload = arrival.json()
            value = payload["entry"][0]["changes"][0]["value"]
            if value.get("messages", [{}])[0].get("id") == sent.wamid:
                return str(payload["pipes"]["conversationId"])
        return None

    return str(await eventually(arrived))


async def send(gateway: RunningGateway, body: Any, key: str | None = None) -> tuple[int, Any]:
    headers = {"Authorization": f"Bearer {key or gateway.api_key}"}
    async with gateway.http.post(
        gateway.url + "/v1/messages/send", json=body, headers=headers
    ) as response:
        return response.status, await response.json()


def out_events(receiver: Receiver) -> list[tuple[str, Any]]:
    """(event, value) of every out:* payload the receiver accepted."""
    found = []
    for arrival in receiver.accepted():
        payload = arrival.json()
        if "event" in payload["pipes"]:
            found.append((payload["pipes"]["event"], payload["entry"][0]["changes"][0]["value"]))
    return found


# --- REST -----------------------------------------------------------------------------------


async def test_send_goes_through_the_graph_api_and_its_statuses_come_back_as_events(
    gateway: RunningGateway, sim: Simulator, receiver: Receiver
) -> None:
    await add_destination(gateway, receiver, events=["message:in:new", *OUT_EVENTS])
    conversation = await conversation_of(gateway, receiver, sim, "15551238001")
    status, body = await send(gateway, {"conversationId": conversation, "text": "Thanks!"})
    assert status == 200, body
    assert body["success"] is True and body["conversationId"] == conversation
    (sent,) = sim.sent
    assert sent.wamid == body["messageId"]
    assert sent.to == "15551238001"
    assert sent.payload["text"]["body"] == "Thanks!"
    # The simulator reports sent, delivered, read: one out:new and three out:ack events.
    await receiver.wait_for(lambda r: len(out_events(r)) == 4)
    events = out_events(receiver)
    assert events[0][0] == "message:out:new"
    echo = events[0][1]["message_echoes"][0]
    assert echo["id"] == body["messageId"] and echo["text"]["body"] == "Thanks!"
    acks = [(kind, value["statuses"][0]["status"]) for kind, value in events[1:]]
    assert sorted(acks) == sorted([("message:out:ack", s) for s in ("sent", "delivered", "read")])
    assert all(v["statuses"][0]["id"] == body["messageId"] for _, v in events[1:])


async def test_a_destination_without_out_events_does_not_get_them(
    gateway: RunningGateway, sim: Simulator, receiver: Receiver
) -> None:
    await add_destination(gateway, receiver)  # default: inbound events only
    conversation = await conversation_of(gateway, receiver, sim, "15551238002")
    status, body = await send(gateway, {"conversationId": conversation, "text": "quiet"})
    assert status == 200, body
    await eventually(lambda: _statuses_applied(gateway, body["messageId"]))
    assert len(receiver.accepted()) == 1 and out_events(receiver) == []


async def _statuses_applied(gateway: RunningGateway, wamid: str) -> bool:
    numbers = await gateway.gateway.store.numbers.of_tenant(gateway.tenant_id)
    return await gateway.gateway.store.inbound.outbound_status(numbers[0].id, wamid) == "read"


async def test_a_failed_status_becomes_a_message_out_failed_event(
    gateway: RunningGateway, sim: Simulator, receiver: Receiver
) -> None:
    await add_destination(gateway, receiver, events=["message:in:new", "message:out:failed"])
    conversation = await conversation_of(gateway, receiver, sim, "15551238003")
    sim.fail_next_deliveries(1, code=131026)
    status, body = await send(gateway, {"conversationId": conversation, "text": "undeliverable"})
    assert status == 200, body  # Meta accepts, then reports the failure asynchronously
    await receiver.wait_for(lambda r: len(out_events(r)) == 1)
    ((kind, value),) = out_events(receiver)
    assert kind == "message:out:failed"
    assert value["statuses"][0]["errors"][0]["code"] == 131026


async def test_outside_the_24_hour_window_nothing_is_sent(
    gateway: RunningGateway, sim: Simulator, receiver: Receiver
) -> None:
    await add_destination(gateway, receiver)
    conversation = await conversation_of(
        gateway, receiver, sim, "15551238004", timestamp=DAY_AND_AN_HOUR_AGO
    )
    status, body = await send(gateway, {"conversationId": conversation, "text": "too late"})
    assert status == 422
    assert body["error"]["code"] == "SERVICE_WINDOW_EXPIRED"
    assert sim.sent == []


async def test_bad_sends_are_clear_4xx_and_send_nothing(
    gateway: RunningGateway, sim: Simulator, receiver: Receiver
) -> None:
    await add_destination(gateway, receiver)
    conversation = await conversation_of(gateway, receiver, sim, "15551238005")
    cases = [
        ({"conversationId": conversation, "text": "x" * 4097}, 400, "4096"),
        ({"conversationId": conversation, "text": ""}, 400, "text"),
        ({"conversationId": conversation}, 400, "text"),
        ({"text": "no conversation"}, 400, "conversationId"),
        ({"conversationId": "conv_missing", "text": "hi"}, 404, "conv_missing"),
        ({"conversationId": conversation, "text": "hi", "extra": 1}, 400, "extra"),
    ]
    for body, expected, mentions in cases:
        status, answer = await send(gateway, body)
        assert status == expected, (body, answer)
        assert mentions in answer["error"]["message"], answer
    status, answer = await send(gateway, {"conversationId": conversation, "text": "x" * 4096})
    assert status == 200, answer  # the limit itself is fine
    # Another tenant cannot send into this conversation (and learns nothing: 404).
    store = gateway.gateway.store
    other = (
        await issue_tenant_key(store, (await store.tenants.create_tenant("ten_b", "B")).id)
    ).key
    status, answer = await send(gateway, {"conversationId": conversation, "text": "hi"}, other)
    assert status == 404
    assert len(sim.sent) == 1


@pytest.mark.e2e
async def test_graph_errors_carry_metas_code_and_only_transient_ones_are_retried(
    gateway: RunningGateway, sim: Simulator, receiver: Receiver
) -> None:
    await add_destination(gateway, receiver)
    conversation = await conversation_of(gateway, receiver, sim, "15551238006")
    sim.fail_next_sends(1, code=131009)  # invalid parameter: final
    status, body = await send(gateway, {"conversationId": conversation, "text": "bad"})
    assert status == 502, body
    assert body["error"]["code"] == "graph_error"
    assert body["error"]["graphCode"] == 131009
    assert "131009" in body["error"]["graphMessage"]
    assert sim.sent == []
    for transient in (500, 130429):
        sim.fail_next_sends(1, code=transient)
        status, body = await send(gateway, {"conversationId": conversation, "text": "again"})
        assert status == 200, (transient, body)
    assert len(sim.sent) == 2


# --- the socket -----------------------------------------------------------------------------


async def test_socket_replies_are_answered_by_reply_status(
    gateway: RunningGateway, sim: Simulator, receiver: Receiver
) -> None:
    await add_destination(gateway, receiver)
    conversation = await conversation_of(gateway, receiver, sim, "15551238007")
    client = await WsClient.open(gateway)
    await client.send("whatsapp_reply", {"conversationId": conversation, "text": "via socket"})
    reply = (await client.next("reply_status"))["data"]
    assert reply["success"] is True and reply["conversationId"] == conversation
    assert sim.sent[-1].wamid == reply["messageId"]
    assert sim.sent[-1].payload["text"]["body"] == "via socket"
    inbound = receiver.accepted()[0].json()["entry"][0]["changes"][0]["value"]["messages"][0]
    await client.send(
        "whatsapp_reaction",
        {"conversationId": conversation, "messageId": inbound["id"], "emoji": "👍"},
    )
    reaction = (await client.next("reply_status"))["data"]
    assert reaction["success"] is True, reaction
    assert sim.sent[-1].payload["reaction"] == {"message_id": inbound["id"], "emoji": "👍"}
    await client.send("whatsapp_reply", {"conversationId": conversation, "text": "y" * 4097})
    too_long = (await client.next("reply_status"))["data"]
    assert too_long["success"] is False and too_long["code"] == "INVALID_REQUEST"
    await client.send("not json at all", {})  # unknown frames are ignored
    await client.ws.send("{not json")
    await client.send("whatsapp_reply", {"conversationId": "conv_nope", "text": "hi"})
    missing = (await client.next("reply_status"))["data"]
    assert missing == {
        "conversationId": "conv_nope",
        "success": False,
        "error": "no conversation conv_nope",
        "code": "NOT_FOUND",
    }
    assert len(sim.sent) == 2
    await client.close()


async def test_socket_reply_outside_the_window_is_refused_with_the_reference_code(
    gateway: RunningGateway, sim: Simulator, receiver: Receiver
) -> None:
    await add_destination(gateway, receiver)
    conversation = await conversation_of(
        gateway, receiver, sim, "15551238008", timestamp=DAY_AND_AN_HOUR_AGO
    )
    client = await WsClient.open(gateway)
    await client.send("whatsapp_reply", {"conversationId": conversation, "text": "late"})
    reply = (await client.next("reply_status"))["data"]
    assert reply["success"] is False
    assert reply["code"] == "SERVICE_WINDOW_EXPIRED"
    assert "24 hours" in reply["error"]
    assert sim.sent == []
    await client.close()


async def test_a_conversation_scoped_socket_replies_only_in_its_conversation(
    gateway: RunningGateway, sim: Simulator, receiver: Receiver
) -> None:
    await add_destination(gateway, receiver)
    mine = await conversation_of(gateway, receiver, sim, "15551238009")
    other = await conversation_of(gateway, receiver, sim, "15551238010")
    client = await WsClient.open(gateway, conversationId=mine)
    await client.send("whatsapp_reply", {"conversationId": other, "text": "not here"})
    refused = (await client.next("reply_status"))["data"]
    assert refused["success"] is False and refused["code"] == "CONVERSATION_SCOPE"
    await client.send("whatsapp_reply", {"conversationId": mine, "text": "here"})
    accepted = (await client.next("reply_status"))["data"]
    assert accepted["success"] is True
    assert [s.payload["text"]["body"] for s in sim.sent] == ["here"]
    await client.close()


async def test_out_events_reach_a_socket_destination_as_their_own_frames(
    gateway: RunningGateway, sim: Simulator, receiver: Receiver
) -> None:
    await add_destination(gateway, receiver)
    conversation = await conversation_of(gateway, receiver, sim, "15551238011")
    await socket_destination(gateway, events=["message:out:new", "message:out:ack"])
    client = await WsClient.open(gateway)
    status, body = await send(gateway, {"conversationId": conversation, "text": "watch me"})
    assert status == 200, body
    sent_frame = (await client.next("message_sent"))["data"]
    assert sent_frame["messageId"] == body["messageId"]
    assert sent_frame["text"] == "watch me" and sent_frame["toNumber"] == "+15551238011"
    statuses = [(await client.next("message_status"))["data"]["status"] for _ in range(3)]
    assert sorted(statuses) == ["delivered", "read", "sent"]
    await client.close()
