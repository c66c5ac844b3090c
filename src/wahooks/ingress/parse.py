"""A Meta notification → typed updates, every entry, change and item of it.

Strict about the envelope (what is not a notification at all is refused whole), lenient
about items: a message or status that does not parse (no id, no sender id, no timestamp) is
kept as an ``InvalidItem`` with the reason, and the POST's other items are stored as usual;
a message type we do not know is kept as ``unsupported`` with Meta's object verbatim, and a
change of another webhook field is kept raw. Nothing is dropped.

A sender is identified by phone number (``from``) when Meta sends one, else by its
business-scoped user id (BSUID: the message's ``from_user_id``, or its contact's
``user_id``), which Meta sends alone for users who adopted a username and hide their number
(Meta's "Business-scoped user IDs" guide).
"""

from dataclasses import dataclass, field
from typing import Any

from wahooks.models import (
    InboundMessage,
    IngestBatch,
    InvalidItem,
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


# Meta's notifications nest about a dozen levels. The JSON parser reads up to 1024, but
# orjson writes at most 255, and a delivery wraps the item in its payload's own levels:
# deeper content would be stored and then fail every render (and block its conversation),
# or fail the ingest itself and be retried by Meta forever. Refused at the door instead.
MAX_DEPTH = 64


class InvalidNotification(ValueError):
    """The POST is not a Meta notification we can store; the message says where."""


def nesting_depth(doc: Any, limit: int = MAX_DEPTH) -> int:
    """How deeply ``doc`` nests objects and arrays, counted up to ``limit + 1``."""
    deepest = 0
    stack: list[tuple[Any, int]] = [(doc, 1)]
    while stack:
        value, depth = stack.pop()
        if isinstance(value, dict):
            children: Any = value.values()
        elif isinstance(value, list):
            children = value
        else:
            continue
        deepest = max(deepest, depth)
        if deepest > limit:
            return deepest
        stack.extend((child, depth + 1) for child in children)
    return deepest


@dataclass(slots=True)
class ParsedNotification:
    messages: list[InboundMessage] = field(default_factory=list)
    statuses: list[StatusUpdate] = field(default_factory=list)
    unhandled: list[UnhandledUpdate] = field(default_factory=list)
    invalid: list[InvalidItem] = field(default_factory=list)

    @property
    def waba_ids(self) -> set[str]:
        """The WABAs of changes that name no number (templates, account): verified and
        routed by the numbers registered for that WABA."""
        return {u.entry_id for u in self.unhandled if u.phone_number_id is None}

    @property
    def phone_number_ids(self) -> set[str]:
        ids = {m.phone_number_id for m in self.messages}
        ids.update(s.phone_number_id for s in self.statuses)
        ids.update(i.phone_number_id for i in self.invalid)
        ids.update(u.phone_number_id for u in self.unhandled if u.phone_number_id)
        return ids

    def for_numbers(self, numbers: dict[str, Number]) -> IngestBatch:
        """Only what belongs to a number we serve; unknown numbers' updates are not ours.
        A change naming no number (account_update) is kept when ``numbers`` hold a number of
        its WABA (the ingress checked its signature with their app secrets)."""
        wabas = {n.waba_id for n in numbers.values()}
        return IngestBatch(
            messages=[m for m in self.messages if m.phone_number_id in numbers],
            statuses=[s for s in self.statuses if s.phone_number_id in numbers],
            unhandled=[
                u
                for u in self.unhandled
                if (
                    u.entry_id in wabas
                    if u.phone_number_id is None
                    else u.phone_number_id in numbers
                )
            ],
            invalid=[i for i in self.invalid if i.phone_number_id in numbers],
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
    if nesting_depth(doc) > MAX_DEPTH:
        raise InvalidNotification(
            f"the notification nests objects and arrays deeper than {MAX_DEPTH} levels "
            "(Meta's nest about a dozen); nothing was stored"
        )
    root = _obj(doc, "notification")
    parsed = ParsedNotification()
    for e, entry in enumerate(_list(root.get("entry"), "entry")):
        where = f"entry[{e}]"
        entry = _obj(entry, where)
        entry_id = str(entry.get("id") or "")
        time = entry.get("time")
        entry_time = time if isinstance(time, int) and not isinstance(time, bool) else None
        for c, change in enumerate(_list(entry.get("changes"), f"{where}.changes")):
            cwhere = f"{where}.changes[{c}]"
            change = _obj(change, cwhere)
            _parse_change(change, cwhere, parsed, entry_id, entry_time)
    return parsed


def _parse_change(
    change: JsonObject,
    where: str,
    parsed: ParsedNotification,
    entry_id: str,
    entry_time: int | None,
) -> None:
    field_name = _str(change, "field", where)
    value = _obj(change.get("value"), f"{where}.value")
    metadata = value.get("metadata")
    phone_number_id = metadata.get("phone_number_id") if isinstance(metadata, dict) else None
    if field_name != "messages":
        pid = phone_number_id if isinstance(phone_number_id, str) and phone_number_id else None
        parsed.unhandled.append(UnhandledUpdate(
            phone_number_id=pid, field=field_name, value=value, entry_id=entry_id,
            entry_time=entry_time,
        ))  # fmt: skip
        return
    metadata = _obj(metadata, f"{where}.value.metadata")
    phone_number_id = _str(metadata, "phone_number_id", f"{where}.value.metadata")
    display = str(metadata.get("display_phone_number") or "")
    contacts = [c for c in _list(value.get("contacts", []), f"{where}.value.contacts")]
    items = _list(value.get("messages", []), f"{where}.value.messages")
    errors = value.get("errors")
    for i, item in enumerate(items):
        mwhere = f"{where}.value.messages[{i}]"
        if errors is not None and isinstance(item, dict) and "errors" not in item:
            # Meta reports an errored message (an interactive one sent again, say) with the
            # errors beside it in the value: carried with the message, where Meta puts them
            # for unsupported messages.
            item = {**item, "errors": errors}
        try:
            message = _message(
                _obj(item, mwhere), mwhere, phone_number_id, display, contacts, entry_id
            )
        except InvalidNotification as exc:
            parsed.invalid.append(InvalidItem(
                phone_number_id=phone_number_id, kind="message", reason=str(exc), item=item
            ))  # fmt: skip
        else:
            parsed.messages.append(message)
    for i, item in enumerate(_list(value.get("statuses", []), f"{where}.value.statuses")):
        swhere = f"{where}.value.statuses[{i}]"
        try:
            status = _status(_obj(item, swhere), swhere, phone_number_id, entry_id)
        except InvalidNotification as exc:
            parsed.invalid.append(InvalidItem(
                phone_number_id=phone_number_id, kind="status", reason=str(exc), item=item
            ))  # fmt: skip
        else:
            parsed.statuses.append(status)
    if errors is not None and not items:
        parsed.unhandled.append(UnhandledUpdate(
            phone_number_id=phone_number_id, field="messages.errors", value=value,
            entry_id=entry_id, entry_time=entry_time,
        ))  # fmt: skip


def _status(item: JsonObject, where: str, phone_number_id: str, entry_id: str) -> StatusUpdate:
    return StatusUpdate(
        wamid=Wamid(_str(item, "id", where)),
        phone_number_id=phone_number_id,
        status=_str(item, "status", where),
        timestamp=_unix(item, "timestamp", where),
        recipient_id=str(item.get("recipient_id") or item.get("recipient_user_id") or ""),
        item=item,
        entry_id=entry_id,
    )


def _message(
    item: JsonObject,
    where: str,
    phone_number_id: str,
    display: str,
    contacts: list[Any],
    entry_id: str,
) -> InboundMessage:
    wamid = Wamid(_str(item, "id", where))
    contact = _contact_of(item, contacts)
    sender = _sender(item, contact)
    if sender is None:
        raise InvalidNotification(
            f"{where} has no sender id: neither from, from_user_id nor a contact's user_id"
        )
    kind = item.get("type")
    return InboundMessage(
        wamid=wamid,
        phone_number_id=phone_number_id,
        from_wa_id=sender,
        timestamp=_unix(item, "timestamp", where),
        type=kind if isinstance(kind, str) and kind in KNOWN_MESSAGE_TYPES else "unsupported",
        item=item,
        contact=contact,
        display_phone_number=display,
        entry_id=entry_id,
    )


def _text(obj: JsonObject | None, key: str) -> str | None:
    value = None if obj is None else obj.get(key)
    return value if isinstance(value, str) and value else None


def _sender(item: JsonObject, contact: JsonObject | None) -> str | None:
    """The phone number when Meta sends it, else the BSUID (see the module's docstring)."""
    return (
        _text(item, "from")
        or _text(contact, "wa_id")
        or _text(item, "from_user_id")
        or _text(contact, "user_id")
    )


def _contact_of(item: JsonObject, contacts: list[Any]) -> JsonObject | None:
    """The ``value.contacts[]`` entry of the message's sender (by phone or BSUID)."""
    keys = {("wa_id", _text(item, "from")), ("user_id", _text(item, "from_user_id"))}
    for contact in contacts:
        if isinstance(contact, dict) and any(v and contact.get(k) == v for k, v in keys):
            return contact
    if len(contacts) == 1 and isinstance(contacts[0], dict):
        return contacts[0]
    return None
