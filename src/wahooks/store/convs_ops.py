"""Operations of the conversations API, the summary format's context, and the inbound
message's conversation.

Generators of named queries (see base.py; their SQL is in sql/conversations.sql). A rule
broken inside a transaction (too many labels, an unknown label) raises a domain error from
here, so the transaction's writes roll back with it.
"""

from collections.abc import Sequence

import orjson

from wahooks.errors import InvalidRequest, NotFound
from wahooks.ids import new_id
from wahooks.models import (
    Conversation,
    ConversationContext,
    ConversationNote,
    ConversationRecord,
    EventType,
    JsonObject,
    MediaInfo,
    MessageRecord,
)
from wahooks.secrets import Keyring
from wahooks.store.base import Execute, FetchAll, FetchOne, Operation, Row
from wahooks.store.number_ops import number_from_row
from wahooks.store.publish_ops import publish_for_conversation

CHAT_UPDATE = EventType.CHAT_UPDATE.value
CONTACT_UPDATE = EventType.CONTACT_UPDATE.value
MAX_LABELS = 20
MAX_NOTES = 100
# Compare-and-set tries when labels change concurrently (each try re-reads them).
LABEL_TRIES = 5


# --- conversations ---------------------------------------------------------------------


def label_pattern(label: str) -> str:
    """A LIKE pattern matching one element of a labels list as stored (compact JSON), with
    the brackets turned into commas: ``["a","b"]`` is matched as ``,"a","b",``. A double
    quote inside a JSON string is always escaped, so ``,"b",`` only matches a whole element."""
    token = "," + orjson.dumps(label).decode() + ","
    escaped = token.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return "%" + escaped + "%"


def _labels(raw: str | None) -> tuple[str, ...]:
    value = orjson.loads(raw) if raw else []
    return tuple(str(v) for v in value) if isinstance(value, list) else ()


def _conversation(
    row: Row, notes: Sequence[ConversationNote] = (), counts: dict[str, int] | None = None
) -> ConversationRecord:
    counts = counts or {}
    return ConversationRecord(
        id=row["id"],
        tenant_id=row["tenant_id"],
        number_id=row["number_id"],
        wa_id=row["wa_id"],
        user_id=row["user_id"],
        is_group=bool(row["is_group"]),
        contact_name=row["contact_name"],
        external_user_id=row["external_user_id"],
        labels=_labels(row["labels"]),
        last_inbound_at=row["last_inbound_at"],
        last_message_at=row["last_message_at"],
        created_at=row["created_at"],
        activation_id=row["activation_id"],
        notes=tuple(notes),
        inbound_count=counts.get("in", 0),
        outbound_count=counts.get("out", 0),
    )


def list_conversations(
    tenant_id: str,
    *,
    app_id: str | None,
    number_id: str | None,
    label: str | None,
    external_user_id: str | None,
    before: tuple[float, str] | None,
    limit: int,
    wa_id: str | None = None,
) -> Operation[list[ConversationRecord]]:
    params: dict[str, object] = {
        "tenant_id": tenant_id,
        "app_id": app_id,
        "number_id": number_id,
        "external_user_id": external_user_id,
        "label_pattern": None if label is None else label_pattern(label),
        "before_at": None if before is None else before[0],
        "before_id": None if before is None else before[1],
        "limit": limit,
    }
    if wa_id is None:
        rows = yield FetchAll("list_conversations", params)
    else:  # one contact's: on its own index (list_contact_conversations)
        rows = yield FetchAll("list_contact_conversations", params | {"wa_id": wa_id})
    return [_conversation(r) for r in rows]


def _scoped(tenant_id: str, app_id: str | None, conversation_id: str) -> Operation[Row | None]:
    row: Row | None = yield FetchOne(
        "scoped_conversation", {"id": conversation_id, "tenant_id": tenant_id, "app_id": app_id}
    )
    return row


def _notes(conversation_id: str) -> Operation[list[ConversationNote]]:
    rows = yield FetchAll("notes_of_conversation", {"id": conversation_id})
    return [ConversationNote(id=r["id"], text=r["text"], created_at=r["created_at"]) for r in rows]


def conversation_detail(
    tenant_id: str, app_id: str | None, conversation_id: str
) -> Operation[ConversationRecord | None]:
    """The conversation with its notes and message counts; None if not the caller's."""
    row = yield from _scoped(tenant_id, app_id, conversation_id)
    if row is None:
        return None
    notes = yield from _notes(conversation_id)
    counted = yield FetchAll("conversation_message_counts", {"id": conversation_id})
    counts = {r["direction"]: int(r["n"]) for r in counted}
    return _conversation(row, notes, counts)


def _require(row: Row | None, conversation_id: str) -> Row:
    if row is None:
        raise NotFound(f"no conversation {conversation_id}")
    return row


def change_labels(
    tenant_id: str,
    app_id: str | None,
    conversation_id: str,
    *,
    replace_with: Sequence[str] | None = None,
    add: str | None = None,
    remove: str | None = None,
    now: float = 0.0,
) -> Operation[tuple[str, ...]]:
    """Replace the labels, add one (no-op if present) or remove one (NotFound if absent);
    at most MAX_LABELS. Returns the labels after the change. A change is a chat:update."""
    for _ in range(LABEL_TRIES):
        row = _require((yield from _scoped(tenant_id, app_id, conversation_id)), conversation_id)
        current = list(_labels(row["labels"]))
        if replace_with is not None:
            wanted = list(dict.fromkeys(replace_with))
        elif add is not None:
            wanted = current if add in current else [*current, add]
        else:
            if remove not in current:
                raise NotFound(f"conversation {conversation_id} has no label {remove!r}")
            wanted = [label for label in current if label != remove]
        if len(wanted) > MAX_LABELS:
            raise InvalidRequest(
                f"labels: a conversation has at most {MAX_LABELS} labels ({len(wanted)} asked)"
            )
        if wanted == current:
            return tuple(current)
        changed = yield Execute(
            "set_labels",
            {
                "id": conversation_id,
                "labels": orjson.dumps(wanted).decode(),
                "previous": row["labels"],
            },
        )
        if changed:
            yield from publish_for_conversation(
                conversation_id, CHAT_UPDATE,
                {"change": "labels", "labels": wanted, "previousLabels": current}, now,
            )  # fmt: skip
            return tuple(wanted)
    raise RuntimeError(f"labels of {conversation_id} kept changing; try again")


def add_note(
    tenant_id: str, app_id: str | None, conversation_id: str, text: str, now: float
) -> Operation[ConversationNote]:
    _require((yield from _scoped(tenant_id, app_id, conversation_id)), conversation_id)
    counted = yield FetchOne("count_notes", {"id": conversation_id})
    if int(counted["n"]) >= MAX_NOTES:
        raise InvalidRequest(
            f"notes: a conversation has at most {MAX_NOTES} notes; delete one first"
        )
    note = ConversationNote(id=new_id("note"), text=text, created_at=now)
    yield Execute(
        "insert_note",
        {"id": note.id, "conversation_id": conversation_id, "text": text, "now": now},
    )
    yield from publish_for_conversation(
        conversation_id, CHAT_UPDATE,
        {"change": "note_added", "note": {"id": note.id, "text": text, "createdAt": now}}, now,
    )  # fmt: skip
    return note


def delete_note(
    tenant_id: str, app_id: str | None, conversation_id: str, note_id: str, now: float = 0.0
) -> Operation[None]:
    _require((yield from _scoped(tenant_id, app_id, conversation_id)), conversation_id)
    deleted = yield Execute("delete_note", {"id": note_id, "conversation_id": conversation_id})
    if not deleted:
        raise NotFound(f"conversation {conversation_id} has no note {note_id}")
    yield from publish_for_conversation(
        conversation_id, CHAT_UPDATE, {"change": "note_deleted", "noteId": note_id}, now
    )


def set_external_user_id(
    tenant_id: str,
    app_id: str | None,
    conversation_id: str,
    external_user_id: str | None,
    now: float = 0.0,
) -> Operation[None]:
    """A change is a contact:update (Wassenger: the contact's metadata changed)."""
    row = _require((yield from _scoped(tenant_id, app_id, conversation_id)), conversation_id)
    if row["external_user_id"] == external_user_id:
        return
    yield Execute(
        "set_external_user_id", {"id": conversation_id, "external_user_id": external_user_id}
    )
    yield from publish_for_conversation(
        conversation_id, CONTACT_UPDATE,
        {"change": "external_user_id", "externalUserId": external_user_id,
         "previousExternalUserId": row["external_user_id"]}, now,
    )  # fmt: skip


def media_info(row: Row) -> MediaInfo | None:
    """A message's file (the media_* columns of a join), as payloads show it."""
    if row["media_id"] is None:
        return None
    if row["media_state"] != "ready":
        # No file; the name Meta gave the document is still worth showing.
        return MediaInfo(
            media_id=None,
            mime_type=row["media_mime_type"],
            byte_size=0,
            file_name=row["media_file_name"],
            unavailable=True,
        )
    return MediaInfo(
        media_id=row["media_id"],
        mime_type=row["media_mime_type"],
        byte_size=row["media_byte_size"],
        file_name=row["media_file_name"],
        created_at=row["media_created_at"],
        expires_at=row["media_expires_at"],
        # Only the claim reads it (the formats show it); the API's listings do not.
        duration_s=row["media_duration_s"] if "media_duration_s" in row.keys() else None,
    )


def _message(row: Row) -> MessageRecord:
    item: JsonObject = orjson.loads(row["item"]) if row["item"] else {}
    return MessageRecord(
        seq=row["seq"],
        wamid=row["wamid"],
        direction=row["direction"],
        type=row["type"],
        timestamp=int(row["timestamp"]),
        item=item,
        status=row["status"],
        status_at=row["status_at"],
        created_at=row["created_at"],
        media=media_info(row),
    )


def conversation_messages(
    tenant_id: str,
    app_id: str | None,
    conversation_id: str,
    *,
    before_seq: int | None,
    limit: int,
) -> Operation[list[MessageRecord] | None]:
    """Newest first; None if the conversation is not the caller's."""
    if (yield from _scoped(tenant_id, app_id, conversation_id)) is None:
        return None
    rows = yield FetchAll(
        "conversation_messages",
        {"conversation_id": conversation_id, "before_seq": before_seq, "limit": limit},
    )
    return [_message(r) for r in rows]


def conversation_context(
    conversation_id: str, wamid: str | None, recent: int
) -> Operation[ConversationContext | None]:
    """The conversation up to and including the message ``wamid`` (all of it when the
    message is unknown): what the summary format renders. None: no such conversation."""
    row = yield FetchOne("conversation_for_context", {"id": conversation_id})
    if row is None:
        return None
    upto: int = 2**62
    if wamid:
        found = yield FetchOne(
            "conversation_message_seq", {"conversation_id": conversation_id, "wamid": wamid}
        )
        if found is not None:
            upto = int(found["seq"])
    scope = {"conversation_id": conversation_id, "upto_seq": upto}
    rows = yield FetchAll("recent_messages_upto", {**scope, "limit": recent})
    last: dict[str, MessageRecord | None] = {}
    for direction in ("in", "out"):
        hit = yield FetchOne("last_message_in_direction", {**scope, "direction": direction})
        last[direction] = None if hit is None else _message(hit)
    notes = yield from _notes(conversation_id)
    return ConversationContext(
        wa_id=row["wa_id"],
        contact_name=row["contact_name"],
        external_user_id=row["external_user_id"],
        labels=_labels(row["labels"]),
        notes=tuple(notes),
        recent=tuple(_message(r) for r in rows),
        last_inbound=last["in"],
        last_outbound=last["out"],
    )


def conversation_by_id(
    tenant_id: str, conversation_id: str, keyring: Keyring
) -> Operation[Conversation | None]:
    row = yield FetchOne("conversation_by_id", {"id": conversation_id, "tenant_id": tenant_id})
    if row is None:
        return None
    number = yield FetchOne(
        "number_by_id", {"id": row["number_id"], "tenant_id": row["number_tenant_id"]}
    )
    if number is None:  # its number was disconnected (deleted)
        return None
    return Conversation(
        id=row["id"],
        tenant_id=row["tenant_id"],
        number=number_from_row(number, keyring),
        wa_id=row["wa_id"],
        contact_name=row["contact_name"],
        last_inbound_at=row["last_inbound_at"],
        activation_id=row["activation_id"],
        activation_state=row["activation_state"],
        is_group=bool(row["is_group"]),
    )


def count_active_deliveries() -> Operation[int]:
    row = yield FetchOne("count_active_deliveries")
    return int(row["n"])


def conversation_of_inbound_message(tenant_id: str, wamid: str) -> Operation[str | None]:
    row = yield FetchOne(
        "conversation_of_inbound_message", {"tenant_id": tenant_id, "wamid": wamid}
    )
    return None if row is None else str(row["conversation_id"])
