"""The ``meta`` format: Meta's own Cloud API notification, so a bot written for Meta (e.g. with
``pywa``) works unchanged when pointed at us instead of at Meta.

What is sent, per event type:

- ``message:in:new``, ``message:update`` (edit, revoke), ``message:reaction`` and the test
  delivery: ``field: "messages"`` with exactly one message (Meta's object verbatim: every field
  Meta sent, its media object with Meta's media id, ``timestamp`` as Unix seconds in a string)
  and, when Meta sent one, its contact verbatim (``user_id`` included: current ``pywa`` drops a
  message whose contact lacks it). A message Meta sent without a contact (a number change) is
  sent without ``contacts``, as Meta does.
- ``message:out:ack`` and ``message:out:failed``: ``field: "messages"`` with Meta's status object
  verbatim in ``statuses`` (``errors`` included for failures), plus ``contacts`` when the event
  carries the conversation's contact.
- ``message:out:new``: Meta has no notification for a message sent through the Cloud API; the
  closest honest shape is the one Meta uses for messages the business sent from another device,
  ``field: "smb_message_echoes"`` with the message in ``message_echoes`` (``from`` our display
  number, ``to`` the user, then the message as we sent it to the Graph API). ``pywa`` reads it
  as an ``OutgoingMessage``. ``contacts`` as for statuses.

``entry[].id`` is the one Meta sent the message or status in, unchanged (the number's WABA
id for what Meta did not send: our sends, events stored before 0011),
``metadata.phone_number_id`` Meta's phone number id and
``metadata.display_phone_number`` the number as Meta writes it (digits, no ``+``). A test
delivery adds ``"test": true`` at the top level, which Meta clients ignore.

- Changes of the other webhook fields (``message:echo``, ``call:update``, ``user:update``,
  ``template:update``, ``account:update``, ``group:update``, ``history:sync``, and
  ``unsupported`` for a field we do not know): the change exactly as Meta sent it, one per
  POST (``entry[].id`` and ``time`` as Meta sent them, ``field`` and ``value`` unchanged), so
  a ``pywa`` bot's handlers for calls, echoes, user preferences, templates and account
  updates fire as if Meta had called it. A status of a message sent elsewhere (through the
  Graph API directly) goes out as any status.
- ``unsupported`` for an item that did not parse: the change it came in, with that item
  alone, and ``"wahooks": {"event", "reason"}`` beside it.

Skipped (``SkipEvent``): ``destination:disabled``, ``chat:update`` and ``contact:update``,
which are news about the gateway (a conversation changed through our API), not about
WhatsApp, and have no Meta shape.
"""

import json
from typing import Any

from wahooks.formats.skip import SkipEvent
from wahooks.models import CHANGE_EVENTS, EventType, JsonObject, MessageEvent

OBJECT = "whatsapp_business_account"

INBOUND = frozenset(
    {
        EventType.MESSAGE_IN_NEW.value,
        EventType.MESSAGE_UPDATE.value,
        EventType.MESSAGE_REACTION.value,
        EventType.TEST.value,
    }
)
STATUSES = frozenset({EventType.MESSAGE_OUT_ACK.value, EventType.MESSAGE_OUT_FAILED.value})
EVENTS = (
    INBOUND
    | STATUSES
    | {EventType.MESSAGE_OUT_NEW.value, EventType.UNSUPPORTED.value}
    | {e.value for e in CHANGE_EVENTS}
)
"""The event types this format expresses; any other is skipped."""


def meta_number(display_phone_number: str) -> str:
    """``+15550001111`` → ``15550001111``: Meta writes display numbers without the ``+``."""
    return display_phone_number.removeprefix("+")


def unix_string(value: Any) -> Any:
    """Meta's timestamps are Unix seconds in a string; an int we stored becomes one."""
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    return value


def _with_string_timestamp(obj: JsonObject) -> JsonObject:
    out = dict(obj)
    if "timestamp" in out:
        out["timestamp"] = unix_string(out["timestamp"])
    return out


SEND_ONLY = ("to", "messaging_product", "recipient_type")
"""Fields of a Graph API send request that are not part of a message object."""


def _echo(event: MessageEvent) -> JsonObject:
    """The message we sent, as Meta writes an echo: from, to, id, timestamp, type, content.
    What only instructs the send (``to``, ``messaging_product``, ``recipient_type``,
    ``text.preview_url``) is not part of the message and is left out."""
    sent = {k: v for k, v in event.item.items() if k not in SEND_ONLY}
    if isinstance(sent.get("text"), dict):
        sent["text"] = {k: v for k, v in sent["text"].items() if k != "preview_url"}
    echo: JsonObject = {
        "from": meta_number(event.display_phone_number),
        "to": str(event.item.get("to") or event.wa_id),
    }
    for key in ("id", "timestamp", "type"):
        if key in sent:
            echo[key] = sent.pop(key)
    echo.update(sent)
    return _with_string_timestamp(echo)


def _recipient_contact(status: JsonObject) -> JsonObject:
    contact: JsonObject = {}
    if status.get("recipient_id"):
        contact["wa_id"] = status["recipient_id"]
    if status.get("recipient_user_id"):
        contact["user_id"] = status["recipient_user_id"]
    return contact


def value_and_field(event: MessageEvent) -> tuple[JsonObject, str]:
    """The ``value`` of the one change, and its ``field``."""
    kind = event.event_type
    if kind not in EVENTS:
        raise SkipEvent("meta", kind, "Meta has no notification for it")
    value: JsonObject = {
        "messaging_product": "whatsapp",
        "metadata": {
            "display_phone_number": meta_number(event.display_phone_number),
            "phone_number_id": event.phone_number_id,
        },
    }
    if event.contact is not None:
        value["contacts"] = [event.contact]
    if kind in STATUSES:
        if event.status is None:
            raise SkipEvent("meta", kind, "the event carries no status object")
        if event.contact is None and (event.data or {}).get("external") is True:
            # A status of a message sent elsewhere: no conversation of ours to take the
            # contact from, and Meta clients (pywa) need one; its recipient is who it is.
            value["contacts"] = [_recipient_contact(event.status)]
        value["statuses"] = [_with_string_timestamp(event.status)]
        return value, "messages"
    if kind == EventType.MESSAGE_OUT_NEW:
        value["message_echoes"] = [_echo(event)]
        return value, "smb_message_echoes"
    value["messages"] = [_with_string_timestamp(event.item)]
    return value, "messages"


def _unsupported(event: MessageEvent) -> JsonObject:
    """An item that did not parse, in the change Meta sent it in; why, beside it."""
    data = event.data or {}
    value: JsonObject = {
        "messaging_product": "whatsapp",
        "metadata": {
            "display_phone_number": meta_number(str(data.get("displayPhoneNumber") or "")),
            "phone_number_id": str(data.get("phoneNumberId") or ""),
        },
        ("statuses" if data.get("kind") == "status" else "messages"): [data.get("item")],
    }
    return {
        "object": OBJECT,
        "entry": [{"id": str(data.get("wabaId") or ""), "changes": [
            {"value": value, "field": "messages"}
        ]}],
        "wahooks": {"event": event.event_type, "reason": data.get("reason")},
    }  # fmt: skip


def change_of(event: MessageEvent) -> tuple[JsonObject, JsonObject] | None:
    """A change of another webhook field as Meta sent it: (its entry, the change); None for
    events that are not one."""
    data = event.data
    if data is None or "field" not in data or "value" not in data:
        return None
    entry: JsonObject = {"id": str(data.get("wabaId") or event.waba_id)}
    if data.get("entryTime") is not None:
        entry["time"] = data["entryTime"]
    return entry, {"value": data["value"], "field": data["field"]}


def notification(event: MessageEvent) -> JsonObject:
    change = change_of(event)
    if change is not None:
        entry, one = change
        payload: JsonObject = {"object": OBJECT, "entry": [{**entry, "changes": [one]}]}
        if event.event_type == EventType.UNSUPPORTED:
            payload["wahooks"] = {
                "event": event.event_type,
                "reason": (event.data or {}).get("reason"),
            }
        return payload
    if event.event_type == EventType.UNSUPPORTED:
        return _unsupported(event)
    value, field = value_and_field(event)
    payload = {
        "object": OBJECT,
        "entry": [
            {"id": event.entry_id or event.waba_id, "changes": [{"value": value, "field": field}]}
        ],
    }
    if event.test:
        payload["test"] = True
    return payload


def render(event: MessageEvent) -> bytes:
    """Serialised as Meta does: compact, non-ASCII escaped as ``\\uXXXX``."""
    return json.dumps(notification(event), ensure_ascii=True, separators=(",", ":")).encode()
