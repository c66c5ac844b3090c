"""A conversation survives its user's new ids (issue 11): a ``user_changed_user_id`` system
message or a ``user_id_update`` change moves it, with its history, labels, notes and pool
activation, so the user's next message under the new id reaches the same tenant and the
same conversation, and replies go to the new id. On both databases (``gateway``)."""

from typing import Any

from tests.api.test_identity import conversations, detail
from tests.conftest import RunningGateway, add_destination, eventually
from tests.ingress.helpers import wait_until_finished
from tests.pool.conftest import ACTIVATED, NOT_ACTIVATED, new_activation, pool_sim, told
from wahooks.demo.receiver import Receiver
from wahooks.sim import Simulator
from wahooks.sim import changes as sim_changes
from wahooks.sim.messages import SimUser


async def activate_hidden(gateway: RunningGateway, pool: Simulator, user: SimUser) -> Any:
    """``user``, who hides the number, sends a fresh code; the activation once active."""
    created = await new_activation(gateway, pool)
    assert (await pool.send(user, "text", body=created["code"])).ok
    await eventually(lambda: _told(pool, user.user_id, ACTIVATED))
    status, active = await gateway.api("GET", f"/v1/activations/{created['id']}")
    assert status == 200 and active["state"] == "active", active
    return active


async def _told(sim: Simulator, to: str, text: str) -> bool:
    return text in told(sim, to)


async def annotate(gateway: RunningGateway, conversation_id: str) -> None:
    base = f"/v1/conversations/{conversation_id}"
    assert (await gateway.api("PUT", f"{base}/labels", {"labels": ["vip"]}))[0] == 200
    assert (await gateway.api("POST", f"{base}/notes", {"text": "Prefers mornings"}))[0] == 201


async def assert_moved(
    gateway: RunningGateway, conversation: Any, new: SimUser, inbound: int
) -> Any:
    """The tenant's only conversation is ``conversation``, under ``new``'s ids, with all."""
    (moved,) = await conversations(gateway)
    assert moved["id"] == conversation["id"]
    assert moved["userId"] == new.user_id
    assert moved["waId"] == (new.user_id if new.hides_phone else new.wa_id)
    kept = await detail(gateway, moved["id"])
    assert kept["labels"] == ["vip"]
    assert [n["text"] for n in kept["notes"]] == ["Prefers mornings"]
    assert kept["messageCounts"]["inbound"] == inbound
    return kept


async def reply_goes_to(gateway: RunningGateway, sim: Simulator, conversation_id: str) -> Any:
    status, sent = await gateway.api(
        "POST", "/v1/messages/send", {"conversationId": conversation_id, "text": "still here"}
    )
    assert status == 200, sent
    return sim.sent[-1].payload


async def test_a_bsuid_change_keeps_the_conversation_and_its_pool_route(
    gateway: RunningGateway,
) -> None:
    async with pool_sim(gateway) as pool:
        old = pool.user("4915112345001", "Ines", username="@ines", hides_phone=True)
        activation = await activate_hidden(gateway, pool, old)
        assert (await pool.send(old, "text", body="before the change")).ok
        (conversation,) = await conversations(gateway)
        assert conversation["activationId"] == activation["id"]
        await annotate(gateway, conversation["id"])

        change = await pool.send(old, "system", system_type="user_changed_user_id")
        assert change.ok
        new = old.with_new_user_id()
        assert change.message["system"]["user_id"] == new.user_id != old.user_id
        assert (await pool.send(new, "text", body="under my new id")).ok

        # code, text, the system message, and the new id's text: all in the one conversation
        await assert_moved(gateway, conversation, new, inbound=4)
        (moved,) = await conversations(gateway)
        assert moved["activationId"] == activation["id"]
        status, still = await gateway.api("GET", f"/v1/activations/{activation['id']}")
        assert status == 200 and still["state"] == "active", still
        assert still["conversationId"] == conversation["id"]
        assert NOT_ACTIVATED not in told(pool, new.user_id)
        payload = await reply_goes_to(gateway, pool, conversation["id"])
        assert payload["recipient"] == new.user_id and "to" not in payload


async def test_a_user_id_update_moves_the_conversation_and_is_still_delivered(
    gateway: RunningGateway, receiver: Receiver
) -> None:
    await add_destination(gateway, receiver, events=["user:update", "message:in:new"])
    async with pool_sim(gateway) as pool:
        old = pool.user("4915112345002", "Jonas", username="@jonas", hides_phone=True)
        activation = await activate_hidden(gateway, pool, old)
        assert (await pool.send(old, "text", body="before the update")).ok
        (conversation,) = await conversations(gateway)
        await annotate(gateway, conversation["id"])

        new = old.with_new_user_id()
        value = sim_changes.user_id_update(pool.settings, old, new, int(pool.clock()))
        assert await pool.send_change("user_id_update", value) == 200
        assert (await pool.send(new, "text", body="under my new id")).ok

        await assert_moved(gateway, conversation, new, inbound=3)
        await wait_until_finished(gateway, 3)
        payloads = [a.json() for a in receiver.accepted()]
        (update,) = [p for p in payloads if p["pipes"].get("event") == "user:update"]
        assert update["entry"][0]["changes"][0]["value"] == value
        # Both texts reached the same tenant's destination, from the one conversation.
        texts = [p for p in payloads if "conversationId" in p["pipes"]]
        assert [p["pipes"]["conversationId"] for p in texts] == [conversation["id"]] * 2
        status, still = await gateway.api("GET", f"/v1/activations/{activation['id']}")
        assert status == 200 and still["state"] == "active", still
        assert still["conversationId"] == conversation["id"]
        payload = await reply_goes_to(gateway, pool, conversation["id"])
        assert payload["recipient"] == new.user_id


async def test_a_conversation_begun_under_the_new_id_is_folded_into_the_older_one(
    gateway: RunningGateway, sim: Simulator
) -> None:
    old = sim.user("15551238001", "Mara", username="@mara", hides_phone=True)
    assert (await sim.send(old, "text", body="first, under the old id")).ok
    (older,) = await conversations(gateway)
    await annotate(gateway, older["id"])
    new = old.with_new_user_id()
    # Meta's message under the new id outruns the system message announcing it.
    assert (await sim.send(new, "text", body="early, under the new id")).ok
    newer = next(c for c in await conversations(gateway) if c["id"] != older["id"])
    base = f"/v1/conversations/{newer['id']}"
    assert (await gateway.api("PUT", f"{base}/labels", {"labels": ["new", "vip"]}))[0] == 200
    assert (await gateway.api("POST", f"{base}/notes", {"text": "Asked for a call"}))[0] == 201

    assert (await sim.send(old, "system", system_type="user_changed_user_id")).ok

    (kept,) = await conversations(gateway)
    assert kept["id"] == older["id"]  # the older is kept
    assert (kept["waId"], kept["userId"]) == (new.user_id, new.user_id)
    got = await detail(gateway, kept["id"])
    assert got["labels"] == ["vip", "new"]
    assert [n["text"] for n in got["notes"]] == ["Prefers mornings", "Asked for a call"]
    assert got["messageCounts"]["inbound"] == 3
    status, messages = await gateway.api("GET", f"/v1/conversations/{kept['id']}/messages")
    assert status == 200, messages
    bodies = {m["text"] for m in messages["data"]}
    assert {"first, under the old id", "early, under the new id"} <= bodies
    assert (await gateway.api("GET", base))[0] == 404


async def test_a_bsuid_change_of_a_user_with_a_number_keeps_replies_on_the_number(
    gateway: RunningGateway, sim: Simulator
) -> None:
    old = sim.user("15551238002", "Noor")
    assert (await sim.send(old, "text", body="hello")).ok
    (conversation,) = await conversations(gateway)
    await annotate(gateway, conversation["id"])
    assert (await sim.send(old, "system", system_type="user_changed_user_id")).ok
    new = old.with_new_user_id()
    assert (await sim.send(new, "text", body="same number, new id")).ok
    await assert_moved(gateway, conversation, new, inbound=3)
    payload = await reply_goes_to(gateway, sim, conversation["id"])
    assert payload["to"] == old.wa_id and "recipient" not in payload
