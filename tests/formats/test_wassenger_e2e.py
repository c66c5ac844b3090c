"""The ``wassenger`` format end to end: the simulator sends, the gateway delivers to a real
receiver; the chat's facts come from the conversation as it stands (labels set through the
API, the first message of a new conversation), failures go out batched."""

from collections.abc import AsyncIterator
from typing import Any

import pytest

from tests.conftest import (
    RunningGateway,
    add_destination,
    eventually,
    registered_sim,
    running_gateway,
)
from wahooks.demo.receiver import Receiver
from wahooks.sim import Simulator

# Statuses (a failure at the first delay) 0.2 s after each send, not 10 ms: on PostgreSQL a
# status ingested while its send is being recorded can still be lost (each transaction misses
# the other's row), and the end-to-end tests here count every one.
SLOW_STATUSES = (0.2, 0.25, 0.3)


@pytest.fixture
async def sim(gateway: RunningGateway) -> AsyncIterator[Simulator]:
    """The shared simulator, with SLOW_STATUSES."""
    async with registered_sim(gateway, status_delays_s=SLOW_STATUSES) as simulator:
        yield simulator


async def test_inbound_and_outbound_events_arrive_in_wassenger_shape(
    gateway: RunningGateway, sim: Simulator, receiver: Receiver
) -> None:
    events = ["message:in:new", "message:out:new", "message:out:ack", "message:out:failed"]
    await add_destination(gateway, receiver, format="wassenger", events=events,
                          label="Support", retrySchedule=[0, 0.1, 0.2])  # fmt: skip
    user = sim.user("15551230099", "Bob A.")
    inbound = await sim.send(user, "text", body="Hello")
    assert inbound.ok
    await receiver.wait_for(lambda r: len(r.accepted()) == 1)
    first = receiver.accepted()[0].json()
    conversation = first["wahooks"]["conversationId"]
    sim.fail_next_deliveries(1, code=131026)
    status, answer = await gateway.api(
        "POST", "/v1/messages/send", {"conversationId": conversation, "text": "Doomed"}
    )
    assert status == 200, answer
    doomed = answer["messageId"]
    status, answer = await gateway.api(
        "POST", "/v1/messages/send", {"conversationId": conversation, "text": "Hello there!"}
    )
    assert status == 200, answer
    fine = answer["messageId"]
    # in:new, 2 out:new, failed (1 array), sent/delivered/read for the second message
    await receiver.wait_for(lambda r: len(r.accepted()) == 7)
    payloads = [a.json() for a in receiver.accepted()]
    assert all(a.verified for a in receiver.accepted())

    assert first["event"] == "message:in:new"
    assert first["device"]["phone"] == "+" + sim.settings.display_phone_number
    assert first["device"]["alias"] == "Support"
    assert first["data"]["id"] == inbound.wamid and first["data"]["body"] == "Hello"
    assert first["data"]["fromNumber"] == "+15551230099"
    assert first["data"]["chat"]["name"] == "Bob A."
    assert conversation.startswith("conv_")

    batches = [p for p in payloads if isinstance(p, list)]
    singles = [p for p in payloads if isinstance(p, dict)]
    ((failure,),) = batches
    assert failure["event"] == "message:out:failed" and failure["entityId"] == doomed
    assert failure["data"]["message"] == "Doomed" and failure["data"]["phone"] == "+15551230099"
    assert failure["wahooks"]["status"]["errors"][0]["code"] == 131026
    news = [p for p in singles if p["event"] == "message:out:new"]
    assert sorted(p["data"]["id"] for p in news) == sorted([doomed, fine])
    assert all(p["data"]["ack"] == "pending" and p["data"]["flow"] == "outbound" for p in news)
    acks = [p for p in singles if p["event"] == "message:out:ack"]
    assert sorted(p["ack"] for p in acks) == ["delivered", "read", "sent"]
    assert all(p["data"]["id"] == fine and p["data"]["ack"] == p["ack"] for p in acks)
    assert all(p["data"]["body"] == "Hello there!" for p in acks)


async def test_the_chat_is_the_conversation_as_it_stands(
    gateway: RunningGateway, sim: Simulator, receiver: Receiver
) -> None:
    """The issue-13 audit redone on the wire: the first message of a new conversation says
    so, labels and notes set through the API are in the next message's chat, the counts
    and times follow the conversation, and the links answer through our API."""
    await add_destination(gateway, receiver, format="wassenger",
                          events=["message:in:new", "message:out:new"])  # fmt: skip
    user = sim.user("15551230055", "Bob Builder")
    first = await sim.send(user, "text", body="Hello")
    assert first.ok
    await receiver.wait_for(lambda r: len(r.accepted()) == 1)
    opened = receiver.accepted()[0].json()
    conversation = opened["wahooks"]["conversationId"]
    chat = opened["data"]["chat"]
    assert opened["data"]["meta"]["isFirstMessage"] is True
    assert chat["labels"] == [] and chat["firstMessageAt"] == opened["data"]["date"]
    assert chat["stats"] == {"notes": 0, "localMessages": 1, "inboundMessages": 1,
                             "outboundMessages": 0}  # fmt: skip
    assert chat["contact"]["shortName"] == "Bob" and chat["contact"]["phone"] == "+15551230055"
    assert chat["lastOutboundMessageAt"] is None

    status, body = await gateway.api(
        "PUT", f"/v1/conversations/{conversation}/labels", {"labels": ["vip", "NEW"]}
    )
    assert status == 200, body
    status, body = await gateway.api(
        "POST", f"/v1/conversations/{conversation}/notes", {"text": "called back"}
    )
    assert status == 201, body
    status, body = await gateway.api(
        "PATCH", f"/v1/conversations/{conversation}", {"externalUserId": "crm-7"}
    )
    assert status == 200, body
    assert (await sim.send(user, "text", body="Again")).ok
    await receiver.wait_for(lambda r: len(r.accepted()) == 2)
    again = receiver.accepted()[1].json()
    chat = again["data"]["chat"]
    assert again["data"]["meta"]["isFirstMessage"] is False
    assert chat["labels"] == ["vip", "NEW"]
    assert chat["stats"] == {"notes": 1, "localMessages": 2, "inboundMessages": 2,
                             "outboundMessages": 0}  # fmt: skip
    assert chat["firstMessageAt"] == opened["data"]["date"]
    assert chat["lastInboundMessageAt"] == again["data"]["date"]
    assert chat["contact"]["metadata"] == [{"key": "externalUserId", "value": "crm-7"}]

    status, body = await gateway.api(
        "POST", "/v1/messages/send", {"conversationId": conversation, "text": "On it"}
    )
    assert status == 200, body
    await receiver.wait_for(lambda r: len(r.accepted()) == 3)
    sent = receiver.accepted()[2].json()
    assert sent["event"] == "message:out:new" and sent["data"]["meta"]["isFirstMessage"] is False
    chat = sent["data"]["chat"]
    assert chat["stats"]["outboundMessages"] == 1 and chat["stats"]["localMessages"] == 3
    assert chat["lastOutboundMessageAt"] == sent["data"]["date"]
    assert sent["data"]["events"]["sent"]["date"] == sent["data"]["date"]
    links = sent["data"]["links"]
    for path in (links["chat"], links["contact"], links["chatMessages"], links["device"],
                 chat["links"]["chat"]):  # fmt: skip
        status, body = await gateway.api("GET", path)
        assert status == 200, (path, body)
    status, body = await gateway.api("GET", links["chat"])
    assert body["labels"] == ["vip", "NEW"]


async def delivered_once(gateway: RunningGateway, destination_id: str) -> Any:
    """The destination's only delivery, with its attempts, once it is finished."""

    async def finished() -> Any:
        status, page = await gateway.api(
            "GET", "/v1/deliveries", params={"destinationId": destination_id}
        )
        assert status == 200, page
        done = [d for d in page["data"] if d["status"] in ("succeeded", "failed")]
        return done[0] if done else None

    delivery = await eventually(finished, timeout=5)
    status, detail = await gateway.api("GET", f"/v1/deliveries/{delivery['id']}")
    assert status == 200, detail
    return detail


async def test_a_210_answer_is_retried(
    gateway: RunningGateway, sim: Simulator, receiver: Receiver
) -> None:
    """Wassenger: "HTTP response status code must be 200-209 to be successful"."""
    destination = await add_destination(
        gateway, receiver, format="wassenger", retrySchedule=[0, 0.1, 0.1, 0.1]
    )
    receiver.fail_with = [210, 299, 209]
    assert (await sim.send(sim.user("15551230098", "Bob"), "text")).ok
    delivery = await delivered_once(gateway, destination["id"])
    assert delivery["status"] == "succeeded" and receiver.count == 3
    attempts = [(a["statusCode"], a["error"]) for a in delivery["attemptLog"]]
    assert attempts == [(210, "status_2xx"), (299, "status_2xx"), (209, None)]
    assert "does not count as delivered" in delivery["attemptLog"][0]["errorDetail"]


async def test_the_success_rule_is_the_formats(
    gateway: RunningGateway, sim: Simulator, receiver: Receiver
) -> None:
    """The same 210 acknowledges a delivery in any other format (every 2xx does)."""
    destination = await add_destination(gateway, receiver, format="pipes", retrySchedule=[0, 0.1])
    receiver.fail_with = [210]
    assert (await sim.send(sim.user("15551230097", "Bob"), "text")).ok
    delivery = await delivered_once(gateway, destination["id"])
    assert delivery["status"] == "succeeded" and receiver.count == 1
    assert [a["statusCode"] for a in delivery["attemptLog"]] == [210]


# --- failed messages, batched end to end ---------------------------------------------------


async def open_conversations(
    gateway: RunningGateway, sim: Simulator, wa_ids: list[str]
) -> dict[str, str]:
    """Each user writes once (opening WhatsApp's window); their conversation ids, by wa_id,
    as a pipes receiver of message:in:new learns them."""
    learner = Receiver()
    await learner.start()
    try:
        await add_destination(gateway, learner, events=["message:in:new"])
        for wa_id in wa_ids:
            assert (await sim.send(sim.user(wa_id, "Bob"), "text", body="hi")).ok
        await learner.wait_for(lambda r: len(r.accepted()) == len(wa_ids))
    finally:
        await learner.stop()
    found = {}
    for arrival in learner.accepted():
        payload = arrival.json()
        wa_id = payload["entry"][0]["changes"][0]["value"]["contacts"][0]["wa_id"]
        found[wa_id] = payload["pipes"]["conversationId"]
    return found


async def fail_sends(gateway: RunningGateway, sim: Simulator, conversations: list[str]) -> None:
    """One send to each conversation (in this order), each then reported failed by Meta."""
    sim.fail_next_deliveries(len(conversations), code=131026)
    for n, conversation in enumerate(conversations):
        status, body = await gateway.api(
            "POST", "/v1/messages/send", {"conversationId": conversation, "text": f"doomed {n}"}
        )
        assert status == 200, body


async def pending_deliveries(gateway: RunningGateway, destination_id: str, n: int) -> list[Any]:
    async def all_there() -> Any:
        status, page = await gateway.api(
            "GET", "/v1/deliveries", params={"destinationId": destination_id, "limit": "200"}
        )
        assert status == 200, page
        return page["data"] if len(page["data"]) == n else None

    return list(await eventually(all_there))


async def attempt_logs(gateway: RunningGateway, deliveries: list[Any]) -> list[list[Any]]:
    """Their attempts, once every one has succeeded (attempts are recorded after the
    receiver has answered)."""

    async def succeeded() -> Any:
        found = []
        for delivery in deliveries:
            status, detail = await gateway.api("GET", f"/v1/deliveries/{delivery['id']}")
            assert status == 200, detail
            if detail["status"] != "succeeded":
                return None
            found.append(detail["attemptLog"])
        return found

    return list(await eventually(succeeded))


@pytest.mark.e2e
async def test_failed_messages_go_out_in_batches_of_25(
    database_url: str, receiver: Receiver
) -> None:
    """28 failures in 27 conversations wait while the destination is disabled; enabled, they
    are claimed together and go out as POSTs of 25 and 3, each an array in the seed's shape:
    the conversation with two does not hold its second back (failure notices are not
    ordered)."""
    async with running_gateway(database_url) as gateway:
        async with registered_sim(gateway, status_delays_s=SLOW_STATUSES) as sim:
            wa_ids = [f"155512310{n:02d}" for n in range(27)]
            conversations = await open_conversations(gateway, sim, wa_ids)
            destination = await add_destination(
                gateway, receiver, format="wassenger", events=["message:out:failed"]
            )
            status, body = await gateway.api(
                "PATCH", f"/v1/destinations/{destination['id']}", {"enabled": False}
            )
            assert status == 200, body
            twice = conversations[wa_ids[0]]
            await fail_sends(gateway, sim, [conversations[w] for w in wa_ids] + [twice])
            deliveries = await pending_deliveries(gateway, destination["id"], 28)
            assert receiver.count == 0
            # Outside their conversation's order, they still name it.
            mine = [d for d in deliveries if d["conversationId"] == twice]
            assert len(mine) == 2
            status, page = await gateway.api(
                "GET", "/v1/deliveries", params={"conversationId": twice}
            )
            assert status == 200 and {d["id"] for d in page["data"]} >= {d["id"] for d in mine}
            status, body = await gateway.api(
                "PATCH", f"/v1/destinations/{destination['id']}", {"enabled": True}
            )
            assert status == 200, body
            await receiver.wait_for(lambda r: sum(len(a.json()) for a in r.arrivals) == 28)
            logs = await attempt_logs(gateway, deliveries)
    posts = [a.json() for a in receiver.arrivals]
    assert all(isinstance(p, list) for p in posts)
    assert [len(p) for p in posts] in ([25, 3], [3, 25])
    items = [item for post in posts for item in post]
    assert all(item["event"] == "message:out:failed" for item in items)
    assert len({item["entityId"] for item in items}) == 28  # each failure once
    assert sorted(i["data"]["message"] for i in items) == sorted([f"doomed {n}" for n in range(28)])
    # Both of the conversation's failures went out at once, not one after the other.
    assert sum(i["wahooks"]["conversationId"] == twice for i in items) == 2
    # A batch has an id of its own.
    assert all(a.webhook_id.startswith("batch_") for a in receiver.arrivals)
    assert all(a.verified for a in receiver.arrivals)
    # One attempt on each delivery, the POST's answer.
    assert all([(a["statusCode"], a["error"]) for a in log] == [(200, None)] for log in logs)


async def test_three_failures_in_each_of_two_conversations_are_one_batch_of_six(
    database_url: str, receiver: Receiver
) -> None:
    """The issue's test: an ordered destination (the default) gets the six failures claimed
    together as one POST, though each conversation has three."""
    async with running_gateway(database_url) as gateway:
        async with registered_sim(gateway, status_delays_s=SLOW_STATUSES) as sim:
            wa_ids = ["15551231201", "15551231202"]
            conversations = await open_conversations(gateway, sim, wa_ids)
            destination = await add_destination(
                gateway, receiver, format="wassenger", events=["message:out:failed"]
            )
            assert destination["ordered"] is True
            status, body = await gateway.api(
                "PATCH", f"/v1/destinations/{destination['id']}", {"enabled": False}
            )
            assert status == 200, body
            a, b = conversations[wa_ids[0]], conversations[wa_ids[1]]
            await fail_sends(gateway, sim, [a, b, a, b, a, b])
            deliveries = await pending_deliveries(gateway, destination["id"], 6)
            status, body = await gateway.api(
                "PATCH", f"/v1/destinations/{destination['id']}", {"enabled": True}
            )
            assert status == 200, body
            await receiver.wait_for(lambda r: sum(len(x.json()) for x in r.arrivals) == 6)
            await attempt_logs(gateway, deliveries)
    (post,) = [x.json() for x in receiver.arrivals]
    # In the order Meta's failures came in (claim order), which the simulator does not fix.
    assert sorted(i["data"]["message"] for i in post) == [f"doomed {n}" for n in range(6)]
    assert sorted(i["wahooks"]["conversationId"] for i in post) == sorted([a, b] * 3)


async def test_a_batch_answer_is_recorded_on_every_delivery_of_it(
    database_url: str, receiver: Receiver
) -> None:
    """The receiver refuses a batch: each of its deliveries records that same attempt, and
    is retried."""
    async with running_gateway(database_url) as gateway:
        async with registered_sim(gateway, status_delays_s=SLOW_STATUSES) as sim:
            wa_ids = ["15551231101", "15551231102", "15551231103"]
            conversations = await open_conversations(gateway, sim, wa_ids)
            destination = await add_destination(
                gateway, receiver, format="wassenger", retrySchedule=[0, 0.1],
                events=["message:out:failed"],
            )  # fmt: skip
            status, body = await gateway.api(
                "PATCH", f"/v1/destinations/{destination['id']}", {"enabled": False}
            )
            assert status == 200, body
            await fail_sends(gateway, sim, [conversations[w] for w in wa_ids])
            deliveries = await pending_deliveries(gateway, destination["id"], 3)
            receiver.fail_with = [503]
            status, body = await gateway.api(
                "PATCH", f"/v1/destinations/{destination['id']}", {"enabled": True}
            )
            assert status == 200, body
            await receiver.wait_for(lambda r: sum(len(a.json()) for a in r.accepted()) == 3)
            logs = await attempt_logs(gateway, deliveries)
    refused = receiver.arrivals[0]
    assert refused.answered == 503 and len(refused.json()) == 3
    firsts = [log[0] for log in logs]
    assert all((a["statusCode"], a["error"]) == (503, "status_5xx") for a in firsts)
    assert len({(a["startedAt"], a["latencyMs"]) for a in firsts}) == 1  # the same attempt
    assert all([a["statusCode"] for a in log] == [503, 200] for log in logs)
