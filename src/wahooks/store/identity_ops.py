"""Who an inbound message is from, and the conversation it belongs to: by phone number or
by business-scoped user id (BSUID); and the message stored in it (SQL in sql/core.sql).
A change of number or BSUID is followed before (move_ops.py)."""

import orjson

from wahooks.ids import new_id
from wahooks.models import InboundMessage, Number
from wahooks.store.base import Execute, FetchOne, Operation, Row


def upsert_inbound_conversation(
    number: Number, tenant_id: str, activation_id: str | None, msg: InboundMessage, now: float
) -> Operation[Row]:
    """The tenant's conversation with an inbound message's sender, created or brought up to
    date (last inbound time, contact name, activation, BSUID); its row (id, activation_id).

    The same person is one conversation whether it began by phone number or by BSUID, and
    whether this message shows the number or not (Meta's "Business-scoped user IDs" guide).
    A message with a number takes one statement, as before BSUIDs: the upsert by number
    (which records the BSUID); only when that made a new conversation is an older one of the
    same BSUID looked for (begun while the number was withheld), and used instead. A message
    without a number is found by its BSUID."""
    contact_name = (msg.contact or {}).get("profile", {}).get("name")
    user_id = msg.user_id
    group_id = msg.group_id
    if group_id is not None:
        # A message in a group belongs to the group's conversation, whoever sent it (the
        # sender is the message's contact); replies go to the group.
        contact_name, user_id = None, None
    touch = {
        "contact_name": contact_name,
        "last_inbound_at": float(msg.timestamp),
        "activation_id": activation_id,
        "now": now,
    }
    ids = {"tenant_id": tenant_id, "number_id": number.id, "user_id": user_id}
    phone_less = user_id is not None and msg.from_wa_id == user_id
    if phone_less:
        known = yield FetchOne("conversation_of_user", {**ids, "id": ""})
        if known is not None:
            found: Row = yield FetchOne(
                "touch_inbound_conversation", {"id": known["id"], "phone": None, **touch}
            )
            return found
    row: Row = yield FetchOne(
        "upsert_conversation",
        {
            "id": new_id("conv"),
            "wa_id": group_id or msg.from_wa_id,
            "is_group": group_id is not None,
            **ids,
            **touch,
        },
    )
    if user_id is None or phone_less or row["created_at"] != now:
        return row
    older = yield FetchOne("conversation_of_user", {**ids, "id": row["id"]})
    if older is None:
        return row
    # Begun by BSUID while the number was withheld: that conversation is this person's.
    yield Execute("delete_new_conversation", {"id": row["id"]})
    moved: Row = yield FetchOne(
        "touch_inbound_conversation", {"id": older["id"], "phone": msg.from_wa_id, **touch}
    )
    return moved


def store_inbound_message(
    number: Number, tenant_id: str, activation_id: str | None, msg: InboundMessage, now: float
) -> Operation[tuple[str, Row | None]]:
    """An inbound message in its conversation: (conversation id, the message's row), the row
    None when Meta sent this wamid before (a redelivery, stored once)."""
    conversation = yield from upsert_inbound_conversation(
        number, tenant_id, activation_id, msg, now
    )
    message: Row | None = yield FetchOne(
        "insert_message",
        {
            "number_id": number.id,
            "conversation_id": conversation["id"],
            "wamid": msg.wamid,
            "direction": "in",
            "type": msg.type,
            "timestamp": msg.timestamp,
            "item": orjson.dumps(msg.item).decode(),
            "contact": None if msg.contact is None else orjson.dumps(msg.contact).decode(),
            "status": None,
            "status_rank": 0,
            "now": now,
        },
    )
    return str(conversation["id"]), message
