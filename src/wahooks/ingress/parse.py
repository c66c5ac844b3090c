"""A Meta notification → typed updates, every entry, change and item of it.

Strict about the envelope (a malformed POST is refused whole, so nothing is half-stored),
lenient about content: a message type we do not know is kept as ``unsupported`` with Meta's
object verbatim, and a change of another webhook field is kept raw; nothing is dropped.
"""

from dataclasses import dataclass, field
from typing import Any

from wahooks.models import (
    InboundMessage,
    IngestBatch,
    JsonObject,
    Number,
    StatusUpdate,
    UnhandledUpdate,
    Wamid,
)

KNOWN_MESSAGE_TYPES = frozenset(
    {
        "text", "image", "audio", "video", "document", "sticker", "location", "contacts",
        "reaction", "interactive", "button", "order", "system", "unsupported", "edit",
        "revoke", "request_welcome",
    }
)  # fmt: skip


class InvalidNotification(ValueError):
    """The POST is not a Meta notification we can store; the message says where."""


@dataclass(slots=True)
class ParsedNotification:
    messages: list[InboundMessage] = field(default_factory=list)
    statuses: list[StatusUpdate] = field(default_factory=list)
    unhandled: list[UnhandledUpdate] = field(default_factory=list)

    @property
    def phone_number_ids(self) -> set[str]:
        ids = {m.phone_number_id for m in self.messages}
        ids.update(s.phone_number_id for s in self.statuses)
        ids.update(u.phone_number_id for u in self.unhandled if u.phone_number_id)
        return ids

    def for_numbers(self, numbers: dict[str, Number]) -> IngestBatch:
        """Only what belongs to a number we serve; unknown numbers' updates are not ours.
        A change naming no number (account_update) came signed with our numbers' app secret."""
        return IngestBatch(
            messages=[m for m in self.messages if m.phone_number_id in numbers],
            statuses=[s for s in self.statuses if s.phone_number_id in numbers],
            unhandled=[
                u
                for u in self.unhandled
                if u.phone_number_id is None or u.phone_number_id in numbers
            ],
        )


def _obj(value: Any, where: str) -> JsonObject:
    if not isinstance(value, dict):
        raise InvalidNotification(f"{where} must be an object")
    return value


def _list(value: Any, where: str) -> list[Any]:
    if not isinstance(value, list):
        raise InvalidNotification(f"{where} must be an array")
    return value


def _str(obj: JsonObject, key: str, where: str) -> str:
    value = obj.get(key)
    if not isinstance(value, str) or not value:
        raise InvalidNotification(f"{where}.{key} must be a non-empty string")
    return value


def _unix(obj: JsonObject, key: str, where: str) -> int:
    value = obj.get(key)
    # ASCII digits only ("²".isdigit() is true, int("²") fails), and within the 64-bit column.
    if isinstance(value, str) and value.isascii() and value.isdigit():
        value = int(value)
    if isinstance(value, int) and not isinstance(value, bool) and 0 <= value < 2**63:
        return value
    raise InvalidNotification(f"{where}.{key} must be Unix seconds")


def parse_notification(doc: Any) -> ParsedNotification:
    root = _obj(doc, "notification")
    parsed = ParsedNotification()
    for e, entry in enumerate(_list(root.get("entry"), "entry")):
        where = f"entry[{e}]"
        entry = _obj(entry, where)
        for c, change in enumerate(_list(entry.get("changes"), f"{where}.changes")):
            cwhere = f"{where}.changes[{c}]"
            change = _obj(change, cwhere)
            _parse_change(change, cwhere, parsed)
    return parsed


def _parse_change(change: JsonObject, where: str, parsed: ParsedNotification) -> None:
    field_name = _str(change, "field", where)
    value = _obj(change.get("value"), f"{where}.value")
    metadata = value.get("metadata")
    phone_number_id = metadata.get("phone_number_id") if isinstance(metadata, dict) else None
    if field_name != "messages":
        pid = phone_number_id if isinstance(phone_number_id, str) else None
        parsed.unhandled.append(UnhandledUpdate(phone_number_id=pid, field=field_name, value=value))
        return
    metadata = _obj(metadata, f"{where}.value.metadata")
    phone_number_id = _str(metadata, "phone_number_id", f"{where}.value.metadata")
    display = str(metadata.get("display_phone_number") or "")
    contacts = [c for c in _list(value.get("contacts", []), f"{where}.value.contacts")]
    for i, item in enumerate(_list(value.get("messages", []), f"{where}.value.messages")):
        parsed.messages.append(
            _message(_obj(item, f"{where}.value.messages[{i}]"), f"{where}.value.messages[{i}]",
                     phone_number_id, display, contacts)
        )  # fmt: skip
    for i, item in enumerate(_list(value.get("statuses", []), f"{where}.value.statuses")):
        swhere = f"{where}.value.statuses[{i}]"
        item = _obj(item, swhere)
        parsed.statuses.append(
            StatusUpdate(
                wamid=Wamid(_str(item, "id", swhere)),
                phone_number_id=phone_number_id,
                status=_str(item, "status", swhere),
                timestamp=_unix(item, "timestamp", swhere),
                recipient_id=str(item.get("recipient_id") or ""),
                item=item,
            )
        )
    if "errors" in value:
        parsed.unhandled.append(
            UnhandledUpdate(phone_number_id=phone_number_id, field="messages.errors", value=value)
        )


def _message(
    item: JsonObject, where: str, phone_number_id: str, display: str, contacts: list[Any]
) -> InboundMessage:
    sender = _str(item, "from", where)
    kind = item.get("type")
    return InboundMessage(
        wamid=Wamid(_str(item, "id", where)),
        phone_number_id=phone_number_id,
        from_wa_id=sender,
        timestamp=_unix(item, "timestamp", where),
        type=kind if isinstance(kind, str) and kind in KNOWN_MESSAGE_TYPES else "unsupported",
        item=item,
        contact=_contact_of(sender, contacts),
        display_phone_number=display,
    )


def _contact_of(sender: str, contacts: list[Any]) -> JsonObject | None:
    for contact in contacts:
        if isinstance(contact, dict) and contact.get("wa_id") == sender:
            return contact
    if len(contacts) == 1 and isinstance(contacts[0], dict):
        return contacts[0]
    return None
