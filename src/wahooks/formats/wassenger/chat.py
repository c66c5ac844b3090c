"""Wassenger's ``device``, ``chat`` and ``contact`` objects from our number and
conversation (``event.chat``, the facts the sender loads for this format).

Filled from our data where we have it; what we cannot know (agents, auto-replies, the
contact's picture, location and business profile) is there with the seed's empty value
(null), so a handler reading it does not crash. ``links`` are paths of our own API, as the
seed's are paths of Wassenger's.
"""

from wahooks.formats.identity import sender_of
from wahooks.formats.wassenger.values import e164, iso_clock, iso_unix, short_name, wid
from wahooks.models import ChatFacts, JsonObject, MessageEvent

OWNER_FIELDS = ("agent", "assigner", "assignedAt", "autoAssignAgent", "autoAssignedAt",
                "previousAgent", "unassignedAt", "autoUnassignedAt")  # fmt: skip
"""Wassenger's agent assignment: no such thing here, every field null."""


def device(event: MessageEvent) -> JsonObject:
    """Our number as Wassenger's device: ``alias`` the destination's (or activation's)
    label, else the number."""
    phone = e164(event.display_phone_number)
    return {
        "id": event.number_id,
        "phone": phone,
        "alias": event.label or phone,
        "plan": "wahooks",
        "version": 1,
    }


def contact_name(event: MessageEvent) -> str | None:
    """The user's WhatsApp profile name from the message, else the conversation's."""
    profile = (event.contact or {}).get("profile")
    name = profile.get("name") if isinstance(profile, dict) else None
    if name:
        return str(name)
    return event.chat.contact_name if event.chat is not None else None


def is_group(event: MessageEvent) -> bool:
    if event.chat is not None:
        return event.chat.is_group
    return bool(event.item.get("group_id"))


def chat_wa_id(event: MessageEvent, user_number: str) -> str:
    """Whom the chat is with: the group in a group, else the user."""
    if event.chat is not None:
        return event.chat.wa_id
    group = event.item.get("group_id")
    return str(group) if isinstance(group, str) and group else user_number


def _metadata(facts: ChatFacts | None) -> list[JsonObject]:
    """Wassenger's contact metadata (key-value pairs the business keeps): our external user
    id, when the tenant set one."""
    if facts is None or facts.external_user_id is None:
        return []
    return [{"key": "externalUserId", "value": facts.external_user_id}]


def contact(event: MessageEvent, user_number: str) -> JsonObject:
    facts = event.chat
    group = is_group(event)
    name = contact_name(event)
    short = short_name(name)
    phone = sender_of(event).phone if not event.is_outbound else user_number
    address = chat_wa_id(event, user_number)
    return {
        "wid": wid(address, group=group),
        "name": name,
        "shortName": short,
        "displayName": short or name,
        "formattedName": name,
        "formattedShortName": short,
        "syncedAt": None,
        "phone": None if group or not phone else e164(phone),
        "image": None,
        "type": "group" if group else "user",
        "updatedAt": None,
        "createdBy": None,
        "locationInfo": None,
        "metadata": _metadata(facts),
        "businessInfo": None,
    }


def chat_links(event: MessageEvent) -> JsonObject:
    return {"chat": conversation_path(event)}


def conversation_path(event: MessageEvent) -> str | None:
    if not event.conversation_id:
        return None
    return f"/v1/conversations/{event.conversation_id}"


def chat(event: MessageEvent, user_number: str, date: str | None) -> JsonObject:
    """The chat the message is in, as it stands now; ``date`` is the message's, for what we
    know only from it (no conversation: a test event, a status of a message sent
    elsewhere)."""
    facts = event.chat
    group = is_group(event)
    last_at = iso_unix(facts.last_message_at) if facts is not None else date
    stats: JsonObject = {"notes": 0, "localMessages": 0, "inboundMessages": 0,
                         "outboundMessages": 0}  # fmt: skip
    if facts is not None:
        stats = {
            "notes": facts.notes,
            "localMessages": facts.inbound_messages + facts.outbound_messages,
            "inboundMessages": facts.inbound_messages,
            "outboundMessages": facts.outbound_messages,
        }
    return {
        "id": wid(chat_wa_id(event, user_number), group=group),
        "name": contact_name(event),
        "date": last_at or date,
        "type": "group" if group else "chat",
        "status": "active",
        "waStatus": None,
        "statusUpdatedAt": None,
        "deletedAt": None,
        "firstMessageAt": iso_unix(facts.first_message_at) if facts is not None else date,
        "lastMessageAt": last_at or date,
        "lastOutboundMessageAt": None if facts is None else iso_unix(facts.last_outbound_at),
        "lastInboundMessageAt": None if facts is None else iso_unix(facts.last_inbound_at),
        "lastReactionAt": None if facts is None else iso_unix(facts.last_reaction_at),
        "lastReactionEmoji": None if facts is None else facts.last_reaction_emoji,
        "lastAutoReply": None,
        "lastAutoReplyAt": None,
        "stats": stats,
        "labels": [] if facts is None else list(facts.labels),
        "owner": dict.fromkeys(OWNER_FIELDS),
        "contact": contact(event, user_number),
        "statusUpdatedBy": None,
        "lastAutoReplyMessage": None,
        "links": chat_links(event),
    }


def message_links(event: MessageEvent) -> JsonObject:
    """``data.links``: our API's resources for the message's chat and number. There is no
    resource of one message (``message``, ``messageAckinfo`` null)."""
    conversation = conversation_path(event)
    links: JsonObject = {"message": None}
    if event.is_outbound:
        links["messageAckinfo"] = None
    links["chat"] = conversation
    links["contact"] = conversation
    links["chatMessages"] = None if conversation is None else conversation + "/messages"
    links["device"] = f"/v1/numbers/{event.number_id}" if event.number_id else None
    return links


def failed_device(event: MessageEvent) -> JsonObject:
    """The long ``device`` of a message:out:failed item: our number, with its health as
    the session, its registration time, and links to our API."""
    base = device(event)
    facts = event.chat
    health = None if facts is None else facts.number_health
    number_path = f"/v1/numbers/{event.number_id}"
    return {
        "id": base["id"],
        "phone": base["phone"],
        "alias": base["alias"],
        "description": None,
        "status": "verified",  # registration proved the number (ownership.py)
        "session": {
            "status": {"healthy": "online", "degraded": "online", "down": "offline"}.get(
                health or "", "unknown"
            ),
            "error": health == "down",
            "lastSyncAt": None if facts is None else iso_clock(facts.number_health_checked_at),
        },
        "createdAt": None if facts is None else iso_clock(facts.number_created_at),
        "queue": None,
        "profile": {
            "name": (None if facts is None else facts.number_display_name) or base["phone"],
            "info": None,
            "lastSyncAt": None,
            "imagePath": None,
        },
        "links": {
            "device": {"method": "GET", "url": number_path},
            "scan": None,
            "sync": None,
            "health": None,
            "profileImage": None,
            "messages": {"method": "GET", "url": f"/v1/conversations?numberId={event.number_id}"},
        },
        "stats": None,
    }
