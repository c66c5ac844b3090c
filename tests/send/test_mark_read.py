"""Read receipts and the typing indicator: POST /v1/messages/read, the socket's
whatsapp_read frame and Whatspie's "simulation", through the simulator's Graph API."""

from typing import Any

import orjson

from tests.conftest import RunningGateway, add_destination, eventually
from tests.send.test_send import DAY_AND_AN_HOUR_AGO
from tests.socket.conftest import WsClient
from wahooks.accounts import issue_tenant_key
from wahooks.demo.receiver import Receiver
from wahooks.sim import Simulator


async def read(gateway: RunningGateway, body: Any, key: str | None = None) -> tuple[int, Any]:
    headers = {"Authorization": f"Bearer {key or gateway.api_key}"}
    async with gateway.http.post(
        gateway.url + "/v1/messages/read", json=body, headers=headers
    ) as response:
        return response.status, await response.json()


async def received(receiver: Receiver, sim: Simulator, wa_id: str, **fields: Any) -> Any:
    """Send a message from ``wa_id``; (its wamid, its conversation id) once delivered."""
    sent = await sim.send(sim.user(wa_id, "Customer"), "text", body="hello", **fields)

    async def arrived() -> tuple[str, str] | None:
        for arrival in receiver.accepted():
            payload = arrival.json()
            value = payload["entry"][0]["changes"][0]["value"]
            if value.get("messages", [{}])[0].get("id") == sent.wamid:
                return sent.wamid, str(payload["pipes"]["conversationId"])
        return None

    return await eventually(arrived)


async def test_a_received_message_is_marked_read_with_or_without_typing(
    gateway: RunningGateway, sim: Simulator, receiver: Receiver
) -> None:
    await add_destination(gateway, receiver)
    wamid, conversation = await received(receiver, sim, "15551239001")
    status, body = await read(gateway, {"messageId": wamid})
    assert (status, body) == (
        200,
        {"success": True, "messageId": wamid, "conversationId": conversation},
    )
    assert sim.graph.marked_read == [wamid] and sim.graph.typing_shown == []
    status, body = await read(
        gateway, {"messageId": wamid, "conversationId": conversation, "typing": True}
    )
    assert status == 200, body
    assert sim.graph.typing_shown == [(wamid, 0)]
    assert sim.sent == []  # a read is no message: nothing stored, no message:out:new


async def test_reads_are_refused_clearly_and_reveal_nothing_of_others(
    gateway: RunningGateway, sim: Simulator, receiver: Receiver
) -> None:
    await add_destination(gateway, receiver)
    wamid, conversation = await received(receiver, sim, "15551239002")
    _, other_conversation = await received(receiver, sim, "15551239003")
    cases: list[tuple[Any, int, str]] = [
        ({}, 400, "messageId"),
        ({"messageId": ""}, 400, "messageId"),
        ({"messageId": wamid, "typing": "yes"}, 400, "typing"),
        ({"messageId": "wamid.unknown"}, 404, "no received message"),
        ({"messageId": wamid, "conversationId": other_conversation}, 404, "no received"),
    ]
    for body, expected, mentions in cases:
        status, answer = await read(gateway, body)
        assert status == expected, (body, answer)
        assert mentions in answer["error"]["message"], answer
    store = gateway.gateway.store
    other = (
        await issue_tenant_key(store, (await store.tenants.create_tenant("ten_r", "R")).id)
    ).key
    status, answer = await read(gateway, {"messageId": wamid}, other)
    assert status == 404, answer
    assert sim.graph.marked_read == []
    # Typing announces a reply: outside the 24-hour window it is refused as a reply is;
    # a read receipt alone is still fine.
    old_wamid, _ = await received(receiver, sim, "15551239004", timestamp=DAY_AND_AN_HOUR_AGO)
    status, answer = await read(gateway, {"messageId": old_wamid, "typing": True})
    assert status == 422, answer
    status, answer = await read(gateway, {"messageId": old_wamid})
    assert status == 200, answer
    assert sim.graph.marked_read == [old_wamid] and sim.graph.typing_shown == []
    assert conversation != other_conversation


async def test_the_socket_marks_read_with_a_whatsapp_read_frame(
    gateway: RunningGateway, sim: Simulator, receiver: Receiver
) -> None:
    await add_destination(gateway, receiver)
    wamid, conversation = await received(receiver, sim, "15551239005")
    client = await WsClient.open(gateway)
    await client.send("whatsapp_read", {"messageId": wamid, "typing": True})
    status = (await client.next("reply_status"))["data"]
    assert status == {"conversationId": conversation, "success": True, "messageId": wamid}
    assert sim.graph.typing_shown == [(wamid, 0)]
    await client.send("whatsapp_read", {"messageId": "wamid.nope"})
    missing = (await client.next("reply_status"))["data"]
    assert missing["success"] is False and missing["code"] == "NOT_FOUND", missing
    await client.close()


async def test_a_whatspie_simulation_reply_shows_typing_before_it_is_sent(
    gateway: RunningGateway, sim: Simulator, receiver: Receiver
) -> None:
    answer = orjson.dumps([{"type": "chat", "body": "One moment…", "simulation": True}])
    receiver.response_body = answer
    await add_destination(gateway, receiver, format="whatspie")
    sent = await sim.send(sim.user("15551239006", "Customer"), "text", body="hi")

    async def replied() -> bool:
        return len(sim.sent) == 1

    await eventually(replied)
    (reply,) = sim.sent
    assert reply.payload["text"]["body"] == "One moment…"
    # Typing was shown on the message delivered, before anything was sent.
    assert sim.graph.typing_shown == [(sent.wamid, 0)]
