"""Changes of Meta's webhook fields other than ``messages``, as Meta POSTs them.

Written from Meta's webhook references (developers.facebook.com/documentation/
business-messaging/whatsapp/webhooks/reference/: ``calls``, ``smb_message_echoes``,
``user_preferences``, ``message_template_status_update``, ``account_update``) and checked
against a current Cloud API client (pywa 4.5 parses each into its own update type).
A number's change carries ``metadata``; a WABA-level one (templates, the account) names no
number, and its entry carries ``time``.
"""

import secrets
from collections.abc import Sequence

from wahooks.sim.messages import Json, SimUser
from wahooks.sim.settings import SimSettings


def number_value(settings: SimSettings) -> Json:
    return {
        "messaging_product": "whatsapp",
        "metadata": {
            "display_phone_number": settings.display_phone_number,
            "phone_number_id": settings.phone_number_id,
        },
    }


def change_notification(
    settings: SimSettings, field: str, value: Json, *, entry_time: int | None = None
) -> Json:
    entry: Json = {"id": settings.waba_id}
    if entry_time is not None:
        entry["time"] = entry_time
    entry["changes"] = [{"value": value, "field": field}]
    return {"object": "whatsapp_business_account", "entry": [entry]}


def call_connect(settings: SimSettings, user: SimUser, timestamp: int) -> Json:
    """A user calling the business (``calls``, event ``connect`` with the SDP offer)."""
    value = number_value(settings)
    value["contacts"] = [user.contact()]
    call: Json = {
        "id": "wacid." + secrets.token_urlsafe(24),
        "to": settings.display_phone_number,
        "event": "connect",
        "timestamp": str(timestamp),
        "direction": "USER_INITIATED",
        "session": {"sdp_type": "offer", "sdp": "v=0\r\no=- 0 0 IN IP4 127.0.0.1\r\ns=-\r\n"},
    }
    if user.hides_phone:
        call["from_user_id"] = user.user_id
    else:
        call["from"] = user.wa_id
    value["calls"] = [call]
    return value


def echo(settings: SimSettings, user: SimUser, text: str, timestamp: int) -> Json:
    """A text the business sent from the WhatsApp Business app (``smb_message_echoes``),
    with the contact it went to."""
    value = number_value(settings)
    value["contacts"] = [user.contact()]
    value["message_echoes"] = [
        {
            "from": settings.display_phone_number,
            "to": user.wa_id,
            "id": "wamid." + secrets.token_urlsafe(32),
            "timestamp": str(timestamp),
            "type": "text",
            "text": {"body": text},
        }
    ]
    return value


def user_preferences(settings: SimSettings, user: SimUser, preference: str, timestamp: int) -> Json:
    """A user stopping (``stop``) or resuming (``resume``) marketing messages."""
    value = number_value(settings)
    value["contacts"] = [user.contact()]
    value["user_preferences"] = [
        {
            "wa_id": user.wa_id,
            "detail": "User requested to stop marketing messages"
            if preference == "stop"
            else "User requested to resume marketing messages",
            "category": "marketing_messages",
            "value": preference,
            "timestamp": timestamp,
        }
    ]
    return value


def user_id_update(settings: SimSettings, user: SimUser, new_user: SimUser, timestamp: int) -> Json:
    """A user's BSUID changing, as the ``user_id_update`` field of earlier versions of Meta's
    BSUID guide (Meta now sends it as a ``user_changed_user_id`` system message; gateways in
    front of Meta still forward this one): the previous and the new BSUID, and the phone
    number when Meta shares it. Its exact shape was never published in a reference we could
    read: the names are the system messages' (``user_id``, ``previous_user_id``)."""
    value = number_value(settings)
    item: Json = {}
    if not user.hides_phone:
        item["wa_id"] = user.wa_id
    item["previous_user_id"] = user.user_id
    item["user_id"] = new_user.user_id
    item["timestamp"] = str(timestamp)
    value["user_id_update"] = [item]
    return value


def template_status(
    template_id: int, name: str, event: str, reason: str | None, language: str = "en_US"
) -> Json:
    """``message_template_status_update`` (WABA-level): APPROVED, REJECTED, PAUSED..."""
    return {
        "event": event,
        "message_template_id": template_id,
        "message_template_name": name,
        "message_template_language": language,
        "reason": reason or "NONE",
        "message_template_category": "MARKETING",
    }


def account_update(event: str, restrictions: Sequence[tuple[str, str]] = ()) -> Json:
    """``account_update`` (WABA-level), e.g. ACCOUNT_RESTRICTION with its restrictions."""
    value: Json = {"event": event}
    if restrictions:
        value["restriction_info"] = [
            {"restriction_type": kind, "expiration": until} for kind, until in restrictions
        ]
    return value


def group_participants_added(
    settings: SimSettings, group_id: str, wa_ids: Sequence[str], timestamp: int
) -> Json:
    """Participants joined a group of the business (``group_participants_update``, Meta's
    Groups API webhook reference: one item per group, ``type`` naming the change)."""
    value = number_value(settings)
    value["groups"] = [
        {
            "timestamp": str(timestamp),
            "group_id": group_id,
            "type": "group_participants_add",
            "added_participants": [{"input": w, "wa_id": w} for w in wa_ids],
        }
    ]
    return value
