"""The frames on a socket, shaped like Pipes.bot's (reference/pipes-bot.md §5.4).

``whatsapp_message`` carries one inbound message; we add ``deliveryId`` (what an ``ack=1``
client acknowledges). Outbound events, which Pipes.bot has no frame for, are
``message_sent`` and ``message_status``; clients that do not know them ignore them.
``destination_disabled`` tells that the gateway disabled one of the tenant's destinations
(``destinationId``, ``url``, ``reason``, ``failures``, ``failingSince``, ``disabledAt``).
"""

from typing import Any

import orjson

from wahooks.formats.identity import sender_of
from wahooks.formats.pipes import display_number, iso8601, media_object
from wahooks.models import (
    CHANGE_EVENTS,
    CONVERSATION_EVENTS,
    ClaimedDelivery,
    EventType,
    JsonObject,
    MessageEvent,
)

CAPTIONED = ("image", "video", "document")


def _text(item: JsonObject) -> str | None:
    kind = item.get("type")
    body = item.get(kind) if isinstance(kind, str) else None
    if kind == "text" and isinstance(body, dict):
        return body.get("body")
    if kind in CAPTIONED and isinstance(body, dict):
        return body.get("caption")
    return None


def _type_fields(event: MessageEvent) -> JsonObject:
    item, kind = event.item, event.item.get("type")
    body = item.get(kind) if isinstance(kind, str) else None
    if event.media is not None:
        return {"media": media_object(event.media)}
    if kind == "location" and isinstance(body, dict):
        keys = ("latitude", "longitude", "name", "address")
        return {"location": {k: body[k] for k in keys if k in body}}
    if kind == "contacts" and isinstance(body, list):
        return {"contacts": body}
    if kind == "reaction" and isinstance(body, dict):
        reaction: JsonObject = {"messageId": body.get("message_id")}
        if body.get("emoji"):
            reaction["emoji"] = body["emoji"]  # absent: the reaction was removed
        return {"reaction": reaction}
    return {}


def _whatsapp_message(delivery: ClaimedDelivery) -> JsonObject:
    event = delivery.event
    profile = (event.contact or {}).get("profile")
    sender = sender_of(event)
    data: JsonObject = {
        "messageId": event.item.get("id"),
        "deliveryId": delivery.id,
        "conversationId": event.conversation_id,
        "poolNumberId": event.number_id,
        "poolNumberPhoneNumber": display_number(event.display_phone_number),
        # None for a username user whose number Meta withholds: fromUserId names them.
        "fromNumber": None if sender.phone is None else display_number(sender.phone),
        "fromName": profile.get("name") if isinstance(profile, dict) else None,
        **{"from" + k[0].upper() + k[1:]: v for k, v in sender.fields().items()},
        "timestamp": iso8601(event.item.get("timestamp")),
        "label": event.label,
        "type": event.item.get("type"),
    }
    text = _text(event.item)
    if text is not None:
        data["text"] = data["body"] = text
    data.update(_type_fields(event))
    return {"type": "whatsapp_message", "data": data}


def _message_sent(delivery: ClaimedDelivery) -> JsonObject:
    event = delivery.event
    data: JsonObject = {
        "messageId": event.item.get("id"),
        "deliveryId": delivery.id,
        "conversationId": event.conversation_id,
        "poolNumberId": event.number_id,
        "toNumber": display_number(event.wa_id),
        "type": event.item.get("type"),
    }
    text = _text(event.item)
    if text is not None:
        data["text"] = text
    return {"type": "message_sent", "data": data}


def _message_status(delivery: ClaimedDelivery) -> JsonObject:
    event, status = delivery.event, delivery.event.status or {}
    data: JsonObject = {
        "messageId": status.get("id"),
        "deliveryId": delivery.id,
        "conversationId": event.conversation_id,
        "poolNumberId": event.number_id,
        "status": status.get("status"),
        "timestamp": iso8601(status.get("timestamp")),
    }
    if status.get("errors"):
        data["errors"] = status["errors"]
    if (event.data or {}).get("external") is True:  # sent elsewhere: no conversation of ours
        data["external"] = True
        data["conversationId"] = None
    return {"type": "message_status", "data": data}


def _destination_disabled(delivery: ClaimedDelivery) -> JsonObject:
    """A destination of the tenant was disabled by the gateway (delivery/health.py)."""
    return {
        "type": "destination_disabled",
        "data": {"deliveryId": delivery.id, **(delivery.event.data or {})},
    }


def _whatsapp_change(delivery: ClaimedDelivery) -> JsonObject:
    """A change of another webhook field (a call, an echo, a template...), as Meta sent it."""
    event, data = delivery.event, delivery.event.data or {}
    out: JsonObject = {
        "deliveryId": delivery.id,
        "event": event.event_type,
        "poolNumberId": event.number_id or None,
        "wabaId": event.waba_id,
        "field": data.get("field"),
        "value": data.get("value"),
    }
    if data.get("reason"):
        out["reason"] = data["reason"]
    return {"type": "whatsapp_change", "data": out}


def delivery_frame(delivery: ClaimedDelivery) -> str:
    kind = delivery.event.event_type
    if kind == EventType.DESTINATION_DISABLED:
        frame = _destination_disabled(delivery)
    elif kind in CHANGE_EVENTS or (
        kind == EventType.UNSUPPORTED and "field" in (delivery.event.data or {})
    ):
        frame = _whatsapp_change(delivery)
    elif kind in CONVERSATION_EVENTS:
        # A conversation changed through our API (labels, notes, the external user id).
        event = delivery.event
        frame = {
            "type": "conversation_update",
            "data": {"deliveryId": delivery.id, "event": kind,
                     "conversationId": event.conversation_id, **(event.data or {})},
        }  # fmt: skip
    elif kind == EventType.UNSUPPORTED:
        frame = {
            "type": "unsupported",
            "data": {"deliveryId": delivery.id, **(delivery.event.data or {})},
        }
    elif kind == EventType.MESSAGE_OUT_NEW:
        frame = _message_sent(delivery)
    elif kind in (EventType.MESSAGE_OUT_ACK, EventType.MESSAGE_OUT_FAILED):
        frame = _message_status(delivery)
    else:
        frame = _whatsapp_message(delivery)
    return orjson.dumps(frame).decode()


def frame(kind: str, data: dict[str, Any]) -> str:
    return orjson.dumps({"type": kind, "data": data}).decode()


def flat_frame(kind: str, **fields: Any) -> str:
    """``connected`` has its fields at the top level, not under ``data``."""
    return orjson.dumps({"type": kind, **fields}).decode()
