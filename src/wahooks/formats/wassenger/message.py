"""Wassenger's message object (``data`` of the message events) and the single-object
envelope ``{object, event, created, [ack,] device, data}`` around it."""

from typing import Any

from wahooks.formats.identity import sender_of
from wahooks.formats.pipes import media_object
from wahooks.formats.wassenger.chat import chat, device, is_group, message_links
from wahooks.formats.wassenger.values import (
    contains_emoji,
    e164,
    iso_unix,
    rtl,
    type_and_body,
    unix,
    wid,
)
from wahooks.models import EventType, JsonObject, MessageEvent

OUT_NEW = EventType.MESSAGE_OUT_NEW.value
OUT_ACK = EventType.MESSAGE_OUT_ACK.value
OUT_FAILED = EventType.MESSAGE_OUT_FAILED.value


def ack(event: MessageEvent) -> str:
    """An inbound message is ``delivered``; a new outbound one ``pending`` (Meta accepted
    it, no status yet); then Meta's status."""
    if event.event_type in (OUT_ACK, OUT_FAILED) and event.status is not None:
        return str(event.status.get("status", ""))
    return "pending" if event.event_type == OUT_NEW else "delivered"


def is_first_message(event: MessageEvent) -> bool:
    """The first message of its conversation (either direction): a new chat."""
    wamid = event.item.get("id")
    return event.chat is not None and wamid is not None and event.chat.first_wamid == wamid


def meta(event: MessageEvent, kind: str, body: str, ack_: str) -> JsonObject:
    outbound = event.is_outbound
    found = event.item.get("context")
    context = found if isinstance(found, dict) else {}  # an odd payload's: as absent
    out: JsonObject = {
        "rtl": rtl(body),
        "containsEmoji": contains_emoji(body),
        "isGif": False,
        "isStar": False,
        "isGroup": is_group(event),
        "isForwarded": bool(context.get("forwarded") or context.get("frequently_forwarded")),
        "isEphemeral": False,
        "isNotification": kind == "system",
        "isLive": False,
        "isBroadcast": False,
        "isBizNotification": False,
        "isDoc": kind == "document",
        "isLinkPreview": _previews(event),
        "isPSA": False,
        "isRevoked": kind == "revoke",
        "isUnreadType": False,
        "isFailed": ack_ == "failed",
        "source": "api" if outbound else None,
        "autoReply": None,
        "isFirstMessage": is_first_message(event),
        "isChannel": False,
        "notifyName": "" if outbound else (_profile_name(event) or ""),
    }
    if outbound:
        out["via"] = "api"
    return out


def _previews(event: MessageEvent) -> bool:
    """A text we sent with ``preview_url``: WhatsApp shows the link's preview."""
    text = event.item.get("text")
    return isinstance(text, dict) and text.get("preview_url") is True


def _profile_name(event: MessageEvent) -> str | None:
    profile = (event.contact or {}).get("profile")
    name = profile.get("name") if isinstance(profile, dict) else None
    return str(name) if name else None


def media(event: MessageEvent, kind: str) -> JsonObject | None:
    """Wassenger's ``data.media`` for the message's file; None for a message without one.
    ``url`` is the signed link to our stored copy (no key needed; media/links.py); ``id``
    and ``url`` are null when WhatsApp could not provide the file."""
    found = event.media
    if found is None:
        return None
    stored = not found.unavailable and found.media_id is not None
    out: JsonObject = {
        "id": found.media_id if stored else None,
        "type": kind,
        "mime": found.mime_type,
        "size": found.byte_size if stored else 0,
    }
    if found.file_name:
        out["filename"] = found.file_name
    out["url"] = found.url if stored else None  # never a URL that needs our key
    return out


def _events(event: MessageEvent, date: str, ack_: str) -> JsonObject:
    """``events``: when the message was sent, and for a status, when it reached it."""
    status = event.status if event.event_type in (OUT_ACK, OUT_FAILED) else None
    at = iso_unix(status.get("timestamp")) if status is not None else None
    events: JsonObject = {"sent": {"date": at if ack_ == "sent" and at else date}}
    if at is not None and ack_ != "sent":
        events[ack_] = {"date": at}
    return events


def parties(event: MessageEvent) -> tuple[str, str, str]:
    """(sender, recipient, user): numbers (or a BSUID when Meta withholds the number)."""
    item = event.item
    business = event.display_phone_number
    if event.is_outbound:
        user = str(item.get("to") or event.wa_id)
        return business, user, user
    user = str(item.get("from") or sender_of(event).phone or event.wa_id)
    return user, business, user


def message_data(event: MessageEvent) -> JsonObject:
    """Wassenger's message object for one of our messages."""
    item = event.item
    kind, body = type_and_body(item)
    sender, recipient, user = parties(event)
    date = iso_unix(item.get("timestamp")) or ""
    ack_ = ack(event)
    data: JsonObject = {
        "id": item.get("id"),
        "type": kind,
        "flow": "outbound" if event.is_outbound else "inbound",
        "status": "active",
        "ack": ack_,
        "from": wid(sender),
        "fromNumber": e164(sender),
        "to": wid(recipient),
        "toNumber": e164(recipient),
        "date": date,
        "timestamp": unix(item.get("timestamp")),
        "body": body,
    }
    found = media(event, str(item.get("type", "")))
    if found is not None:
        data["media"] = found
    data["chat"] = chat(event, user, date)
    data["events"] = _events(event, date, ack_)
    data["meta"] = meta(event, kind, body, ack_)
    data["scope"] = "message"
    data["webhook"] = {"status": "pending", "webhookSyncedAt": None}
    data["links"] = message_links(event)
    return data


def ours(event: MessageEvent) -> JsonObject:
    """Our additions, under ``wahooks``: what our send API takes, Meta's objects verbatim
    (for what the envelope has no field for), our stored file, the 2026 ids."""
    out: JsonObject = {
        "conversationId": event.conversation_id,
        "numberId": event.number_id,
        "message": event.item,
    }
    out.update(sender_of(event).fields())  # the 2026 ids, which Wassenger's seed predates
    if event.media is not None:
        out["media"] = media_object(event.media)
    if event.status is not None:
        out["status"] = event.status
    if event.test:
        out["test"] = True
    return out


def envelope(event: MessageEvent, event_name: str, **top: Any) -> JsonObject:
    """``{object: "message", event, created, [ack,] device, data, wahooks}``."""
    created_from = event.item.get("timestamp")
    if event.event_type == OUT_ACK and event.status is not None:
        created_from = event.status.get("timestamp") or created_from
    out: JsonObject = {"object": "message", "event": event_name, "created": unix(created_from)}
    out.update(top)
    out["device"] = device(event)
    out["data"] = message_data(event)
    out["wahooks"] = ours(event)
    return out
