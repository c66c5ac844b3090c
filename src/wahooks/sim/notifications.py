"""Notification envelopes as Meta POSTs them, their serialisation and signature."""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
from collections.abc import Sequence
from typing import Any, Literal

from wahooks.sim.messages import Json, SimUser
from wahooks.sim.settings import SimSettings

# How several messages share one POST: all in one `value`, one `change` each, or one `entry`
# each. Meta uses all three, and the gateway must read every one.
Layout = Literal["one_value", "changes", "entries"]
LAYOUTS: tuple[Layout, ...] = ("one_value", "changes", "entries")

STATUSES = ("sent", "delivered", "read", "played", "failed")
USER_AGENT = "facebookexternalua"
ERROR_HREF = "https://developers.facebook.com/docs/whatsapp/cloud-api/support/error-codes/"


def _value(settings: SimSettings) -> Json:
    return {
        "messaging_product": "whatsapp",
        "metadata": {
            "display_phone_number": settings.display_phone_number,
            "phone_number_id": settings.phone_number_id,
        },
    }


def _envelope(settings: SimSettings, values: Sequence[Json], layout: Layout) -> Json:
    if layout == "entries":
        entries = [
            {"id": settings.waba_id, "changes": [{"value": v, "field": "messages"}]} for v in values
        ]
    elif layout in ("changes", "one_value"):
        changes = [{"value": v, "field": "messages"} for v in values]
        entries = [{"id": settings.waba_id, "changes": changes}]
    else:
        raise ValueError(f"unknown layout {layout!r}; known: {LAYOUTS}")
    return {"object": "whatsapp_business_account", "entry": entries}


def messages_notification(
    settings: SimSettings,
    messages: Sequence[tuple[SimUser, Json]],
    layout: Layout = "one_value",
) -> Json:
    """One notification carrying `messages` (sender, message item) in the given layout."""
    if not messages:
        raise ValueError("a notification needs at least one message")
    if layout == "one_value":
        contacts: dict[str, Json] = {}
        for user, item in messages:
            if not _id_change(item):
                contacts.setdefault(user.wa_id, user.contact())
        value = _value(settings)
        if contacts:
            value["contacts"] = list(contacts.values())
        value["messages"] = [item for _, item in messages]
        return _envelope(settings, [value], layout)
    values = []
    for user, item in messages:
        value = _value(settings)
        if not _id_change(item):
            value["contacts"] = [user.contact()]
        value["messages"] = [item]
        values.append(value)
    return _envelope(settings, values, layout)


def _id_change(item: Json) -> bool:
    """A system message telling of new ids: Meta sends those without ``contacts``."""
    system = item.get("system")
    return (
        item.get("type") == "system"
        and isinstance(system, dict)
        and system.get("type") in ("user_changed_number", "user_changed_user_id")
    )


def status_item(
    wamid: str,
    status: str,
    recipient_id: str,
    *,
    timestamp: int,
    conversation_id: str | None = None,
    conversation_expires: int | None = None,
    category: str = "service",
    errors: Sequence[Json] | None = None,
) -> Json:
    """One `statuses[]` item. `failed` carries `errors` and no conversation, as Meta sends it."""
    if status not in STATUSES:
        raise ValueError(f"unknown status {status!r}; known: {STATUSES}")
    item: Json = {
        "id": wamid,
        "status": status,
        "timestamp": str(timestamp),
        "recipient_id": recipient_id,
    }
    if status == "failed":
        item["errors"] = list(errors or [graph_error_item(131026)])
        return item
    if conversation_id is not None:
        conversation: Json = {"id": conversation_id}
        if conversation_expires is not None:
            conversation["expiration_timestamp"] = str(conversation_expires)
        conversation["origin"] = {"type": category}
        item["conversation"] = conversation
        item["pricing"] = {"billable": True, "pricing_model": "CBP", "category": category}
    return item


def statuses_notification(
    settings: SimSettings, statuses: Sequence[Json], contacts: Sequence[SimUser] = ()
) -> Json:
    """One notification with `statuses` in one value (Meta adds `contacts` only sometimes)."""
    value = _value(settings)
    if contacts:
        value["contacts"] = [user.contact() for user in contacts]
    value["statuses"] = list(statuses)
    return _envelope(settings, [value], "one_value")


def errors_notification(settings: SimSettings, errors: Sequence[Json]) -> Json:
    """A value-level `errors[]` notification (Meta reports e.g. an unprocessable update so)."""
    value = _value(settings)
    value["errors"] = list(errors)
    return _envelope(settings, [value], "one_value")


# Meta's wording for the error codes the simulator produces (status errors, send failures).
ERROR_TEXTS: dict[int, tuple[str, str]] = {
    130429: ("Rate limit hit", "Cloud API message throughput has been reached."),
    131000: ("Something went wrong", "Message failed to send because of an unknown error."),
    131026: ("Message undeliverable", "Message failed to send because the user is unreachable."),
    131047: (
        "Re-engagement message",
        "Message failed to send because more than 24 hours have passed since the customer "
        "last replied to this number.",
    ),
    131051: ("Message type unknown", "Message type is currently not supported."),
    131052: ("Media download error", "Unable to download the media sent by the user."),
    131056: (
        "(Business Account, Consumer Account) pair rate limit hit",
        "Too many messages sent from the sender phone number to the same recipient phone number "
        "in a short period of time.",
    ),
}


def graph_error_item(code: int) -> Json:
    """An `errors[]` item as in statuses and value-level errors."""
    title, details = ERROR_TEXTS.get(code, ("Error", f"Error {code}"))
    return {
        "code": code,
        "title": title,
        "message": title,
        "error_data": {"details": details},
        "href": ERROR_HREF,
    }


def encode(notification: Json) -> bytes:
    """Meta's serialisation: compact, non-ASCII escaped as \\uXXXX (signatures depend on it)."""
    return json.dumps(notification, ensure_ascii=True, separators=(",", ":")).encode("ascii")


def signature(app_secret: str, body: bytes) -> str:
    """The `X-Hub-Signature-256` value."""
    return "sha256=" + hmac.new(app_secret.encode(), body, hashlib.sha256).hexdigest()


def wrong_signature(app_secret: str, body: bytes) -> str:
    """Well-formed but made with another key, so only a real HMAC check rejects it."""
    return signature(app_secret + "-not-" + secrets.token_hex(4), body)


def headers(
    app_secret: str, body: bytes, *, sign: bool = True, wrong: bool = False
) -> dict[str, str]:
    out = {"Content-Type": "application/json", "User-Agent": USER_AGENT}
    if wrong:
        out["X-Hub-Signature-256"] = wrong_signature(app_secret, body)
    elif sign:
        out["X-Hub-Signature-256"] = signature(app_secret, body)
    return out


def parse_layout(value: Any) -> Layout:
    for layout in LAYOUTS:
        if value == layout:
            return layout
    raise ValueError(f"unknown layout {value!r}; known: {', '.join(LAYOUTS)}")
