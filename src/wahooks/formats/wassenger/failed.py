"""``message:out:failed``: a JSON array of ``{event, date, entity, entityId, entityUrl,
user, data}`` items, up to ``MAX_BATCH`` (25) per POST, as seed 004 shows them."""

from collections.abc import Sequence

import orjson

from wahooks.formats.wassenger.chat import conversation_path, failed_device
from wahooks.formats.wassenger.message import OUT_FAILED, ours
from wahooks.formats.wassenger.values import e164, iso_unix, type_and_body
from wahooks.models import JsonObject, MessageEvent

MAX_BATCH = 25


def failed_item(event: MessageEvent) -> JsonObject:
    """One element of a message:out:failed array."""
    if event.event_type != OUT_FAILED:
        raise ValueError(
            f"a failed-message batch takes {OUT_FAILED} events, not {event.event_type}"
        )
    status = event.status or {}
    # A message sent elsewhere: only its status is known.
    item = event.item or {"id": status.get("id"), "to": status.get("recipient_id")}
    _, body = type_and_body(item)
    sent_at = iso_unix(item.get("timestamp"))
    failed_at = iso_unix(status.get("timestamp"))
    conversation = conversation_path(event)
    return {
        "event": OUT_FAILED,
        "date": failed_at or sent_at,
        "entity": "message",
        "entityId": item.get("id"),
        "entityUrl": None if conversation is None else conversation + "/messages",
        "user": None if event.chat is None else event.chat.tenant_id,
        "data": {
            "id": item.get("id"),
            "phone": e164(str(item.get("to") or event.wa_id)),
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
            # We send once: Meta's failure is final, there is no retry of ours to count.
            "retry": {"count": 0, "lastRetryAt": None},
            "device": failed_device(event),
        },
        "wahooks": ours(event),
    }


def render_batch(events: Sequence[MessageEvent]) -> bytes:
    """Up to ``MAX_BATCH`` message:out:failed events as one JSON array, in the given order."""
    if not events:
        raise ValueError("a batch needs at least one event")
    if len(events) > MAX_BATCH:
        raise ValueError(f"{len(events)} events; a batch holds at most {MAX_BATCH}")
    return orjson.dumps([failed_item(event) for event in events])
