"""The outbox: claiming due deliveries, recording attempts, and deliveries as the API
lists, shows and re-sends them.

Generators of named queries, run by a connector (see base.py).
"""

from collections.abc import Sequence

import orjson

from wahooks.models import (
    AttemptDecision,
    AttemptRecord,
    ClaimedDelivery,
    DeliveryId,
    DeliveryMethod,
    DeliveryRecord,
    DeliveryState,
    HealthUpdate,
    JsonObject,
    MessageEvent,
    QueueFigures,
)
from wahooks.secrets import Keyring
from wahooks.store.base import Execute, ExecuteMany, FetchAll, FetchOne, Operation, Row
from wahooks.store.convs_ops import media_info
from wahooks.store.destination_ops import apply_health, destination_from_row, event_data


def release_leases(now: float) -> Operation[int]:
    released = yield Execute("release_leases", {"now": now})
    return int(released)


def claim_due(
    now: float, lease_until: float, limit: int, keyring: Keyring, paused: Sequence[str] = ()
) -> Operation[list[ClaimedDelivery]]:
    """``paused``: destinations this process's pacing has no room for now (pacing.py).
    First one probe of each destination whose circuit's wait is over (delivery/circuit.py),
    then what is due of destinations whose circuit is closed."""
    params = {"now": now, "lease_until": lease_until, "paused": list(paused)}
    probes: set[int] = set()
    for destination in (yield FetchAll("take_probes", params)):
        probe = yield FetchAll("claim_due", {**params, "limit": 1, "probe": destination["id"]})
        if probe:
            probes.add(probe[0]["seq"])
        else:
            yield Execute("idle_circuit", {"id": destination["id"]})
    claimed = yield FetchAll("claim_due", {**params, "limit": limit - len(probes), "probe": None})
    seqs = [r["seq"] for r in claimed] + sorted(probes)
    if not seqs:
        return []
    rows = yield FetchAll("claimed_details", {"seqs": seqs})
    return [claimed_from_row(r, keyring, probe=r["seq"] in probes) for r in rows]


def _contact(row: Row) -> JsonObject | None:
    """Meta's contact object of the message; for an outbound one with no inbound contact
    in its conversation yet, one built from the conversation (bots need one to parse it)."""
    if row["contact"]:
        contact: JsonObject = orjson.loads(row["contact"])
        return contact
    if row["message_direction"] != "out":
        return None
    if row["conversation_contact_name"] is None:
        return {"wa_id": row["wa_id"]}
    return {"profile": {"name": row["conversation_contact_name"]}, "wa_id": row["wa_id"]}


def claimed_from_row(row: Row, keyring: Keyring, *, probe: bool = False) -> ClaimedDelivery:
    found = event_data(row["event_type"], row["event_data"])
    # An event with no message of ours (a change, a status sent elsewhere) names its number
    # in its data (change_ops.number_data).
    about = found["data"] or {}
    return ClaimedDelivery(
        id=DeliveryId(row["id"]),
        attempts=row["attempts"],
        total_attempts=row["total_attempts"],
        retries_in_place=row["retries_in_place"],
        probe=probe,
        created_at=row["created_at"],
        destination=destination_from_row(row, keyring, "dst_"),
        event=MessageEvent(
            event_type=row["event_type"],
            number_id=row["number_id"] or str(about.get("numberId") or ""),
            display_phone_number=row["display_phone_number"]
            or str(about.get("displayPhoneNumber") or ""),
            phone_number_id=row["phone_number_id"] or str(about.get("phoneNumberId") or ""),
            waba_id=row["waba_id"] or str(about.get("wabaId") or ""),
            conversation_id=row["conversation_id"] or "",
            # The activation's label (pool numbers), else the destination's.
            label=row["event_label"],
            item=orjson.loads(row["item"]) if row["item"] else {},
            contact=_contact(row),
            **found,
            wa_id=row["wa_id"] or "",
            entry_id=row["event_entry_id"],
            media=None if row["event_type"].startswith("message:out:") else media_info(row),
        ),
    )


def record_and_claim(
    decisions: Sequence[tuple[AttemptDecision, str]],
    now: float,
    health: HealthUpdate | None,
    claim: Operation[list[ClaimedDelivery]] | None,
) -> Operation[tuple[set[str], list[ClaimedDelivery]]]:
    """``record_attempts``, then ``claim`` (a ``claim_due``) after it in one transaction."""
    disabled = yield from record_attempts(decisions, now, health)
    claimed = [] if claim is None else (yield from claim)
    return disabled, claimed


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
                "advance": int(decision.advance),
                "in_place": int(decision.in_place),
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


def record_reply_failure(
    delivery_id: str, attempt: int, started_at: float, latency_ms: float, detail: str
) -> Operation[None]:
    """A reply the receiver asked for that could not be sent, beside the attempt whose
    answer carried it (channel ``reply``)."""
    yield Execute(
        "insert_reply_attempt",
        {
            "delivery_id": delivery_id,
            "attempt": attempt,
            "started_at": started_at,
            "latency_ms": latency_ms,
            "error": REPLY_FAILED,
            "error_detail": detail,
        },
    )


REPLY_FAILED = "reply_failed"


def _delivery(row: Row) -> DeliveryRecord:
    return DeliveryRecord(
        id=row["id"],
        tenant_id=row["tenant_id"],
        destination_id=row["destination_id"],
        event_id=row["event_id"],
        event_type=row["event_type"],
        conversation_id=row["conversation_id"] or row["event_conversation_id"],
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
    # One conversation's: its own query, on its index (see sql/core.sql).
    name = "list_deliveries" if conversation_id is None else "list_deliveries_of_conversation"
    rows = yield FetchAll(
        name,
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


def queue_figures(now: float) -> Operation[QueueFigures]:
    """The queue for /metrics: four aggregate reads, whatever the queue's size (indexes on
    state serve the pending ones; the others count what the API keeps)."""
    states = yield FetchAll("deliveries_by_state")
    oldest = yield FetchOne("oldest_pending_delivery")
    health = yield FetchOne("destination_health_counts")
    media = yield FetchAll("media_by_state")
    first = None if oldest is None else oldest["oldest"]
    return QueueFigures(
        deliveries_by_state={r["state"]: int(r["n"]) for r in states},
        oldest_pending_age_s=0.0 if first is None else max(0.0, now - float(first)),
        disabled_destinations=0 if health is None else int(health["disabled"] or 0),
        failing_destinations=0 if health is None else int(health["failing"] or 0),
        media_by_state={r["state"]: int(r["n"]) for r in media},
    )
