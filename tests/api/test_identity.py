"""One person, one conversation, however Meta names them: by phone number, by business-scoped
user id (BSUID) when a username user hides the number, and across a change of number (a
system message carrying the new number and BSUID); pool activations follow the BSUID too."""

from typing import Any

from tests.conftest import RunningGateway
from tests.pool.conftest import activate, pool_sim
from wahooks.sim import Simulator
from wahooks.sim.messages import SimUser


async def conversations(gateway: RunningGateway) -> list[Any]:
    status, page = await gateway.api("GET", "/v1/conversations")
    assert status == 200, page
    return list(page["data"])


async def detail(gateway: RunningGateway, conversation_id: str) -> Any:
    status, body = await gateway.api("GET", f"/v1/conversations/{conversation_id}")
    assert status == 200, body
    return body


async def test_a_user_who_starts_hiding_the_number_stays_in_the_same_conversation(
    gateway: RunningGateway, sim: Simulator
) -> None:
    jane = sim.user("15551237001", "Jane")
    assert (await sim.send(jane, "text", body="with my number")).ok
    (before,) = await conversations(gateway)
    assert before["waId"] == jane.wa_id and before["userId"] == jane.user_id
    hidden = SimUser(jane.wa_id, "Jane", username="@jane", hides_phone=True)
    assert (await sim.send(hidden, "text", body="with my username")).ok
    (after,) = await conversations(gateway)
    assert after["id"] == before["id"]
    assert (await detail(gateway, after["id"]))["messageCounts"]["inbound"] == 2
    # Replies still go to the number we know.
    status, sent = await gateway.api(
        "POST", "/v1/messages/send", {"conversationId": after["id"], "text": "hello Jane"}
    )
    assert status == 200, sent
    assert sim.sent[-1].payload["to"] == jane.wa_id


async def test_a_conversation_begun_by_bsuid_takes_the_number_when_meta_shows_it(
    gateway: RunningGateway, sim: Simulator
) -> None:
    hidden = sim.user("15551237002", "Kim", username="@kim", hides_phone=True)
    assert (await sim.send(hidden, "text", body="no number yet")).ok
    (before,) = await conversations(gateway)
    assert before["waId"] == hidden.user_id
    shown = SimUser(hidden.wa_id, "Kim", username="@kim")
    assert (await sim.send(shown, "text", body="now with my number")).ok
    (after,) = await conversations(gateway)
    assert after["id"] == before["id"] and after["waId"] == shown.wa_id
    status, sent = await gateway.api(
        "POST", "/v1/messages/send", {"conversationId": after["id"], "text": "hi Kim"}
    )
    assert status == 200, sent
    assert sim.sent[-1].payload["to"] == shown.wa_id


async def test_a_number_change_keeps_history_labels_and_notes(
    gateway: RunningGateway, sim: Simulator
) -> None:
    old = sim.user("15551237003", "Lee")
    assert (await sim.send(old, "text", body="before the change")).ok
    (conversation,) = await conversations(gateway)
    base = f"/v1/conversations/{conversation['id']}"
    assert (await gateway.api("PUT", f"{base}/labels", {"labels": ["vip"]}))[0] == 200
    assert (await gateway.api("POST", f"{base}/notes", {"text": "Prefers mornings"}))[0] == 201
    change = await sim.send(old, "system", new_wa_id="15551237999")
    assert change.ok
    system = change.message["system"]
    new = sim.user("15551237999", "Lee")
    assert system["user_id"] == new.user_id != old.user_id
    assert (await sim.send(new, "text", body="from my new number")).ok
    (moved,) = await conversations(gateway)
    assert moved["id"] == conversation["id"]
    assert moved["waId"] == new.wa_id and moved["userId"] == new.user_id
    kept = await detail(gateway, moved["id"])
    assert kept["labels"] == ["vip"] and [n["text"] for n in kept["notes"]] == ["Prefers mornings"]
    assert kept["messageCounts"]["inbound"] == 3


async def test_a_pool_activation_follows_the_user_who_hides_the_number(
    gateway: RunningGateway,
) -> None:
    async with pool_sim(gateway) as pool:
        user = pool.user("4915112340001", "Jana")
        activation = await activate(gateway, pool, user)
        hidden = SimUser(user.wa_id, "Jana", username="@jana", hides_phone=True)
        assert (await pool.send(hidden, "text", body="still me")).ok
        (conversation,) = await conversations(gateway)
        assert conversation["activationId"] == activation["id"]
        assert (await detail(gateway, conversation["id"]))["messageCounts"]["inbound"] == 2


async def test_a_group_is_one_conversation_and_replies_go_to_the_group(
    gateway: RunningGateway, sim: Simulator
) -> None:
    group = "120363025246125486"
    ann, bob = sim.user("15551237011", "Ann"), sim.user("15551237012", "Bob")
    assert (await sim.send(ann, "text", body="hi all", group_id=group)).ok
    assert (await sim.send(bob, "text", body="hello", group_id=group)).ok
    (conversation,) = await conversations(gateway)
    assert conversation["waId"] == group and conversation["isGroup"] is True
    assert conversation["userId"] is None
    assert (await detail(gateway, conversation["id"]))["messageCounts"]["inbound"] == 2
    status, sent = await gateway.api(
        "POST", "/v1/messages/send", {"conversationId": conversation["id"], "text": "hi group"}
    )
    assert status == 200, sent
    payload = sim.sent[-1].payload
    assert payload["recipient_type"] == "group" and payload["to"] == group
    # A private message from Ann is her own conversation, apart from the group's.
    assert (await sim.send(ann, "text", body="just to you")).ok
    assert {c["waId"] for c in await conversations(gateway)} == {group, ann.wa_id}
