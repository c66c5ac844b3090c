"""The ``summary`` format: the conversation-summary payload of seeds/002, one POST per
inbound message, built from the conversation as it stood at that message.

Seed 002 names its fields by what they mean, not by key; the keys are snake_case like the
one it spells out (``message_type``):

- ``last_messages``: the recent messages, newest first (the last 10 unless configured:
  ``WAHOOKS_SUMMARY_RECENT_MESSAGES``), each ``{type: "user"|"bot", content, timestamp
  (ISO 8601), content_type}``; ``bot`` is what we sent.
- ``conversation_summary``: a readable summary of the recent conversation.
- ``phone_number`` (the user's, E.164 with ``+``), ``name`` (WhatsApp profile name or null),
  ``user_id`` (the conversation's ``externalUserId``: the tenant's own id, or null).
- ``last_user_message`` / ``last_system_message`` and ``last_user_message_time`` /
  ``last_system_message_time`` (Unix seconds), null when there is none.
- ``message_type``: the type of the message this payload is about (WhatsApp's type name:
  text, image, audio, video, document, location, sticker, contacts, interactive, ...).
- ``media_url``: the signed link to that message's file (absolute, under
  WAHOOKS_PUBLIC_URL, fetched without a key; media/links.py), null for messages without one
  or while it is unavailable.
- ``note``: the conversation's notes, oldest first, one per line ("" when none);
  ``automation_note``: always null (wahooks runs no automations of its own).
- ``labels``: the conversation's labels, comma-separated ("" when none).

Added for replying: ``conversation_id`` (send with ``POST /v1/messages/send``), and
``test: true`` on a destination's test delivery. The seed's webhooks are "available for
incoming messages only": other event types are skipped.
"""

from collections.abc import Mapping, Sequence
from typing import Any

import orjson

from wahooks.formats.skip import SkipEvent
from wahooks.models import EventType, JsonObject, MediaInfo, MessageEvent, MessageRecord
from wahooks.times import iso_time, readable_time

EVENTS = frozenset({EventType.MESSAGE_IN_NEW.value, EventType.TEST.value})
"""The event types this format expresses; any other is skipped."""

SUMMARY_QUOTE_CHARS = 200  # longest quote of a message in the readable summary


def _obj(item: Mapping[str, Any], key: str) -> Mapping[str, Any]:
    value = item.get(key)
    return value if isinstance(value, dict) else {}


def message_text(item: Mapping[str, Any]) -> str:
    """A message as a line of text: its text or caption, else what it is (``[image]``)."""
    kind = str(item.get("type", ""))
    content = _obj(item, kind)
    if kind in ("text", "system"):
        return str(content.get("body", ""))
    if kind in ("image", "video", "document"):
        caption = content.get("caption")
        if caption:
            return str(caption)
        name = content.get("filename")
        return f"[document: {name}]" if kind == "document" and name else f"[{kind}]"
    if kind == "audio":
        return "[voice message]" if content.get("voice") else "[audio]"
    if kind == "location":
        where = ", ".join(str(content[k]) for k in ("name", "address") if content.get(k))
        at = f"{content.get('latitude')}, {content.get('longitude')}"
        return f"[location: {where} ({at})]" if where else f"[location: {at}]"
    if kind == "contacts":
        cards = item.get("contacts")
        names = [
            str(_obj(card, "name").get("formatted_name", ""))
            for card in (cards if isinstance(cards, list) else [])
            if isinstance(card, dict)
        ]
        return f"[contact: {', '.join(n for n in names if n) or 'card'}]"
    if kind == "button":
        return str(content.get("text", ""))
    if kind == "interactive":
        reply = _obj(content, str(content.get("type", "")))
        if "title" in reply:
            return str(reply["title"])
        return str(_obj(content, "body").get("text", "")) or "[interactive]"
    if kind == "reaction":
        emoji = content.get("emoji")
        return f"[reaction: {emoji}]" if emoji else "[reaction removed]"
    if kind == "order":
        items = content.get("product_items")
        count = len(items) if isinstance(items, list) else 0
        text = str(content.get("text") or "")
        return f"[order: {count} items]" + (f" {text}" if text else "")
    if kind == "edit":
        return "[edited] " + message_text(_obj(content, "message"))
    if kind == "revoke":
        return "[message deleted]"
    if kind == "template":
        return f"[template: {content.get('name', '')}]"
    return f"[{kind or 'message'}]"


def media_url(media: MediaInfo | None) -> str | None:
    if media is None or media.unavailable or media.media_id is None:
        return None
    return media.url


def _timestamp(item: Mapping[str, Any], fallback: float) -> int:
    try:
        return int(item.get("timestamp", fallback))
    except (TypeError, ValueError):
        return int(fallback)


def _quote(text: str) -> str:
    short = text if len(text) <= SUMMARY_QUOTE_CHARS else text[: SUMMARY_QUOTE_CHARS - 1] + "…"
    return f"“{short}”"


def _entry(message: MessageRecord) -> JsonObject:
    return {
        "type": "user" if message.direction == "in" else "bot",
        "content": message_text(message.item),
        "timestamp": iso_time(message.timestamp),
        "content_type": message.type,
    }


def summary_text(
    who: str,
    recent: Sequence[MessageRecord],
    last_user: MessageRecord | None,
    last_ours: MessageRecord | None,
    labels: Sequence[str],
    notes: int,
) -> str:
    """A few sentences a person reads at a glance (no model involved: counts and quotes)."""
    parts = []
    if last_user is not None:
        parts.append(
            f"{who} last wrote {_quote(message_text(last_user.item))} "
            f"({last_user.type}, {readable_time(last_user.timestamp)})."
        )
    else:
        parts.append(f"{who} has not written yet.")
    if last_ours is not None:
        parts.append(
            f"Our last message: {_quote(message_text(last_ours.item))} "
            f"({readable_time(last_ours.timestamp)})."
        )
    else:
        parts.append("We have not written yet.")
    users = sum(1 for m in recent if m.direction == "in")
    plural = "" if len(recent) == 1 else "s"
    parts.append(
        f"Recent: {len(recent)} message{plural}, {users} from the user and "
        f"{len(recent) - users} from us."
    )
    if labels:
        parts.append(f"Labels: {', '.join(labels)}.")
    if notes:
        parts.append(f"Notes: {notes}.")
    return " ".join(parts)


def _event_message(event: MessageEvent) -> MessageRecord:
    """The event's own message, for when the conversation is not loaded (a test delivery)."""
    item = event.item
    return MessageRecord(
        seq=0,
        wamid=str(item.get("id", "")),
        direction="in",
        type=str(item.get("type", "")),
        timestamp=_timestamp(item, 0),
        item=item,
        status=None,
        status_at=None,
        created_at=0,
        media=event.media,
    )


def payload(event: MessageEvent) -> JsonObject:
    if event.event_type not in EVENTS:
        raise SkipEvent("summary", event.event_type, "it summarises incoming messages only")
    context = event.conversation
    contact = event.contact or {}
    profile = contact.get("profile")
    profile_name = profile.get("name") if isinstance(profile, dict) else None
    wa_id = event.wa_id or str(contact.get("wa_id") or event.item.get("from", ""))
    this = _event_message(event)
    if context is not None:
        recent = list(context.recent) or [this]
        last_user, last_ours = context.last_inbound or this, context.last_outbound
        name = context.contact_name or profile_name
        wa_id = context.wa_id or wa_id
        labels, notes = list(context.labels), [n.text for n in context.notes]
        user_id = context.external_user_id
    else:
        recent, last_user, last_ours = [this], this, None
        name, labels, notes, user_id = profile_name, [], [], None
    phone = "+" + wa_id if wa_id and not wa_id.startswith("+") else wa_id
    out: JsonObject = {
        "last_messages": [_entry(m) for m in recent],
        "conversation_summary": summary_text(
            name or phone, recent, last_user, last_ours, labels, len(notes)
        ),
        "phone_number": phone,
        "name": name,
        "user_id": user_id,
        "last_user_message": message_text(last_user.item),
        "last_system_message": None if last_ours is None else message_text(last_ours.item),
        "message_type": this.type,
        "last_user_message_time": last_user.timestamp,
        "last_system_message_time": None if last_ours is None else last_ours.timestamp,
        "media_url": media_url(event.media),
        "note": "\n".join(notes),
        "automation_note": None,
        "labels": ",".join(labels),
        "conversation_id": event.conversation_id,
    }
    if event.test:
        out["test"] = True
    return out


def render(event: MessageEvent) -> bytes:
    return orjson.dumps(payload(event))
