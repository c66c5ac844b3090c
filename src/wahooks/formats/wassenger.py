"""The ``wassenger`` format: Wassenger's webhook event envelope (seeds/004).

- ``message:in:new``, ``message:out:new``, ``message:out:ack``: one JSON object per POST,
  ``{object: "message", event, created, [ack,] device, data}`` with ``data`` the message as
  Wassenger describes it (``id``, ``type``, ``flow``, ``status``, ``ack``, ``from``,
  ``fromNumber``, ``to``, ``toNumber``, ``date``, ``timestamp``, ``body``, ``chat``,
  ``events``, ``meta``, ``scope``, ``webhook``). ``message:out:ack`` repeats the status
  (``sent``, ``delivered``, ``read``, ``played``) as top-level ``ack``.
- ``message:out:failed``: a JSON **array** of ``{event, date, entity, entityId, data}``
  objects, up to ``MAX_BATCH`` (25) per POST (``render_batch``); ``render`` sends a batch of one.
- The test delivery: the ``message:in:new`` shape, with ``wahooks.test: true``.

Values: ids are Meta's wamids; ``from``/``to`` are WhatsApp ids (``<number>@c.us``), the
``…Number`` fields E.164 with ``+``; ``created`` and ``timestamp`` Unix seconds (integers);
dates ISO 8601 UTC with milliseconds. The ``device`` is our number (``id`` its id, ``phone``
its display number, ``alias`` the destination's label or else the number). ``type`` is Meta's
message type, except that a tapped button or list reply (``interactive``, ``button``) is the
``text`` the user tapped, as the chat shows it; ``body`` is the text, a caption, or empty.
``ack`` of an inbound message is ``delivered``, of a new outbound one ``pending`` (Meta has
accepted it, no status yet), then Meta's status. A message with a file has ``data.media``
as Wassenger names it: ``{id, type, mime, size, filename (when known), url}``, ``url`` the
signed link to our stored copy (fetched without a key; media/links.py), and ``id`` and
``url`` null when WhatsApp could not provide the file.

Left out because we do not know them (never invented): the seed's ``links`` (paths of
Wassenger's own API), the chat's agent assignment, counters, auto-reply and reaction history,
the contact's picture, location and business info, and, for failed messages, ``entityUrl``,
``user`` and the device's session, queue, profile and statistics. See ``OMITTED``.

Our additions, under a top-level ``wahooks`` object (one per failed item) so that they never
collide with Wassenger's fields: ``conversationId`` and ``numberId`` (what our send API takes),
``message`` (Meta's message object verbatim: location, contacts and everything else the
envelope has no field for), ``media`` (our stored copy, as in the ``pipes`` format),
``status`` (Meta's status object, with its ``errors`` for a failure) and ``test``.

Success: Wassenger counts HTTP 200-209 as delivered (``accepts``), anything else is retried.

Skipped (``SkipEvent``): ``message:update`` and ``message:reaction`` (Wassenger has such
events, but the seed gives no payload for them) and ``destination:disabled``.
"""

import unicodedata
from collections.abc import Mapping, Sequence
from typing import Any

import orjson

from wahooks.formats.identity import sender_of
from wahooks.formats.pipes import iso8601, media_object
from wahooks.formats.skip import SkipEvent
from wahooks.models import EventType, JsonObject, MessageEvent

IN_NEW = EventType.MESSAGE_IN_NEW.value
OUT_NEW = EventType.MESSAGE_OUT_NEW.value
OUT_ACK = EventType.MESSAGE_OUT_ACK.value
OUT_FAILED = EventType.MESSAGE_OUT_FAILED.value
TEST = EventType.TEST.value

EVENTS = frozenset({IN_NEW, OUT_NEW, OUT_ACK, OUT_FAILED, TEST})
"""The event types this format expresses; any other is skipped."""
BATCHED = frozenset({OUT_FAILED})
MAX_BATCH = 25

OMITTED: Mapping[str, frozenset[str]] = {
    "data": frozenset({"links"}),
    "data.chat": frozenset(
        {
            "waStatus",
            "statusUpdatedAt",
            "deletedAt",
            "firstMessageAt",
            "lastOutboundMessageAt",
            "lastInboundMessageAt",
            "lastReactionAt",
            "lastReactionEmoji",
            "lastAutoReply",
            "lastAutoReplyAt",
            "stats",
            "owner",
            "statusUpdatedBy",
            "lastAutoReplyMessage",
            "links",
        }
    ),
    "data.chat.contact": frozenset(
        {
            "shortName",
            "formattedShortName",
            "syncedAt",
            "image",
            "updatedAt",
            "createdBy",
            "locationInfo",
            "metadata",
            "businessInfo",
        }
    ),
    "failed": frozenset({"entityUrl", "user"}),
    "failed.data.device": frozenset(
        {"description", "status", "session", "createdAt", "queue", "profile", "links", "stats"}
    ),
}
"""Seed fields we never send, by where they are (we do not know their values)."""


def accepts(status: int) -> bool:
    """Wassenger: "HTTP response status code must be 200-209 to be successful"."""
    return 200 <= status <= 209


def _skip(event: MessageEvent, why: str) -> SkipEvent:
    return SkipEvent("wassenger", event.event_type, why)


def _digits(number: str) -> str:
    return number.strip().removeprefix("+")


def _e164(number: str) -> str:
    digits = _digits(number)
    return "+" + digits if digits else ""


def _wid(number: str) -> str:
    return f"{_digits(number)}@c.us"


def _unix(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _type_and_body(item: Mapping[str, Any]) -> tuple[str, str]:
    kind = str(item.get("type", ""))
    content = item.get(kind)
    content = content if isinstance(content, dict) else {}
    if kind == "text":
        return kind, str(content.get("body", ""))
    if kind in ("image", "video", "document"):
        return kind, str(content.get("caption") or "")
    if kind == "button":
        return "text", str(content.get("text", ""))
    if kind == "interactive":
        reply = content.get(content.get("type", ""))
        if isinstance(reply, dict) and "title" in reply:
            return "text", str(reply["title"])
        return kind, ""
    if kind == "system":
        return kind, str(content.get("body", ""))
    if kind == "order":
        return kind, str(content.get("text", ""))
    if kind == "location":
        return kind, str(content.get("name") or content.get("address") or "")
    return kind, ""


def _contains_emoji(text: str) -> bool:
    return any(unicodedata.category(c) == "So" and ord(c) >= 0x2000 for c in text)


def _rtl(text: str) -> bool:
    return any(unicodedata.bidirectional(c) in ("R", "AL") for c in text)


def _contact_name(event: MessageEvent) -> str | None:
    profile = (event.contact or {}).get("profile")
    name = profile.get("name") if isinstance(profile, dict) else None
    return str(name) if name else None


def device(event: MessageEvent) -> JsonObject:
    phone = _e164(event.display_phone_number)
    return {
        "id": event.number_id,
        "phone": phone,
        "alias": event.label or phone,
        "plan": "wahooks",
        "version": 1,
    }


def _chat(event: MessageEvent, user_number: str, date: str) -> JsonObject:
    name = _contact_name(event)
    return {
        "id": _wid(user_number),
        "name": name,
        "date": date,
        "type": "chat",
        "status": "active",
        "lastMessageAt": date,
        "labels": [],
        "contact": {
            "wid": _wid(user_number),
            "name": name,
            "displayName": name,
            "formattedName": name,
            "phone": _e164(user_number),
            "type": "user",
        },
    }


def _meta(event: MessageEvent, kind: str, body: str, outbound: bool, ack: str) -> JsonObject:
    found = event.item.get("context")
    context = found if isinstance(found, dict) else {}  # an odd payload's: as absent
    meta: JsonObject = {
        "rtl": _rtl(body),
        "containsEmoji": _contains_emoji(body),
        "isGif": False,
        "isStar": False,
        "isGroup": False,
        "isForwarded": bool(context.get("forwarded") or context.get("frequently_forwarded")),
        "isEphemeral": False,
        "isNotification": kind == "system",
        "isLive": False,
        "isBroadcast": False,
        "isBizNotification": False,
        "isDoc": kind == "document",
        "isLinkPreview": False,
        "isPSA": False,
        "isRevoked": False,
        "isUnreadType": False,
        "isFailed": ack == "failed",
        "source": "api" if outbound else None,
        "autoReply": None,
        "isFirstMessage": False,
        "isChannel": False,
        "notifyName": "" if outbound else (_contact_name(event) or ""),
    }
    if outbound:
        meta["via"] = "api"
    return meta


def _media(event: MessageEvent, kind: str) -> JsonObject | None:
    """Wassenger's ``data.media`` for the message's file; None for a message without one."""
    media = event.media
    if media is None:
        return None
    stored = not media.unavailable and media.media_id is not None
    out: JsonObject = {
        "id": media.media_id if stored else None,
        "type": kind,
        "mime": media.mime_type,
        "size": media.byte_size if stored else 0,
    }
    if media.file_name:
        out["filename"] = media.file_name
    out["url"] = media.url if stored else None  # never a URL that needs our key
    return out


def _ack(event: MessageEvent) -> str:
    if event.event_type in (OUT_ACK, OUT_FAILED) and event.status is not None:
        return str(event.status.get("status", ""))
    return "pending" if event.event_type == OUT_NEW else "delivered"


def message_data(event: MessageEvent) -> JsonObject:
    """Wassenger's message object for one of our messages."""
    item = event.item
    outbound = event.is_outbound
    kind, body = _type_and_body(item)
    business = event.display_phone_number
    user = str(item.get("to") or event.wa_id) if outbound else str(item.get("from") or event.wa_id)
    sender, recipient = (business, user) if outbound else (user, business)
    timestamp = _unix(item.get("timestamp"))
    date = iso8601(item.get("timestamp"))
    ack = _ack(event)
    if event.event_type == OUT_ACK and event.status is not None:
        events: JsonObject = {ack: {"date": iso8601(event.status.get("timestamp"))}}
    elif outbound:
        events = {}
    else:
        events = {"sent": {"date": date}}
    data: JsonObject = {
        "id": item.get("id"),
        "type": kind,
        "flow": "outbound" if outbound else "inbound",
        "status": "active",
        "ack": ack,
        "from": _wid(sender),
        "fromNumber": _e164(sender),
        "to": _wid(recipient),
        "toNumber": _e164(recipient),
        "date": date,
        "timestamp": timestamp,
        "body": body,
        "chat": _chat(event, user, date),
        "events": events,
        "meta": _meta(event, kind, body, outbound, ack),
        "scope": "message",
        "webhook": {"status": "pending", "webhookSyncedAt": None},
    }
    media = _media(event, str(item.get("type", "")))
    if media is not None:
        data["media"] = media
    return data


def _ours(event: MessageEvent) -> JsonObject:
    ours: JsonObject = {
        "conversationId": event.conversation_id,
        "numberId": event.number_id,
        "message": event.item,
    }
    ours.update(sender_of(event).fields())  # the 2026 ids, which Wassenger's seed predates
    if event.media is not None:
        ours["media"] = media_object(event.media)
    if event.status is not None:
        ours["status"] = event.status
    if event.test:
        ours["test"] = True
    return ours


def envelope(event: MessageEvent) -> JsonObject:
    """The single-object envelope of message:in:new, message:out:new, message:out:ack."""
    kind = event.event_type
    if kind not in EVENTS or kind in BATCHED:
        raise _skip(event, "the seed gives no payload for it")
    if kind == OUT_ACK and event.status is None:
        raise _skip(event, "the event carries no status")
    if kind == OUT_ACK and (event.data or {}).get("external") is True:
        raise _skip(event, "a status of a message sent elsewhere: no message of ours to ack")
    created_from = event.status.get("timestamp") if kind == OUT_ACK and event.status else None
    out: JsonObject = {
        "object": "message",
        "event": IN_NEW if kind == TEST else kind,
        "created": _unix(created_from or event.item.get("timestamp")),
    }
    if kind == OUT_ACK:
        out["ack"] = _ack(event)
    out["device"] = device(event)
    out["data"] = message_data(event)
    out["wahooks"] = _ours(event)
    return out


def failed_item(event: MessageEvent) -> JsonObject:
    """One element of a message:out:failed array."""
    if event.event_type != OUT_FAILED:
        raise ValueError(
            f"a failed-message batch takes {OUT_FAILED} events, not {event.event_type}"
        )
    status = event.status or {}
    # A message sent elsewhere: only its status is known.
    item = event.item or {"id": status.get("id"), "to": status.get("recipient_id")}
    _, body = _type_and_body(item)
    sent_at = iso8601(item.get("timestamp"))
    failed_at = iso8601(status.get("timestamp")) if "timestamp" in status else None
    dev = device(event)
    return {
        "event": OUT_FAILED,
        "date": failed_at or sent_at,
        "entity": "message",
        "entityId": item.get("id"),
        "data": {
            "id": item.get("id"),
            "phone": _e164(str(item.get("to") or event.wa_id)),
            "status": "failed",
            "deliveryStatus": "failed",
            "createdAt": sent_at,
            "sentAt": sent_at,
            "failedAt": failed_at,
            "processedAt": sent_at,
            "webhookStatus": "pending",
            "message": body,
            "priority": "normal",
            "schedule": {"enabled": False},
            "retry": {"count": 0, "lastRetryAt": None},
            "device": {"id": dev["id"], "phone": dev["phone"], "alias": dev["alias"]},
        },
        "wahooks": _ours(event),
    }


def render_batch(events: Sequence[MessageEvent]) -> bytes:
    """Up to ``MAX_BATCH`` message:out:failed events as one JSON array, in the given order."""
    if not events:
        raise ValueError("a batch needs at least one event")
    if len(events) > MAX_BATCH:
        raise ValueError(f"{len(events)} events; a batch holds at most {MAX_BATCH}")
    return orjson.dumps([failed_item(event) for event in events])


def render(event: MessageEvent) -> bytes:
    if event.event_type == OUT_FAILED:
        return render_batch([event])
    return orjson.dumps(envelope(event))
