"""What a Meta POST carries besides messages and statuses of ours: changes of the other
webhook fields, items that did not parse, and statuses of messages sent elsewhere. Each is
kept as Meta sent it and delivered to the tenants it belongs to (SQL in sql/core.sql).

Whose it is: a dedicated number's change is its owner's. A pool number's change is the
tenant's that activated the user it is about (``contacts[0]``, or the item's user), else
nobody's (kept only). A WABA-level change (templates, the account) names no number: it goes,
once, to every tenant owning a number of that WABA, through the destinations of all of them.
"""

from collections.abc import Iterable, Mapping

import orjson

from wahooks.models import (
    FIELD_EVENTS,
    OUT_EVENT_FOR_STATUS,
    EventType,
    InvalidItem,
    JsonObject,
    Number,
    UnhandledUpdate,
)
from wahooks.secrets import Keyring
from wahooks.store.base import Execute, FetchAll, FetchOne, Operation
from wahooks.store.number_ops import number_from_row
from wahooks.store.publish_ops import Targets, publish, publish_to_numbers
from wahooks.store.rows import json_text as _json

Delivered = tuple[int, set[str]]
"""Deliveries made, and the tenants they are for (to wake their sockets)."""


def number_data(number: Number) -> JsonObject:
    """What a format needs of the number an event without a message is about."""
    return {
        "numberId": number.id,
        "phoneNumberId": number.phone_number_id,
        "displayPhoneNumber": number.display_phone_number,
        "wabaId": number.waba_id,
    }


def keep_change(
    targets: Targets, numbers: Mapping[str, Number], update: UnhandledUpdate, now: float
) -> Operation[Delivered]:
    """Kept raw; then one event of the field's type (``unsupported`` for a field we do not
    know, with the reason) for the tenants it belongs to."""
    number = numbers.get(update.phone_number_id or "")
    yield Execute(
        "insert_unhandled",
        {
            "number_id": None if number is None else number.id,
            "field": update.field,
            "value": _json(update.value),
            "now": now,
        },
    )
    event_type = FIELD_EVENTS.get(update.field, EventType.UNSUPPORTED).value
    data: JsonObject = {"field": update.field, "value": update.value, "wabaId": update.entry_id}
    if update.entry_time is not None:
        data["entryTime"] = update.entry_time
    if event_type == EventType.UNSUPPORTED:
        data["reason"] = _unsupported_reason(update.field)
    if update.phone_number_id is None:
        return (yield from _publish_to_waba(targets, numbers.values(), update.entry_id, event_type,
                                            data, now))  # fmt: skip
    if number is None:
        return 0, set()
    route = yield from _owner(number, _user_of(update.field, update.value))
    if route is None:
        return 0, set()
    tenant_id, activation_id = route
    made = yield from publish(
        targets, number, tenant_id, event_type, None, None, {**data, **number_data(number)}, now,
        activation_id=activation_id,
    )  # fmt: skip
    return made, {tenant_id} if made else set()


def _unsupported_reason(field: str) -> str:
    if field == "messages.errors":
        return "Meta reported errors with no message or status to carry them"
    return f"webhook field {field!r} has no event type here yet; delivered as Meta sent it"


def _publish_to_waba(
    targets: Targets,
    numbers: Iterable[Number],
    waba_id: str,
    event_type: str,
    data: JsonObject,
    now: float,
) -> Operation[Delivered]:
    by_tenant: dict[str, list[Number]] = {}
    for number in numbers:
        if number.waba_id == waba_id and number.tenant_id is not None:
            by_tenant.setdefault(number.tenant_id, []).append(number)
    made = 0
    tenants: set[str] = set()
    for tenant_id, owned in sorted(by_tenant.items()):
        count = yield from publish_to_numbers(
            targets, owned, tenant_id, event_type, None, None, data, now
        )
        made += count
        if count:
            tenants.add(tenant_id)
    return made, tenants


def _user_of(field: str, value: JsonObject) -> str | None:
    """The WhatsApp user a number's change is about: its contact, else its first item's."""
    contacts = value.get("contacts")
    if isinstance(contacts, list) and contacts and isinstance(contacts[0], dict):
        found = contacts[0].get("wa_id") or contacts[0].get("user_id")
        if isinstance(found, str) and found:
            return found
    for items in value.values():
        if isinstance(items, list) and items and isinstance(items[0], dict):
            item = items[0]
            # An echo is from the business to the user; other items are from the user (a
            # user_id_update's by the new BSUID, which their activation holds by then).
            keys = ("to", "wa_id") if field == "smb_message_echoes" else ("wa_id", "from",
                                                                           "user_id")  # fmt: skip
            for key in keys:
                if isinstance(item.get(key), str) and item[key]:
                    return str(item[key])
    return None


def _owner(number: Number, wa_id: str | None) -> Operation[tuple[str, str | None] | None]:
    """(tenant, activation) of what a number's user did; None: nobody's."""
    if number.tenant_id is not None:
        return number.tenant_id, None
    if wa_id is None:
        return None
    # The id may be a phone number or a BSUID: either column matches.
    row = yield FetchOne(
        "active_activation", {"number_id": number.id, "wa_id": wa_id, "user_id": wa_id}
    )
    return None if row is None else (row["tenant_id"], row["id"])


def keep_invalid(
    targets: Targets, number: Number, invalid: InvalidItem, now: float
) -> Operation[Delivered]:
    """Kept raw with its reason; on a number with a tenant, also an ``unsupported`` event
    for the destinations that subscribe to it. A pool number's item has no tenant to go to
    when it did not parse (its sender is how a pool routes): it is only kept."""
    yield Execute(
        "insert_unhandled",
        {
            "number_id": number.id,
            "field": f"{invalid.kind}s.invalid",
            "value": _json(invalid.data()),
            "now": now,
        },
    )
    if number.tenant_id is None:
        return 0, set()
    data = {**invalid.data(), **number_data(number)}
    made = yield from publish(
        targets, number, number.tenant_id, EventType.UNSUPPORTED.value, None, None, data, now
    )
    return made, {number.tenant_id} if made else set()


# --- statuses of messages sent elsewhere ------------------------------------------------


def hold_unmatched_status(number_id: str, wamid: str, status: str) -> Operation[None]:
    """A status of a wamid we have no message of: it waits (``publish_external``), since
    our own send's answer may still be on its way (Meta's webhook can outrun it)."""
    yield Execute("hold_unmatched_status", {"number_id": number_id, "wamid": wamid,
                                            "status": status})  # fmt: skip


def publish_external(
    cutoff: float, limit: int, now: float, keyring: Keyring
) -> Operation[tuple[int, set[str]]]:
    """Statuses that waited since before ``cutoff`` with no message of ours appearing:
    published as ``message:out:ack``/``failed`` with ``external: true``, to the number's
    owner (a pool number's: the recipient's activation). Returns the statuses claimed, and
    the tenants that got deliveries."""
    rows = yield FetchAll("claim_unmatched_statuses", {"cutoff": cutoff, "limit": limit})
    tenants: set[str] = set()
    numbers: dict[str, Number] = {}
    targets: Targets = {}
    for row in sorted(rows, key=lambda r: int(r["seq"])):
        yield FetchOne("lock_message", {"key": f"{row['number_id']}:{row['wamid']}"})
        if (yield FetchOne("outbound_status", {"number_id": row["number_id"],
                                               "wamid": row["wamid"]})) is not None:  # fmt: skip
            continue  # our send was recorded meanwhile, and applied this status
        event_type = OUT_EVENT_FOR_STATUS.get(row["status"])
        if event_type is None:
            continue
        if row["number_id"] not in numbers:
            found = yield FetchOne("any_number_by_id", {"id": row["number_id"]})
            if found is None:
                continue  # disconnected since: nobody to tell (the status stays stored)
            numbers[row["number_id"]] = number_from_row(found, keyring)
        number = numbers[row["number_id"]]
        route = yield from _owner(number, row["recipient_id"] or None)
        if route is None:
            continue
        tenant_id, activation_id = route
        data = {"external": True, "kind": "status", "item": orjson.loads(row["item"]),
                **number_data(number)}  # fmt: skip
        count = yield from publish(
            targets, number, tenant_id, event_type.value, None, None, data, now,
            activation_id=activation_id,
        )  # fmt: skip
        if count:
            tenants.add(tenant_id)
    return len(rows), tenants
