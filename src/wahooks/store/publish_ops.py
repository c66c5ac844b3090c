"""Publishing: one event, and one delivery to each destination subscribed to its type.

Used by the ingest (messages, statuses, changes of other fields) and by the record of what
we sent. ``Targets`` caches, per transaction, the destinations of a (tenant, number,
activation), so a POST of many messages reads them once.
"""

from collections.abc import Sequence

import orjson

from wahooks.ids import new_id
from wahooks.models import UNORDERED_EVENTS, JsonObject, Number
from wahooks.store.base import ExecuteMany, FetchAll, FetchOne, Operation
from wahooks.store.rows import json_text as _json

NONE: frozenset[str] = frozenset()

Targets = dict[tuple[str, str, str | None], list[tuple[str, tuple[str, ...], frozenset[str]]]]
"""Per (tenant, number, activation): each destination's id, the event types it subscribes
to, and those its format takes outside their conversation's order (UNORDERED_EVENTS)."""


def publish(
    targets: Targets,
    number: Number,
    tenant_id: str,
    event_type: str,
    conversation_id: str | None,
    message_seq: int | None,
    data: JsonObject | None,
    now: float,
    hold: str | None = None,
    activation_id: str | None = None,
    entry_id: str | None = None,
) -> Operation[int]:
    """One event, and one delivery to each destination subscribed to its type (a destination
    scoped to an activation only gets that activation's conversations). ``entry_id``: the
    ``entry[].id`` Meta sent it in, for what came from Meta."""
    made: int = yield from publish_to_numbers(
        targets, [number], tenant_id, event_type, conversation_id, message_seq, data, now,
        hold=hold, activation_id=activation_id, entry_id=entry_id,
    )  # fmt: skip
    return made


def publish_to_numbers(
    targets: Targets,
    numbers: Sequence[Number],
    tenant_id: str,
    event_type: str,
    conversation_id: str | None,
    message_seq: int | None,
    data: JsonObject | None,
    now: float,
    *,
    hold: str | None = None,
    activation_id: str | None = None,
    entry_id: str | None = None,
) -> Operation[int]:
    """One event about several of the tenant's numbers at once (a WABA-level change: a
    template, the account), delivered once to each destination of any of them."""
    made: int = yield from _publish(
        targets, [(n.id, n.app_id) for n in numbers], tenant_id, event_type, conversation_id,
        message_seq, data, now, hold=hold, activation_id=activation_id, entry_id=entry_id,
    )  # fmt: skip
    return made


def publish_for_conversation(
    conversation_id: str, event_type: str, change: JsonObject, now: float
) -> Operation[int]:
    """An event the gateway raises about a conversation (chat:update, contact:update: a
    change made through the API), to the destinations its messages go to; ``data`` is the
    change and the number, as for an event without a message (change_ops.number_data)."""
    row = yield FetchOne("conversation_scope", {"id": conversation_id})
    if row is None:
        return 0
    data: JsonObject = {
        **change,
        "numberId": row["number_id"],
        "phoneNumberId": row["phone_number_id"],
        "displayPhoneNumber": row["display_phone_number"],
        "wabaId": row["waba_id"],
        "changedAt": now,
    }
    made: int = yield from _publish(
        {}, [(row["number_id"], row["app_id"])], row["tenant_id"], event_type, conversation_id,
        None, data, now, activation_id=row["activation_id"],
    )  # fmt: skip
    return made


def _publish(
    targets: Targets,
    numbers: Sequence[tuple[str, str | None]],
    tenant_id: str,
    event_type: str,
    conversation_id: str | None,
    message_seq: int | None,
    data: JsonObject | None,
    now: float,
    *,
    hold: str | None = None,
    activation_id: str | None = None,
    entry_id: str | None = None,
) -> Operation[int]:
    """``numbers``: (id, App id) of each number the event is about."""
    event = yield FetchOne(
        "insert_event",
        {
            "id": new_id("evt"),
            "tenant_id": tenant_id,
            "type": event_type,
            "conversation_id": conversation_id,
            "message_seq": message_seq,
            "data": _json(data),
            "entry_id": entry_id or None,
            "now": now,
        },
    )
    subscribed: dict[str, bool] = {}  # destination id -> outside the conversation's order
    for number_id, app_id in numbers:
        key = (tenant_id, number_id, activation_id)
        if key not in targets:
            rows = yield FetchAll(
                "destinations_for_number",
                {
                    "tenant_id": tenant_id,
                    "number_id": number_id,
                    "activation_id": activation_id,
                    "app_id": app_id,
                },
            )
            targets[key] = [
                (r["id"], tuple(orjson.loads(r["events"])), UNORDERED_EVENTS.get(r["format"], NONE))
                for r in rows
            ]
        subscribed.update(
            (d, event_type in unordered) for d, events, unordered in targets[key]
            if event_type in events
        )  # fmt: skip
    if subscribed:
        yield ExecuteMany(
            "insert_delivery",
            [
                {
                    "id": new_id("dlv"),
                    "tenant_id": tenant_id,
                    "destination_id": destination_id,
                    "event_seq": event["seq"],
                    # No queue to wait in: the ordering triggers pass over a delivery of
                    # no conversation, so it is its own head (a failure notice batched
                    # with others of any conversation). The event keeps the conversation.
                    "conversation_id": None if unordered else conversation_id,
                    "hold": hold,
                    "now": now,
                }
                for destination_id, unordered in subscribed.items()
            ],
        )
    return len(subscribed)
