"""Every database operation, written once as a generator of named queries.

Each function yields Query objects (base.py) and receives their results; a connector
drives it inside a transaction (writes) or a read. No SQL here, only names.
"""

from collections.abc import Mapping, Sequence
from typing import Any

import orjson

from wahooks.ids import new_id, new_media_id
from wahooks.models import (
    OUT_EVENT_FOR_STATUS,
    STATUS_RANK,
    AttemptDecision,
    AttemptRecord,
    ClaimedDelivery,
    Conversation,
    DeliveryId,
    DeliveryMethod,
    DeliveryRecord,
    DeliveryState,
    Destination,
    EventType,
    HealthUpdate,
    IngestBatch,
    IngestOutcome,
    JsonObject,
    MediaJob,
    MediaRecord,
    MessageEvent,
    NoticeKind,
    Number,
    OutboundStatus,
    Tenant,
)
from wahooks.secrets import Keyring, hash_verify_token
from wahooks.store.activation_ops import route_pool_message
from wahooks.store.base import Execute, ExecuteMany, FetchAll, FetchOne, Operation, Row
from wahooks.store.convs_ops import media_info, store_inbound_message
from wahooks.store.destination_ops import apply_health, destination_options, event_data


def _json(value: Any) -> str | None:
    return None if value is None else orjson.dumps(value).decode()


# --- tenants and keys ------------------------------------------------------------------


def create_tenant(tenant_id: str, name: str, now: float) -> Operation[Tenant]:
    yield Execute("insert_tenant", {"id": tenant_id, "name": name, "now": now})
    return Tenant(id=tenant_id, name=name, created_at=now)


def find_api_key(prefix: str) -> Operation[tuple[Tenant, str] | None]:
    row = yield FetchOne("find_api_key", {"prefix": prefix})
    if row is None:
        return None
    tenant = Tenant(
        id=row["tenant_id"], name=row["tenant_name"], created_at=row["tenant_created_at"]
    )
    return tenant, row["key_hash"]


def tenant_by_id(tenant_id: str) -> Operation[Tenant | None]:
    row = yield FetchOne("get_tenant", {"id": tenant_id})
    return (
        None
        if row is None
        else Tenant(id=row["id"], name=row["name"], created_at=row["created_at"])
    )


def app_tenant(app_id: str) -> Operation[str | None]:
    row = yield FetchOne("app_tenant", {"id": app_id})
    return None if row is None else str(row["tenant_id"])


def create_operator_key(
    prefix: str, key_hash: str, label: str | None, now: float
) -> Operation[str]:
    key_id = new_id("opk")
    yield Execute(
        "insert_operator_key",
        {"id": key_id, "prefix": prefix, "key_hash": key_hash, "label": label, "now": now},
    )
    return key_id


def find_operator_key(prefix: str) -> Operation[str | None]:
    """The hash of the live operator key with this prefix."""
    row = yield FetchOne("find_operator_key", {"prefix": prefix})
    return None if row is None else str(row["key_hash"])


def find_app_key(prefix: str) -> Operation[tuple[Tenant, str, str] | None]:
    """(the App's tenant, the App's id, the key's hash) of a live App with this key."""
    row = yield FetchOne("find_app_key", {"prefix": prefix})
    if row is None:
        return None
    tenant = Tenant(
        id=row["tenant_id"], name=row["tenant_name"], created_at=row["tenant_created_at"]
    )
    return tenant, row["app_id"], row["key_hash"]


# --- numbers ---------------------------------------------------------------------------


def _number(row: Row, keyring: Keyring) -> Number:
    """A numbers row, its secrets decrypted (the model holds plaintext)."""
    return Number(
        id=row["id"],
        tenant_id=row["tenant_id"],
        kind=row["kind"],
        phone_number_id=row["phone_number_id"],
        waba_id=row["waba_id"],
        display_phone_number=row["display_phone_number"],
        access_token=keyring.decrypt(row["access_token"]),
        app_secret=keyring.decrypt(row["app_secret"]),
        verify_token=keyring.decrypt(row["verify_token"]),
        graph_base_url=row["graph_base_url"],
        created_at=row["created_at"],
        app_id=row["app_id"],
        display_name=row["display_name"],
        health=row["health"],
        health_detail=row["health_detail"],
        health_checked_at=row["health_checked_at"],
    )


def create_number(number: Number, keyring: Keyring) -> Operation[Number]:
    params = {
        "id": number.id,
        "tenant_id": number.tenant_id,
        "kind": number.kind,
        "phone_number_id": number.phone_number_id,
        "waba_id": number.waba_id,
        "display_phone_number": number.display_phone_number,
        "access_token": keyring.encrypt(number.access_token),
        "app_secret": keyring.encrypt(number.app_secret),
        "verify_token": keyring.encrypt(number.verify_token),
        "verify_token_hash": hash_verify_token(number.verify_token),
        "graph_base_url": number.graph_base_url,
        "app_id": number.app_id,
        "display_name": number.display_name,
        "now": number.created_at,
    }
    yield Execute("insert_number", params)
    return number


def numbers_by_phone_number_ids(
    ids: Sequence[str], keyring: Keyring
) -> Operation[dict[str, Number]]:
    found: dict[str, Number] = {}
    for phone_number_id in dict.fromkeys(ids):
        row = yield FetchOne("number_by_phone_number_id", {"phone_number_id": phone_number_id})
        if row is not None:
            found[phone_number_id] = _number(row, keyring)
    return found


def number_by_id(tenant_id: str, number_id: str, keyring: Keyring) -> Operation[Number | None]:
    row = yield FetchOne("number_by_id", {"id": number_id, "tenant_id": tenant_id})
    return None if row is None else _number(row, keyring)


def numbers_of_tenant(tenant_id: str, keyring: Keyring) -> Operation[list[Number]]:
    rows = yield FetchAll("numbers_of_tenant", {"tenant_id": tenant_id})
    return [_number(r, keyring) for r in rows]


def numbers_by_verify_token(token: str, keyring: Keyring) -> Operation[list[Number]]:
    """Found by the token's SHA-256 (the token itself is stored encrypted)."""
    rows = yield FetchAll(
        "numbers_by_verify_token", {"verify_token_hash": hash_verify_token(token)}
    )
    return [_number(r, keyring) for r in rows]


# --- destinations ----------------------------------------------------------------------


def _destination(row: Row, keyring: Keyring, prefix: str = "") -> Destination:
    """A destinations row (or its ``prefix``ed columns), its secret decrypted."""
    return Destination(
        id=row[prefix + "id"],
        tenant_id=row[prefix + "tenant_id"],
        number_id=row[prefix + "number_id"],
        url=row[prefix + "url"],
        secret=keyring.decrypt(row[prefix + "secret"]),
        label=row[prefix + "label"],
        format=row[prefix + "format"],
        timeout_s=row[prefix + "timeout_s"],
        retry_schedule=tuple(orjson.loads(row[prefix + "retry_schedule"])),
        enabled=bool(row[prefix + "enabled"]),
        disabled_reason=row[prefix + "disabled_reason"],
        created_at=row[prefix + "created_at"],
        method=row[prefix + "method"],
        events=tuple(orjson.loads(row[prefix + "events"])),
        activation_id=row[prefix + "activation_id"],
        app_id=row[prefix + "app_id"],
        **destination_options(row, keyring, prefix),
    )


def destination_params(d: Destination, now: float, keyring: Keyring) -> dict[str, Any]:
    return {
        "id": d.id,
        "tenant_id": d.tenant_id,
        "number_id": d.number_id,
        "url": d.url,
        "secret": keyring.encrypt(d.secret),
        "label": d.label,
        "format": d.format,
        "method": d.method,
        "events": _json(list(d.events)),
        "timeout_s": d.timeout_s,
        "retry_schedule": _json(list(d.retry_schedule)),
        "activation_id": d.activation_id,
        "app_id": d.app_id,
        "now": now,
    }


def destination_by_id(
    tenant_id: str, destination_id: str, keyring: Keyring
) -> Operation[Destination | None]:
    row = yield FetchOne("destination_by_id", {"id": destination_id, "tenant_id": tenant_id})
    return None if row is None else _destination(row, keyring)


def destinations_of_tenant(tenant_id: str, keyring: Keyring) -> Operation[list[Destination]]:
    rows = yield FetchAll("destinations_of_tenant", {"tenant_id": tenant_id})
    return [_destination(r, keyring) for r in rows]


def delete_destination(tenant_id: str, destination_id: str, now: float) -> Operation[bool]:
    changed = yield Execute(
        "delete_destination", {"id": destination_id, "tenant_id": tenant_id, "now": now}
    )
    if changed:
        yield Execute(
            "fail_deliveries_of_destination",
            {"destination_id": destination_id, "reason": "destination_deleted", "now": now},
        )
    return bool(changed)


# --- ingest: one Meta POST, one transaction ----------------------------------------------


def ingest(
    numbers: Mapping[str, Number],
    batch: IngestBatch,
    now: float,
    media_ttl_s: float,
) -> Operation[IngestOutcome]:
    """Store messages (deduplicated on wamid), their conversations, events and one
    delivery per destination; store statuses and apply them; keep unknown changes raw.
    A pool number's messages route by activation; codes and strangers get notices."""
    stored = duplicates = deliveries = 0
    targets: Targets = {}
    tenants: set[str] = set()
    queued: list[NoticeKind] = []
    for msg in batch.messages:
        number = numbers[msg.phone_number_id]
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
            hold = yield from _media_job(
                number, tenant_id, msg.type, msg.item, message["seq"], now, media_ttl_s
            )
        made = yield from _publish(
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
            targets, number, status.wamid, status.status, status.timestamp, status.item, now
        )
        deliveries += made
        if made and owner is not None:
            tenants.add(owner)
    for update in batch.unhandled:
        known = numbers.get(update.phone_number_id or "")
        number_id = known.id if known is not None else None
        yield Execute(
            "insert_unhandled",
            {
                "number_id": number_id,
                "field": update.field,
                "value": _json(update.value),
                "now": now,
            },
        )
    return IngestOutcome(
        stored=stored,
        duplicates=duplicates,
        statuses=len(batch.statuses),
        deliveries=deliveries,
        tenants=frozenset(tenants),
        notices=len(queued),
    )


def _route(number: Number, wa_id: str) -> Operation[tuple[str, str | None] | None]:
    """(tenant, activation) an inbound message from ``wa_id`` belongs to; None: nobody's.
    A dedicated number's messages are its owner's; a pool number's go to the tenant that
    activated the sender on it (``activation_ops.route_pool_message`` handles codes too)."""
    if number.tenant_id is not None:
        return number.tenant_id, None
    row = yield FetchOne("active_activation", {"number_id": number.id, "wa_id": wa_id})
    return None if row is None else (row["tenant_id"], row["id"])


Targets = dict[tuple[str, str, str | None], list[tuple[str, tuple[str, ...]]]]
"""Destinations per (tenant, number, activation), looked up once per transaction: (id,
event types)."""


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


def _publish(
    targets: Targets,
    number: Number,
    tenant_id: str,
    event_type: str,
    conversation_id: str,
    message_seq: int,
    data: JsonObject | None,
    now: float,
    hold: str | None = None,
    activation_id: str | None = None,
) -> Operation[int]:
    """One event, and one delivery to each destination subscribed to its type (a destination
    scoped to an activation only gets that activation's conversations)."""
    event = yield FetchOne(
        "insert_event",
        {
            "id": new_id("evt"),
            "tenant_id": tenant_id,
            "type": event_type,
            "conversation_id": conversation_id,
            "message_seq": message_seq,
            "data": _json(data),
            "now": now,
        },
    )
    key = (tenant_id, number.id, activation_id)
    if key not in targets:
        rows = yield FetchAll(
            "destinations_for_number",
            {
                "tenant_id": tenant_id,
                "number_id": number.id,
                "activation_id": activation_id,
                "app_id": number.app_id,
            },
        )
        targets[key] = [(r["id"], tuple(orjson.loads(r["events"]))) for r in rows]
    subscribed = [d for d, events in targets[key] if event_type in events]
    if subscribed:
        yield ExecuteMany(
            "insert_delivery",
            [
                {
                    "id": new_id("dlv"),
                    "tenant_id": tenant_id,
                    "destination_id": destination_id,
                    "event_seq": event["seq"],
                    "conversation_id": conversation_id,
                    "hold": hold,
                    "now": now,
                }
                for destination_id in subscribed
            ],
        )
    return len(subscribed)


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
) -> Operation[tuple[int, str | None]]:
    """Move an outbound message forward to ``status`` and publish its event, if it moved.
    Returns the deliveries made and the tenant they are for."""
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
    event_type = OUT_EVENT_FOR_STATUS.get(status)
    if moved is None or event_type is None:
        return 0, None
    owner = yield FetchOne("conversation_tenant", {"id": moved["conversation_id"]})
    made = yield from _publish(
        targets,
        number,
        owner["tenant_id"],
        event_type.value,
        moved["conversation_id"],
        moved["seq"],
        item,
        now,
        activation_id=owner["activation_id"],
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
        made = yield from _publish(
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
    return str(conversation["id"]), made


def outbound_status(number_id: str, wamid: str) -> Operation[str | None]:
    row = yield FetchOne("outbound_status", {"number_id": number_id, "wamid": wamid})
    return None if row is None else str(row["status"])


# --- the outbox ------------------------------------------------------------------------


def release_leases(now: float) -> Operation[int]:
    released = yield Execute("release_leases", {"now": now})
    return int(released)


def claim_due(
    now: float, lease_until: float, limit: int, keyring: Keyring, paused: Sequence[str] = ()
) -> Operation[list[ClaimedDelivery]]:
    """``paused``: destinations this process's pacing has no room for now (pacing.py)."""
    claimed = yield FetchAll(
        "claim_due",
        {"now": now, "lease_until": lease_until, "limit": limit, "paused": list(paused)},
    )
    if not claimed:
        return []
    rows = yield FetchAll("claimed_details", {"seqs": [r["seq"] for r in claimed]})
    return [_claimed(r, keyring) for r in rows]


def _claimed(row: Row, keyring: Keyring) -> ClaimedDelivery:
    return ClaimedDelivery(
        id=DeliveryId(row["id"]),
        attempts=row["attempts"],
        created_at=row["created_at"],
        destination=_destination(row, keyring, "dst_"),
        event=MessageEvent(
            event_type=row["event_type"],
            number_id=row["number_id"] or "",
            display_phone_number=row["display_phone_number"] or "",
            phone_number_id=row["phone_number_id"] or "",
            waba_id=row["waba_id"] or "",
            conversation_id=row["conversation_id"] or "",
            # The activation's label (pool numbers), else the destination's.
            label=row["event_label"],
            item=orjson.loads(row["item"]) if row["item"] else {},
            contact=orjson.loads(row["contact"]) if row["contact"] else None,
            **event_data(row["event_type"], row["event_data"]),
            wa_id=row["wa_id"] or "",
            media=None if row["event_type"].startswith("message:out:") else media_info(row),
        ),
    )


def record_attempts(
    decisions: Sequence[tuple[AttemptDecision, str]],
    now: float,
    health: HealthUpdate | None = None,
) -> Operation[set[str]]:
    """Record each attempt and move its delivery on; ``str`` is the destination id.
    Two statements for the whole batch (executemany), whatever its size; then the
    destinations' ``health`` (destination_ops.apply_health), which may disable some. Returns
    the tenants whose destinations were disabled (they have new deliveries: the notices)."""
    attempts = []
    finishes = []
    for decision, _ in decisions:
        result = decision.result
        attempts.append(
            {
                "delivery_id": result.delivery_id,
                "started_at": result.started_at,
                "status_code": result.status_code,
                "latency_ms": result.latency_ms,
                "response_excerpt": result.response_excerpt,
                "error": result.error,
                "error_detail": result.error_detail,
                "channel": DeliveryMethod.WEBHOOK.value,
            }
        )
        if result.succeeded:
            state, due = DeliveryState.SUCCEEDED, now
        elif decision.next_attempt_at is None:
            state, due = DeliveryState.FAILED, now
        else:
            state, due = DeliveryState.PENDING, decision.next_attempt_at
        finishes.append(
            {
                "delivery_id": result.delivery_id,
                "state": state.value,
                "next_attempt_at": due,
                "status_code": result.status_code,
                "error": result.error,
                "offer_at": now if decision.offer_to_socket else None,
                "now": now,
            }
        )
    if attempts:
        # the attempt row first: it numbers itself from the delivery's total_attempts
        yield ExecuteMany("insert_attempt", attempts)
        yield ExecuteMany("finish_attempt", finishes)
    if health is None:
        return set()
    return (yield from apply_health(health, now))


# --- the socket queue --------------------------------------------------------------------


def claim_for_socket(
    tenant_id: str,
    owner: str,
    *,
    conversation_ids: Sequence[str] | None,
    since: float,
    now: float,
    lease_until: float,
    limit: int,
    app_id: str | None = None,
    keyring: Keyring,
) -> Operation[list[ClaimedDelivery]]:
    claimed = yield FetchAll(
        "claim_for_socket",
        {
            "tenant_id": tenant_id,
            "app_id": app_id,
            "owner": owner,
            "conversation_ids": None if conversation_ids is None else list(conversation_ids),
            "since": since,
            "now": now,
            "lease_until": lease_until,
            "limit": limit,
        },
    )
    if not claimed:
        return []
    rows = yield FetchAll("claimed_details", {"seqs": [r["seq"] for r in claimed]})
    return [_claimed(r, keyring) for r in rows]


def _socket_attempt(
    delivery_id: str, started_at: float, latency_ms: float, note: str, error: str | None
) -> dict[str, Any]:
    return {
        "delivery_id": delivery_id,
        "started_at": started_at,
        "status_code": None,
        "latency_ms": latency_ms,
        "response_excerpt": note,
        "error": error,
        "error_detail": None,
        "channel": DeliveryMethod.SOCKET.value,
    }


def finish_socket(done: Sequence[tuple[str, float, float, str]], now: float) -> Operation[None]:
    """Deliveries a socket wrote (or, with ack=1, acknowledged): (id, started, ms, note)."""
    if done:
        yield ExecuteMany("insert_attempt", [_socket_attempt(*d, None) for d in done])
        yield ExecuteMany("finish_socket", [{"delivery_id": d[0], "now": now} for d in done])


def release_socket(
    released: Sequence[tuple[str, float, float, str]], owner: str, now: float
) -> Operation[None]:
    """Sent but never acknowledged before the connection closed: due again now."""
    if released:
        yield ExecuteMany(
            "insert_attempt", [_socket_attempt(*r, "unacknowledged") for r in released]
        )
        yield ExecuteMany(
            "release_socket",
            [{"delivery_id": r[0], "owner": owner, "now": now} for r in released],
        )


def renew_socket_leases(
    delivery_ids: Sequence[str], owner: str, lease_until: float, now: float
) -> Operation[None]:
    if delivery_ids:
        yield ExecuteMany(
            "renew_socket_lease",
            [
                {"delivery_id": d, "owner": owner, "lease_until": lease_until, "now": now}
                for d in delivery_ids
            ],
        )


def drop_from_socket_queue(oldest: float, per_sender_cap: int, now: float) -> Operation[int]:
    """Retention (and the optional per-sender cap): dropped deliveries stay listed."""
    dropped = yield Execute("drop_expired_socket_queue", {"oldest": oldest, "now": now})
    if per_sender_cap > 0:
        dropped += yield Execute("drop_over_sender_cap", {"cap": per_sender_cap, "now": now})
    return int(dropped)


# --- media -----------------------------------------------------------------------------


def claim_media(
    now: float, lease_until: float, limit: int, keyring: Keyring
) -> Operation[list[MediaJob]]:
    claimed = yield FetchAll(
        "claim_media", {"now": now, "lease_until": lease_until, "limit": limit}
    )
    jobs = []
    for c in claimed:
        row = yield FetchOne("media_job", {"seq": c["seq"]})
        jobs.append(
            MediaJob(
                id=row["id"],
                tenant_id=row["tenant_id"],
                kind=row["kind"],
                graph_media_id=row["graph_media_id"],
                mime_type=row["mime_type"],
                sha256=row["sha256"],
                file_name=row["file_name"],
                graph_base_url=row["graph_base_url"],
                access_token=keyring.decrypt(row["access_token"]),
                attempts=row["attempts"],
            )
        )
    return jobs


def finish_media(
    media_id: str,
    *,
    ready: bool,
    blob_key: str | None,
    byte_size: int,
    mime_type: str | None,
    file_name: str | None,
    reason: str | None,
    now: float,
) -> Operation[None]:
    """The fetch is over (the file is stored, or unavailable): its deliveries may go."""
    yield Execute(
        "finish_media",
        {
            "id": media_id,
            "state": "ready" if ready else "unavailable",
            "reason": reason,
            "blob_key": blob_key,
            "byte_size": byte_size,
            "mime_type": mime_type,
            "file_name": file_name,
            "now": now,
        },
    )
    yield Execute("release_hold", {"hold": hold_for_media(media_id), "now": now})


def retry_media(media_id: str, next_attempt_at: float, reason: str, now: float) -> Operation[None]:
    yield Execute(
        "retry_media",
        {"id": media_id, "next_attempt_at": next_attempt_at, "reason": reason, "now": now},
    )


def add_media(record: MediaRecord, number_id: str | None, sha256: str) -> Operation[None]:
    """A file that is already in the blob store (state ready), owned by its tenant."""
    yield Execute(
        "insert_ready_media",
        {
            "id": record.id,
            "tenant_id": record.tenant_id,
            "number_id": number_id,
            "kind": record.kind,
            "blob_key": record.blob_key,
            "mime_type": record.mime_type,
            "file_name": record.file_name,
            "byte_size": record.byte_size,
            "sha256": sha256,
            "expires_at": record.expires_at,
            "now": record.created_at,
        },
    )


def media_by_id(tenant_id: str, media_id: str) -> Operation[MediaRecord | None]:
    row = yield FetchOne("media_by_id", {"id": media_id, "tenant_id": tenant_id})
    if row is None:
        return None
    return MediaRecord(
        id=row["id"],
        tenant_id=row["tenant_id"],
        kind=row["kind"],
        state=row["state"],
        reason=row["reason"],
        blob_key=row["blob_key"],
        mime_type=row["mime_type"],
        file_name=row["file_name"],
        byte_size=row["byte_size"],
        expires_at=row["expires_at"],
        created_at=row["created_at"],
    )


def expired_media(
    now: float, grace_s: float, max_retention_s: float, limit: int
) -> Operation[list[tuple[str, str | None]]]:
    rows = yield FetchAll(
        "expired_media",
        {
            "now": now,
            "grace_limit": now - grace_s,
            "hard_limit": now - max_retention_s,
            "limit": limit,
        },
    )
    return [(r["id"], r["blob_key"]) for r in rows]


def mark_media_purged(media_id: str, now: float) -> Operation[None]:
    yield Execute("mark_media_purged", {"id": media_id, "now": now})


# --- conversations ---------------------------------------------------------------------


def conversation_by_id(
    tenant_id: str, conversation_id: str, keyring: Keyring
) -> Operation[Conversation | None]:
    row = yield FetchOne("conversation_by_id", {"id": conversation_id, "tenant_id": tenant_id})
    if row is None:
        return None
    number = yield FetchOne(
        "number_by_id", {"id": row["number_id"], "tenant_id": row["number_tenant_id"]}
    )
    if number is None:  # its number was disconnected (deleted)
        return None
    return Conversation(
        id=row["id"],
        tenant_id=row["tenant_id"],
        number=_number(number, keyring),
        wa_id=row["wa_id"],
        contact_name=row["contact_name"],
        last_inbound_at=row["last_inbound_at"],
        activation_id=row["activation_id"],
        activation_state=row["activation_state"],
    )


def next_due_at() -> Operation[float | None]:
    row = yield FetchOne("next_due_at")
    return None if row is None or row["due"] is None else float(row["due"])


def count_active_deliveries() -> Operation[int]:
    row = yield FetchOne("count_active_deliveries")
    return int(row["n"])


# --- deliveries through the API ----------------------------------------------------------


def _delivery(row: Row) -> DeliveryRecord:
    return DeliveryRecord(
        id=row["id"],
        tenant_id=row["tenant_id"],
        destination_id=row["destination_id"],
        event_id=row["event_id"],
        event_type=row["event_type"],
        conversation_id=row["conversation_id"],
        message_wamid=row["wamid"],
        state=row["state"],
        attempts=row["total_attempts"],
        next_attempt_at=row["next_attempt_at"] if row["state"] == "pending" else None,
        created_at=row["created_at"],
        updated_at=row["updated_at"],
        last_status_code=row["last_status_code"],
        last_error=row["last_error"],
        method=row["method"],
        offered_to_socket=row["offered_to_socket_at"] is not None,
    )


def list_deliveries(
    tenant_id: str,
    *,
    state: str | None,
    destination_id: str | None,
    conversation_id: str | None,
    before_seq: int | None,
    limit: int,
    since: float | None = None,
    until: float | None = None,
) -> Operation[list[tuple[int, DeliveryRecord]]]:
    rows = yield FetchAll(
        "list_deliveries",
        {
            "tenant_id": tenant_id,
            "state": state,
            "destination_id": destination_id,
            "conversation_id": conversation_id,
            "since": since,
            "until": until,
            "before_seq": before_seq,
            "limit": limit,
        },
    )
    return [(r["seq"], _delivery(r)) for r in rows]


def delivery_with_attempts(
    tenant_id: str, delivery_id: str
) -> Operation[tuple[DeliveryRecord, list[AttemptRecord]] | None]:
    row = yield FetchOne("delivery_by_id", {"id": delivery_id, "tenant_id": tenant_id})
    if row is None:
        return None
    rows = yield FetchAll("attempts_of_delivery", {"delivery_seq": row["seq"]})
    attempts = [
        AttemptRecord(
            attempt=r["attempt"],
            started_at=r["started_at"],
            status_code=r["status_code"],
            latency_ms=r["latency_ms"],
            response_excerpt=r["response_excerpt"],
            error=r["error"],
            error_detail=r["error_detail"],
            channel=r["channel"],
        )
        for r in rows
    ]
    return _delivery(row), attempts


def resend_delivery(tenant_id: str, delivery_id: str, now: float) -> Operation[bool]:
    changed = yield Execute(
        "resend_delivery", {"id": delivery_id, "tenant_id": tenant_id, "now": now}
    )
    return bool(changed)
