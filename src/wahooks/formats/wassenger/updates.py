"""The Wassenger events seed 004 lists without a payload example, in the seed's envelope
``{object, event, created, device, data, wahooks}``:

- ``message:reaction``: ``data`` the reaction message (``type: "reaction"``, ``body`` the
  emoji, empty when the user took it back) and ``data.reaction`` ``{emoji, messageId,
  removed}`` (``messageId``: the wamid reacted to).
- ``message:update``: ``data`` the edit or revoke (``type`` ``edit``/``revoke``, ``body``
  an edit's new text, ``meta.isRevoked`` for a revoke) and ``data.update`` ``{kind,
  messageId, body}`` (``messageId``: the wamid edited or revoked).
- ``chat:update`` (labels or notes changed through our API): ``object: "chat"``, ``data``
  the chat as in a message's ``data.chat``, ``data.update`` what changed
  (``{kind: "labels", labels, previousLabels}``, ``{kind: "note_added", note}``, ``{kind:
  "note_deleted", noteId}``).
- ``contact:update`` (the tenant's own id for the user set through our API, Wassenger's
  contact metadata): ``object: "contact"``, ``data`` the contact as in ``data.chat.contact``,
  ``data.update`` ``{kind: "metadata", metadata, previousMetadata}``.
- ``group:update`` (Meta's group webhook fields): ``object: "group"``, ``data`` ``{id,
  kind, items}``: the group's WhatsApp id (``@g.us``) when Meta names one, Meta's field, and
  the field's items as Meta sent them (the whole value stays under ``wahooks.value``).
"""

from typing import Any

from wahooks.formats.wassenger.chat import chat, contact, device
from wahooks.formats.wassenger.message import envelope, parties
from wahooks.formats.wassenger.values import iso_clock, unix, wid
from wahooks.models import EventType, JsonObject, MessageEvent

REACTION = EventType.MESSAGE_REACTION.value
UPDATE = EventType.MESSAGE_UPDATE.value
CHAT_UPDATE = EventType.CHAT_UPDATE.value
CONTACT_UPDATE = EventType.CONTACT_UPDATE.value
GROUP_UPDATE = EventType.GROUP_UPDATE.value

EVENTS = frozenset({REACTION, UPDATE, CHAT_UPDATE, CONTACT_UPDATE, GROUP_UPDATE})


def _content(event: MessageEvent, kind: str) -> dict[str, Any]:
    found = event.item.get(kind)
    return found if isinstance(found, dict) else {}


def reaction(event: MessageEvent) -> JsonObject:
    out = envelope(event, REACTION)
    found = _content(event, "reaction")
    emoji = found.get("emoji") or None
    out["data"]["reaction"] = {
        "emoji": emoji,
        "messageId": found.get("message_id"),
        "removed": emoji is None,
    }
    return out


def message_update(event: MessageEvent) -> JsonObject:
    out = envelope(event, UPDATE)
    data = out["data"]
    kind = str(event.item.get("type", ""))
    found = _content(event, kind)
    data["update"] = {
        "kind": kind,
        "messageId": found.get("original_message_id"),
        "body": data["body"] if kind == "edit" else None,
    }
    return out


def _ours(event: MessageEvent) -> JsonObject:
    found = event.data or {}
    out: JsonObject = {"conversationId": event.conversation_id or None,
                       "numberId": event.number_id}  # fmt: skip
    for key in ("field", "value"):
        if key in found:
            out[key] = found[key]
    if event.test:
        out["test"] = True
    return out


def _around(event: MessageEvent, obj: str, name: str, data: JsonObject, at: Any) -> JsonObject:
    return {
        "object": obj,
        "event": name,
        "created": at,
        "device": device(event),
        "data": data,
        "wahooks": _ours(event),
    }


def _now(event: MessageEvent) -> int | None:
    """When the change was made: the API's time (note.createdAt is ours too), else the
    last message's."""
    found = event.data or {}
    at = found.get("changedAt") or found.get("entryTime")
    return unix(at) if at is not None else unix(event.item.get("timestamp"))


def chat_update(event: MessageEvent) -> JsonObject:
    found = event.data or {}
    _, _, user = parties(event)
    data = chat(event, user, None)
    update: JsonObject = {"kind": found.get("change")}
    if found.get("change") == "labels":
        update["labels"] = found.get("labels", [])
        update["previousLabels"] = found.get("previousLabels", [])
    elif found.get("change") == "note_added":
        note = found.get("note") or {}
        update["note"] = {**note, "createdAt": iso_clock(note.get("createdAt"))}
    else:
        update["noteId"] = found.get("noteId")
    data["update"] = update
    return _around(event, "chat", CHAT_UPDATE, data, _now(event))


def _metadata(external_user_id: Any) -> list[JsonObject]:
    if external_user_id is None:
        return []
    return [{"key": "externalUserId", "value": external_user_id}]


def contact_update(event: MessageEvent) -> JsonObject:
    found = event.data or {}
    _, _, user = parties(event)
    data = contact(event, user)
    data["update"] = {
        "kind": "metadata",
        "metadata": _metadata(found.get("externalUserId")),
        "previousMetadata": _metadata(found.get("previousExternalUserId")),
    }
    return _around(event, "contact", CONTACT_UPDATE, data, _now(event))


def group_update(event: MessageEvent) -> JsonObject:
    found = event.data or {}
    value = found.get("value")
    items: list[Any] = []
    if isinstance(value, dict):
        for listed in value.values():
            if isinstance(listed, list) and listed and isinstance(listed[0], dict):
                items = listed
                break
    group = next((i.get("group_id") for i in items if isinstance(i.get("group_id"), str)), None)
    data: JsonObject = {
        "id": None if group is None else wid(group, group=True),
        "kind": found.get("field"),
        "items": items,
    }
    at = items[0].get("timestamp") if items else found.get("entryTime")
    return _around(event, "group", GROUP_UPDATE, data, unix(at))


RENDERERS = {
    REACTION: reaction,
    UPDATE: message_update,
    CHAT_UPDATE: chat_update,
    CONTACT_UPDATE: contact_update,
    GROUP_UPDATE: group_update,
}
