"""One Meta POST in one transaction: messages (deduplicated on the wamid), statuses,
conversations, events and deliveries; and the record of what we sent.

Generators of named queries, run by a connector (see base.py).
"""

from collections.abc import Mapping

import orjson

from wahooks.ids import new_id, new_media_id
from wahooks.models import (
    OUT_EVENT_FOR_STATUS,
    STATUS_RANK,
    EventType,
    IngestBatch,
    IngestOutcome,
    JsonObject,
    NoticeKind,
    Number,
    OutboundStatus,
)
from wahooks.store.activation_ops import route_pool_message
from wahooks.store.base import Execute, FetchAll, FetchOne, Operation
from wahooks.store.change_ops import hold_unmatched_status, keep_change, keep_invalid
from wahooks.store.identity_ops import store_inbound_message
from wahooks.store.move_ops import follow_identity_change
from wahooks.store.publish_ops import Targets, publish
from wahooks.store.rows import json_text as _json


def ingest(
    numbers: Mapping[str, Number],
    batch: IngestBatch,
    now: float,
    media_ttl_s: float,
) -> Operation[IngestOutcome]:
    """Store messages (deduplicated on wamid), their conversations, events and one
    delivery per destination; store statuses and apply them; keep unknown changes raw.
    A pool number's messages route by activation; codes and strangers get notices."""
    stored = duplicates = deliveries = media_jobs = 0
    targets: Targets = {}
    tenants: set[str] = set()
    queued: list[NoticeKind] = []
    for msg in batch.messages:
        number = numbers[msg.phone_number_id]
        if msg.identity_change is not None:
            # Followed first, so the message announcing the new ids is routed and stored
            # under them, where the user's next messages go (not again for a redelivery).
            seen = yield FetchOne("message_on_number", {"number_id": number.id,
                                                        "wamid": msg.wamid})  # fmt: skip
            if seen is None:
                yield from follow_identity_change(number.id, msg.identity_change, now)
        route: tuple[str, str | None] | None
        if number.tenant_id is None:  # a pool number
            if batch.notices is None:
                raise ValueError("a pool number's messages need the notice rules (for_ingest)")
            route = yield from route_pool_message(
                number, msg, batch.codes.get(msg.wamid), now, batch.notices, queued
            )
        else:
            route = yield from _route(number, msg.from_wa_id)
        if route is None:
            continue
        tenant_id, activation_id = route
        conversation_id, message = yield from store_inbound_message(
            number, tenant_id, activation_id, msg, now
        )
        if message is None:
            duplicates += 1
            continue
        stored += 1
        hold = None
        if msg.media_id is not None:
            media_jobs += 1
            hold = yield from _media_job(
                number, tenant_id, msg.type, msg.item, message["seq"], now, media_ttl_s
            )
        made = yield from publish(
            targets,
            number,
            tenant_id,
            msg.event_type.value,
            conversation_id,
            message["seq"],
            None,
            now,
            hold,
            activation_id,
            entry_id=msg.entry_id,
        )
        deliveries += made
        if made:
            tenants.add(tenant_id)
    # Locked in one order, so two ingests of overlapping statuses cannot deadlock.
    for key in sorted({_message_key(numbers[s.phone_number_id], s.wamid) for s in batch.statuses}):
        yield FetchOne("lock_message", {"key": key})
    for status in batch.statuses:
        number = numbers[status.phone_number_id]
        yield Execute(
            "insert_status",
            {
                "number_id": number.id,
                "wamid": status.wamid,
                "status": status.status,
                "timestamp": status.timestamp,
                "recipient_id": status.recipient_id,
                "item": _json(status.item),
                "now": now,
            },
        )
        made, owner = yield from _apply_status(
            targets,
            number,
            status.wamid,
            status.status,
            status.timestamp,
            status.item,
            now,
            entry_id=status.entry_id,
        )
        deliveries += made
        if made and owner is not None:
            tenants.add(owner)
    for update in batch.unhandled:
        for change in update.identity_changes:  # a user_id_update: followed, then kept
            yield from follow_identity_change(numbers[change.phone_number_id].id, change, now)
        made, owners = yield from keep_change(targets, numbers, update, now)
        deliveries += made
        tenants |= owners
    for invalid in batch.invalid:
        made, owners = yield from keep_invalid(
            targets, numbers[invalid.phone_number_id], invalid, now
        )
        deliveries += made
        tenants |= owners
    return IngestOutcome(
        stored=stored,
        duplicates=duplicates,
        statuses=len(batch.statuses),
        deliveries=deliveries,
        tenants=frozenset(tenants),
        notices=len(queued),
        media_jobs=media_jobs,
    )


def _route(number: Number, wa_id: str) -> Operation[tuple[str, str | None] | None]:
    """(tenant, activation) an inbound message from ``wa_id`` belongs to; None: nobody's.
    A dedicated number's messages are its owner's; a pool number's go to the tenant that
    activated the sender on it (``activation_ops.route_pool_message`` handles codes too)."""
    if number.tenant_id is not None:
        return number.tenant_id, None
    row = yield FetchOne(
        "active_activation", {"number_id": number.id, "wa_id": wa_id, "user_id": None}
    )
    return None if row is None else (row["tenant_id"], row["id"])


def _media_job(
    number: Number,
    tenant_id: str,
    kind: str,
    item: JsonObject,
    message_seq: int,
    now: float,
    ttl_s: float,
) -> Operation[str]:
    """Record the file to fetch; returns the hold its message's deliveries wait on."""
    found = item.get(kind)
    body: JsonObject = found if isinstance(found, dict) else {}
    media_id = new_media_id()
    yield Execute(
        "insert_media",
        {
            "id": media_id,
            "tenant_id": tenant_id,  # the message's (a pool number has none of its own)
            "number_id": number.id,
            "message_seq": message_seq,
            "graph_media_id": str(body.get("id")),
            "kind": kind,
            "state": "pending",
            "mime_type": str(body.get("mime_type") or "application/octet-stream"),
            "file_name": body.get("filename"),
            "byte_size": 0,
            "sha256": body.get("sha256"),
            "expires_at": now + ttl_s,
            "now": now,
        },
    )
    return hold_for_media(media_id)


def hold_for_media(media_id: str) -> str:
    return "media:" + media_id


def _message_key(number: Number, wamid: str) -> str:
    return f"{number.id}:{wamid}"


def _apply_status(
    targets: Targets,
    number: Number,
    wamid: str,
    status: str,
    timestamp: int,
    item: JsonObject,
    now: float,
    *,
    entry_id: str | None = None,
) -> Operation[tuple[int, str | None]]:
    """Move an outbound message forward to ``status`` and publish its event, if it moved.
    Returns the deliveries made and the tenant they are for. ``entry_id``: of the
    notification the status came in (None for a status stored earlier, applied late)."""
    rank = STATUS_RANK.get(status)
    if rank is None:
        return 0, None
    moved = yield FetchOne(
        "apply_status",
        {
            "number_id": number.id,
            "wamid": wamid,
            "status": status,
            "timestamp": timestamp,
            "status_rank": rank,
        },
    )
    if moved is None:
        yield from hold_unmatched_status(number.id, wamid, status)
        return 0, None
    event_type = OUT_EVENT_FOR_STATUS.get(status)
    if event_type is None:
        return 0, None
    owner = yield FetchOne("conversation_tenant", {"id": moved["conversation_id"]})
    made = yield from publish(
        targets,
        number,
        owner["tenant_id"],
        event_type.value,
        moved["conversation_id"],
        moved["seq"],
        item,
        now,
        activation_id=owner["activation_id"],
        entry_id=entry_id,
    )
    return made, owner["tenant_id"]


def record_outbound(
    number: Number,
    tenant_id: str,
    to_wa_id: str,
    wamid: str,
    message_type: str,
    item: JsonObject,
    now: float,
) -> Operation[tuple[str, int]]:
    """A message we sent through the Graph API: stored, with its message:out:new event.
    Its statuses will move it forward. Returns the conversation id and deliveries made."""
    conversation = yield FetchOne(
        "upsert_conversation",
        {
            "id": new_id("conv"),
            "tenant_id": tenant_id,
            "number_id": number.id,
            "wa_id": to_wa_id,
            "user_id": None,
            "is_group": False,
            "contact_name": None,
            "last_inbound_at": None,
            "activation_id": None,
            "now": now,
        },
    )
    yield FetchOne("lock_message", {"key": _message_key(number, wamid)})
    message = yield FetchOne(
        "insert_message",
        {
            "number_id": number.id,
            "conversation_id": conversation["id"],
            "wamid": wamid,
            "direction": "out",
            "type": message_type,
            "timestamp": int(now),
            "item": _json(item),
            "contact": None,
            "status": OutboundStatus.ACCEPTED.value,
            "status_rank": STATUS_RANK[OutboundStatus.ACCEPTED.value],
            "now": now,
        },
    )
    made = 0
    if message is not None:
        made = yield from publish(
            {},
            number,
            tenant_id,
            EventType.MESSAGE_OUT_NEW.value,
            conversation["id"],
            message["seq"],
            None,
            now,
            activation_id=conversation["activation_id"],
        )
        # Meta may report a status before our send's answer was recorded (its webhook can
        # outrun the Graph API's reply): statuses already stored apply now, in order.
        early = yield FetchAll("statuses_of_message", {"number_id": number.id, "wamid": wamid})
        targets: Targets = {}
        for row in early:
            applied, _ = yield from _apply_status(
                targets,
                number,
                wamid,
                row["status"],
                row["timestamp"],
                orjson.loads(row["item"]),
                now,
            )
            made += applied
        if early:
            yield Execute("match_waiting_statuses", {"number_id": number.id, "wamid": wamid})
    return str(conversation["id"]), made


def outbound_status(number_id: str, wamid: str) -> Operation[str | None]:
    row = yield FetchOne("outbound_status", {"number_id": number_id, "wamid": wamid})
    return None if row is None else str(row["status"])
