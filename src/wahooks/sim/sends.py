"""Sends through `POST /{phone_number_id}/messages`: what was sent, the failures a test
injects, and the checks Meta makes on a send body."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from wahooks.sim.messages import Json

# Graph error codes Meta answers with HTTP 500 rather than 400.
SERVER_ERROR_CODES = frozenset({1, 2, 131000})
SEND_TYPES = frozenset(
    {
        "text",
        "image",
        "audio",
        "video",
        "document",
        "sticker",
        "location",
        "contacts",
        "interactive",
        "template",
        "reaction",
    }
)


@dataclass(frozen=True, slots=True)
class SentMessage:
    """A message the gateway sent through `POST /{phone_number_id}/messages`."""

    wamid: str
    phone_number_id: str
    to: str
    type: str
    payload: Json
    at: float

    def to_json(self) -> Json:
        return {
            "wamid": self.wamid,
            "phoneNumberId": self.phone_number_id,
            "to": self.to,
            "type": self.type,
            "payload": self.payload,
            "at": self.at,
        }


@dataclass(frozen=True, slots=True)
class SendFailure:
    """An injected failure for one send.

    Synchronous ones answer the POST with a Graph error. Asynchronous ones accept the send
    (200 with a wamid) and then POST a `failed` status, which is how Meta reports e.g. 131047
    (outside the 24-hour window) and 131026 (undeliverable).
    """

    code: int
    http_status: int
    asynchronous: bool = False


# Called for every accepted send, with the asynchronous failure code if one was injected.
OnSent = Callable[[SentMessage, int | None], None]


def send_error(payload: Json) -> str | None:
    """Why a send body is invalid, or None."""
    if payload.get("messaging_product") != "whatsapp":
        return "The parameter messaging_product is required and must be 'whatsapp'."
    if payload.get("recipient_type", "individual") not in ("individual", "group"):
        return "The parameter recipient_type must be 'individual' or 'group'."
    to, recipient = payload.get("to"), payload.get("recipient")
    if to is not None and recipient is not None:
        return "Only one of to and recipient may be given."
    if recipient is not None:  # a business-scoped user id, as CC.digits
        if not isinstance(recipient, str) or "." not in recipient:
            return "The parameter recipient must be a business-scoped user id."
    elif not isinstance(to, str) or not any(ch.isdigit() for ch in to):
        return "The parameter to is required and must be a phone number or wa_id."
    # Meta defaults a missing type to text.
    type_ = payload.get("type", "text")
    if type_ not in SEND_TYPES:
        return f"Unsupported message type {type_!r}."
    obj = payload.get(type_)
    if type_ == "contacts":
        return None if isinstance(obj, list) and obj else "contacts must be a non-empty list."
    if not isinstance(obj, dict):
        return f"The parameter {type_} is required."
    if type_ == "text" and not isinstance(obj.get("body"), str):
        return "The parameter text['body'] is required."
    if type_ in ("image", "audio", "video", "document", "sticker") and not (
        isinstance(obj.get("id"), str) or isinstance(obj.get("link"), str)
    ):
        return f"{type_} requires an id or a link."
    if type_ == "location" and not ("latitude" in obj and "longitude" in obj):
        return "location requires latitude and longitude."
    if type_ == "interactive" and not isinstance(obj.get("type"), str):
        return "interactive['type'] is required."
    if type_ == "template" and not (
        isinstance(obj.get("name"), str) and isinstance(obj.get("language"), dict)
    ):
        return "template requires name and language."
    if type_ == "reaction" and not isinstance(obj.get("message_id"), str):
        return "reaction['message_id'] is required."
    return None
