"""Wassenger's events without a seed example (formats/wassenger/updates.py):
message:reaction, message:update (edit, revoke), chat:update (labels, notes), contact:update
(the tenant's own id for the user) and group:update (Meta's group fields), rendered from
realistic events, then end to end: the simulator and our API → the gateway → a receiver."""

from dataclasses import replace
from typing import Any

import orjson

from tests.conftest import RunningGateway, add_destination, registered_sim
from tests.formats.test_wassenger import USER, base, facts
from wahooks.demo.receiver import Receiver
from wahooks.formats import wassenger
from wahooks.models import MessageEvent
from wahooks.sim import changes
from wahooks.sim.settings import SimSettings

NUMBER_DATA = {"numberId": "num_1", "phoneNumberId": "106540352242922",
               "displayPhoneNumber": "1234567890", "wabaId": "102290129340398"}  # fmt: skip
CHANGED_AT = 1660906800.25  # 2022-08-19T11:00:00.250Z


def render(event: MessageEvent) -> Any:
    return orjson.loads(wassenger.render(event))


def item(kind: str, content: dict[str, Any]) -> dict[str, Any]:
    return {"from": USER, "id": "wamid.U", "timestamp": "1660906761", "type": kind, kind: content}


def test_a_reaction() -> None:
    got = render(base(event_type="message:reaction",
                      item=item("reaction", {"message_id": "wamid.A", "emoji": "👍"})))  # fmt: skip
    assert (got["object"], got["event"]) == ("message", "message:reaction")
    data = got["data"]
    assert (data["type"], data["body"], data["flow"]) == ("reaction", "👍", "inbound")
    assert data["reaction"] == {"emoji": "👍", "messageId": "wamid.A", "removed": False}
    assert data["meta"]["containsEmoji"] is True
    assert data["chat"]["labels"] == ["vip", "NEW"]  # the chat, as for any message


def test_a_reaction_taken_back() -> None:
    got = render(base(event_type="message:reaction",
                      item=item("reaction", {"message_id": "wamid.A", "emoji": ""})))  # fmt: skip
    assert got["data"]["body"] == ""
    assert got["data"]["reaction"] == {"emoji": None, "messageId": "wamid.A", "removed": True}


def test_an_edit() -> None:
    fixed = {"type": "text", "text": {"body": "Hello, fixed"}}
    edit = {"original_message_id": "wamid.A", "message": fixed}
    got = render(base(event_type="message:update", item=item("edit", edit)))
    assert got["event"] == "message:update"
    data = got["data"]
    assert (data["type"], data["body"]) == ("edit", "Hello, fixed")
    assert data["update"] == {"kind": "edit", "messageId": "wamid.A", "body": "Hello, fixed"}
    assert data["meta"]["isRevoked"] is False


def test_a_revoke() -> None:
    got = render(base(event_type="message:update",
                      item=item("revoke", {"original_message_id": "wamid.A"})))  # fmt: skip
    data = got["data"]
    assert (data["type"], data["body"]) == ("revoke", "")
    assert data["update"] == {"kind": "revoke", "messageId": "wamid.A", "body": None}
    assert data["meta"]["isRevoked"] is True


def conversation_event(kind: str, change: dict[str, Any]) -> MessageEvent:
    return base(event_type=kind, item={}, contact=None,
                data={**change, **NUMBER_DATA, "changedAt": CHANGED_AT})  # fmt: skip


def test_a_chat_update_of_labels() -> None:
    ev = conversation_event("chat:update", {"change": "labels", "labels": ["vip", "NEW"],
                                            "previousLabels": ["vip"]})  # fmt: skip
    got = render(ev)
    assert list(got) == ["object", "event", "created", "device", "data", "wahooks"]
    assert (got["object"], got["event"], got["created"]) == ("chat", "chat:update", 1660906800)
    data = got["data"]
    assert data["id"] == f"{USER}@c.us" and data["labels"] == ["vip", "NEW"]
    assert data["name"] == "Bob A."  # from the conversation: no message here
    assert data["update"] == {"kind": "labels", "labels": ["vip", "NEW"],
                              "previousLabels": ["vip"]}  # fmt: skip
    assert got["wahooks"] == {"conversationId": "conv_1", "numberId": "num_1"}


def test_a_chat_update_of_notes() -> None:
    note = {"id": "note_1", "text": "called back", "createdAt": CHANGED_AT}
    added = render(conversation_event("chat:update", {"change": "note_added", "note": note}))
    assert added["data"]["update"] == {
        "kind": "note_added",
        "note": {"id": "note_1", "text": "called back", "createdAt": "2022-08-19T11:00:00.250Z"},
    }
    gone = render(conversation_event("chat:update", {"change": "note_deleted", "noteId": "n"}))
    assert gone["data"]["update"] == {"kind": "note_deleted", "noteId": "n"}


def test_a_contact_update() -> None:
    ev = conversation_event("contact:update", {"change": "external_user_id",
                                               "externalUserId": "crm-8",
                                               "previousExternalUserId": None})  # fmt: skip
    got = render(replace(ev, chat=facts(external_user_id="crm-8")))
    assert (got["object"], got["event"]) == ("contact", "contact:update")
    data = got["data"]
    assert data["wid"] == f"{USER}@c.us" and data["phone"] == f"+{USER}"
    assert data["metadata"] == [{"key": "externalUserId", "value": "crm-8"}]
    assert data["update"] == {
        "kind": "metadata",
        "metadata": [{"key": "externalUserId", "value": "crm-8"}],
        "previousMetadata": [],
    }


def test_a_group_update() -> None:
    settings = SimSettings(display_phone_number="1234567890", phone_number_id="106540352242922")
    value = changes.group_participants_added(settings, "120363040000000001", [USER], 1660906800)
    data = {"field": "group_participants_update", "value": value, **NUMBER_DATA}
    ev = base(event_type="group:update", item={}, contact=None, conversation_id="", chat=None,
              data=data)  # fmt: skip
    got = render(ev)
    assert (got["object"], got["event"], got["created"]) == ("group", "group:update", 1660906800)
    assert got["data"] == {
        "id": "120363040000000001@g.us",
        "kind": "group_participants_update",
        "items": value["groups"],
    }
    assert got["wahooks"]["value"] == value  # Meta's, whole


# --- end to end --------------------------------------------------------------------------------

EVENTS = ["message:in:new", "message:reaction", "message:update", "chat:update",
          "contact:update", "group:update"]  # fmt: skip


async def test_every_new_event_reaches_a_receiver(
    gateway: RunningGateway, receiver: Receiver
) -> None:
    async with registered_sim(gateway) as sim:
        await add_destination(gateway, receiver, format="wassenger", events=EVENTS)
        user = sim.user("15551230066", "Ann Lee")

        async def next_payload(n: int) -> Any:
            await receiver.wait_for(lambda r: len(r.accepted()) == n)
            return receiver.accepted()[n - 1].json()

        hello = await sim.send(user, "text", body="Hello")
        assert hello.ok
        conversation = (await next_payload(1))["wahooks"]["conversationId"]
        assert (await sim.send(user, "reaction", message_id=hello.wamid, emoji="❤")).ok
        reacted = await next_payload(2)
        assert reacted["event"] == "message:reaction"
        assert reacted["data"]["reaction"] == {"emoji": "❤", "messageId": hello.wamid,
                                               "removed": False}  # fmt: skip
        assert reacted["data"]["chat"]["lastReactionEmoji"] == "❤"
        assert (await sim.send(user, "edit", original_message_id=hello.wamid, body="Hi!")).ok
        edited = await next_payload(3)
        assert edited["event"] == "message:update"
        assert edited["data"]["update"] == {"kind": "edit", "messageId": hello.wamid,
                                            "body": "Hi!"}  # fmt: skip
        assert (await sim.send(user, "revoke", original_message_id=hello.wamid)).ok
        revoked = await next_payload(4)
        assert revoked["data"]["update"]["kind"] == "revoke"
        assert revoked["data"]["meta"]["isRevoked"] is True

        status, body = await gateway.api(
            "POST", f"/v1/conversations/{conversation}/labels", {"label": "vip"}
        )
        assert status == 200, body
        labelled = await next_payload(5)
        assert (labelled["object"], labelled["event"]) == ("chat", "chat:update")
        assert labelled["data"]["labels"] == ["vip"]
        assert labelled["data"]["update"] == {"kind": "labels", "labels": ["vip"],
                                              "previousLabels": []}  # fmt: skip
        assert labelled["wahooks"]["conversationId"] == conversation
        # Adding a label it has is no change: no event.
        status, body = await gateway.api(
            "POST", f"/v1/conversations/{conversation}/labels", {"label": "vip"}
        )
        assert status == 200, body
        status, note = await gateway.api(
            "POST", f"/v1/conversations/{conversation}/notes", {"text": "VIP customer"}
        )
        assert status == 201, note
        noted = await next_payload(6)
        assert noted["data"]["update"]["kind"] == "note_added"
        assert noted["data"]["update"]["note"]["text"] == "VIP customer"
        assert noted["data"]["stats"]["notes"] == 1
        status, _ = await gateway.api(
            "DELETE", f"/v1/conversations/{conversation}/notes/{note['id']}"
        )
        assert status == 204
        unnoted = await next_payload(7)
        assert unnoted["data"]["update"] == {"kind": "note_deleted", "noteId": note["id"]}

        status, body = await gateway.api(
            "PATCH", f"/v1/conversations/{conversation}", {"externalUserId": "crm-9"}
        )
        assert status == 200, body
        contact = await next_payload(8)
        assert (contact["object"], contact["event"]) == ("contact", "contact:update")
        assert contact["data"]["phone"] == "+15551230066"
        assert contact["data"]["update"]["metadata"] == [
            {"key": "externalUserId", "value": "crm-9"}
        ]

        group = changes.group_participants_added(
            sim.settings, "120363040000000077", [user.wa_id], int(sim.clock())
        )
        assert await sim.send_change("group_participants_update", group) == 200
        grouped = await next_payload(9)
        assert (grouped["object"], grouped["event"]) == ("group", "group:update")
        assert grouped["data"]["id"] == "120363040000000077@g.us"
        assert grouped["data"]["items"][0]["added_participants"][0]["wa_id"] == user.wa_id
        assert grouped["device"]["id"] == sim.number_id
    assert all(a.verified for a in receiver.accepted())
    assert len(receiver.accepted()) == 9  # the label that was there already: no event
