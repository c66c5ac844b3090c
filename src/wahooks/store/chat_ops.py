"""The wassenger format's facts of a conversation and its number (``ChatFacts``): one
statement (sql/conversations.sql ``chat_facts``), read at send time for that format only."""

import orjson

from wahooks.models import ChatFacts
from wahooks.store.base import FetchOne, Operation
from wahooks.store.convs_ops import _labels as labels_of


def _emoji(raw: str | None) -> str | None:
    """The emoji of a stored reaction message (Meta's ``reaction.emoji``; none: removed)."""
    item = orjson.loads(raw) if raw else {}
    reaction = item.get("reaction") if isinstance(item, dict) else None
    emoji = reaction.get("emoji") if isinstance(reaction, dict) else None
    return emoji if isinstance(emoji, str) and emoji else None


def _int(value: object) -> int | None:
    return None if value is None else int(str(value))


def chat_facts(conversation_id: str) -> Operation[ChatFacts | None]:
    """The conversation's counts and times and its number's facts (the wassenger format's
    chat and device); None: no such conversation."""
    row = yield FetchOne("chat_facts", {"id": conversation_id})
    if row is None:
        return None
    return ChatFacts(
        tenant_id=row["tenant_id"],
        wa_id=row["wa_id"],
        is_group=bool(row["is_group"]),
        contact_name=row["contact_name"],
        external_user_id=row["external_user_id"],
        labels=labels_of(row["labels"]),
        created_at=row["created_at"],
        first_wamid=row["first_wamid"],
        first_message_at=_int(row["first_message_at"]),
        last_message_at=_int(row["last_message_at"]),
        last_inbound_at=_int(row["last_inbound_at"]),
        last_outbound_at=_int(row["last_outbound_at"]),
        last_reaction_at=_int(row["last_reaction_at"]),
        last_reaction_emoji=_emoji(row["last_reaction_item"]),
        inbound_messages=int(row["inbound_messages"]),
        outbound_messages=int(row["outbound_messages"]),
        notes=int(row["notes"]),
        number_created_at=row["number_created_at"],
        number_display_name=row["number_display_name"],
        number_health=row["number_health"],
        number_health_checked_at=row["number_health_checked_at"],
    )
