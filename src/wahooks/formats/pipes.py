"""The ``pipes`` format: Pipes.bot's webhook envelope (seeds/001), byte for byte in shape.

A Meta-style ``entry/changes/value`` with exactly one message and one contact, the
message's ``timestamp`` as ISO 8601 (Meta sends Unix seconds), ``entry[].id`` and
``metadata.phone_number_id`` set to our number id, and the top-level ``pipes`` object.

A change of another webhook field (``message:echo``, ``call:update``, ``user:update``,
``template:update``, ``account:update``, ``group:update``, ``history:sync``) is Meta's
envelope with the change as Meta sent it (``entry[].id`` the WABA id) and ``pipes.event``
naming the event; a status of a message sent elsewhere is a status as ours are, with
``pipes.external: true`` and no conversation.

``destination:disabled``, news about the gateway rather than a message, has no Meta-style
envelope: ``{"object": "wahooks", "event": "destination:disabled", "data": {destinationId,
url, reason, failures, failingSince, disabledAt}, "pipes": {"event": ...}}``; so are
``chat:update`` and ``contact:update`` (a conversation changed through our API: ``data``
says what changed, ``pipes.conversationId`` which conversation).
"""

import orjson

from wahooks.formats.meta import change_of
from wahooks.models import CONVERSATION_EVENTS, EventType, JsonObject, MediaInfo, MessageEvent
from wahooks.times import iso_from_unix_text

# Meta's Unix-seconds text as ISO 8601, the formats' name for it (wahooks.times).
iso8601 = iso_from_unix_text


def _contact(event: MessageEvent) -> JsonObject:
    """The seed's fields, and Meta's 2026 ones where it sent them (``user_id``, the BSUID;
    ``profile.username``); a system message without contacts gets its sender's id. A user
    known only by BSUID has it as ``wa_id`` too, since the seed's handlers key on that.

    The seed types ``profile.name`` as a string, not an optional one, so handlers read it
    unguarded: a contact Meta sent without a profile name (a system message, a user who set
    none) gets the best we have, the username, else the phone number or user id, else ""."""
    source = event.contact or {}
    contact: JsonObject = {}
    found = source.get("profile")
    profile: JsonObject = found if isinstance(found, dict) else {}
    shown = {k: profile[k] for k in ("name", "username") if isinstance(profile.get(k), str)}
    wa_id = (
        source.get("wa_id") or event.item.get("from") or event.wa_id or source.get("user_id", "")
    )
    if not shown.get("name"):
        shown["name"] = shown.get("username") or str(wa_id or "")
    contact["profile"] = {"name": shown["name"], **shown}
    contact["wa_id"] = wa_id
    for key in ("user_id", "parent_user_id"):
        if isinstance(source.get(key), str):
            contact[key] = source[key]
    return contact


def media_object(media: MediaInfo) -> JsonObject:
    if media.unavailable or media.media_id is None:
        # No file, but a document's name is still known (Meta sent it): handlers show it.
        gone: JsonObject = {"mimeType": media.mime_type, "byteSize": 0, "unavailable": True}
        if media.file_name:
            gone["fileName"] = media.file_name
        return gone
    out: JsonObject = {
        "mediaId": media.media_id,
        "downloadUrl": f"/v1/media/download/{media.media_id}",
        "mimeType": media.mime_type,
        "byteSize": media.byte_size,
    }
    if media.file_name:
        out["fileName"] = media.file_name
    if media.url:
        # The seed's downloadUrl stays as it documents it (relative, for our API key); the
        # signed link beside it is absolute and needs no key (media/links.py).
        out["url"] = media.url
    return out


def display_number(raw: str) -> str:
    return raw if raw.startswith("+") or not raw else "+" + raw


def _outbound_value(event: MessageEvent) -> JsonObject:
    """Our own sends in Meta's shapes: ``statuses`` for news about them, and for the send
    itself ``message_echoes`` (what Meta uses for messages the business sent)."""
    if event.status is not None:
        status = dict(event.status)
        status["timestamp"] = iso8601(status.get("timestamp"))
        return {"statuses": [status]}
    echo = {"from": event.display_phone_number, "to": event.wa_id, **event.item}
    echo["timestamp"] = iso8601(echo.get("timestamp"))
    return {"message_echoes": [echo]}


def _gateway_event(event: MessageEvent) -> bytes:
    pipes: JsonObject = {"event": event.event_type}
    if event.event_type in CONVERSATION_EVENTS:  # a conversation changed through our API
        pipes["conversationId"] = event.conversation_id
    if event.test:
        pipes["test"] = True
    payload = {
        "object": "wahooks",
        "event": event.event_type,
        "data": event.data or {},
        "pipes": pipes,
    }
    return orjson.dumps(payload)


def _change(event: MessageEvent, entry: JsonObject, change: JsonObject) -> bytes:
    """A change of another webhook field: Meta's envelope around it, as Meta sent it, and
    ``pipes.event`` naming the event (with the reason for ``unsupported``)."""
    pipes: JsonObject = {"event": event.event_type, "poolNumberId": event.number_id or None}
    reason = (event.data or {}).get("reason")
    if reason:
        pipes["reason"] = reason
    payload = {
        "object": "whatsapp_business_account",
        "entry": [{**entry, "changes": [change]}],
        "pipes": pipes,
    }
    return orjson.dumps(payload)


def render(event: MessageEvent) -> bytes:
    change = change_of(event)
    if change is not None:
        return _change(event, *change)
    if event.event_type in (EventType.DESTINATION_DISABLED, EventType.UNSUPPORTED) or (
        event.event_type in CONVERSATION_EVENTS
    ):
        return _gateway_event(event)
    message = dict(event.item)
    if "timestamp" in message:
        message["timestamp"] = iso8601(message["timestamp"])
    pipes: JsonObject = {"conversationId": event.conversation_id, "poolNumberId": event.number_id}
    if event.label:
        pipes["label"] = event.label
    if event.test:
        pipes["test"] = True
    if event.media is not None:
        pipes["media"] = media_object(event.media)
    if event.is_outbound:
        pipes["event"] = event.event_type
    if event.data is not None and event.data.get("external") is True:
        # A status of a message sent elsewhere (through the Graph API directly): no
        # conversation of ours holds it.
        pipes["external"] = True
        pipes["conversationId"] = None
    payload = {
        "object": "whatsapp_business_account",
        "entry": [
            {
                "id": event.number_id,
                "changes": [
                    {
                        "value": {
                            "messaging_product": "whatsapp",
                            "metadata": {
                                "display_phone_number": display_number(event.display_phone_number),
                                "phone_number_id": event.number_id,
                            },
                            **(
                                _outbound_value(event)
                                if event.is_outbound
                                else {"messages": [message], "contacts": [_contact(event)]}
                            ),
                        },
                        "field": "messages",
                    }
                ],
            }
        ],
        "pipes": pipes,
    }
    return orjson.dumps(payload)
