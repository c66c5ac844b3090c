"""Destination options, secret rotation and health: operations (SQL in sql/destinations.sql).

Options (rate, in-flight, ordering) and the rotation's previous secret are written with the
destination's other fields, in the same transaction. Health is tracked where attempts are
recorded (``apply_health``, called by ``delivery_ops.record_attempts``, writes what
delivery/health.py decided); disabling happens in
that same transaction, with its ``destination:disabled`` event and deliveries, so a crash
can never leave a destination disabled without its notice.
"""

from collections.abc import Sequence
from typing import Any, TypedDict

import orjson

from wahooks.ids import new_id
from wahooks.models import (
    CHANGE_EVENTS,
    CONVERSATION_EVENTS,
    BrokerConfig,
    CircuitState,
    DeliveryMethod,
    Destination,
    EventType,
    FailureRun,
    HealthUpdate,
    JsonObject,
)
from wahooks.secrets import Keyring
from wahooks.store.alert_ops import destination_context, queue_alert, queue_failing_alert
from wahooks.store.base import Execute, ExecuteMany, FetchAll, FetchOne, Operation, Row
from wahooks.store.rows import json_text as _json
from wahooks.times import iso_time

DISABLED = EventType.DESTINATION_DISABLED.value
# Events whose data are facts of the gateway's or a change as Meta sent it, not a Meta
# status object.
GATEWAY_EVENTS = frozenset(
    {DISABLED, EventType.UNSUPPORTED.value}
    | {e.value for e in CHANGE_EVENTS}
    | {e.value for e in CONVERSATION_EVENTS}
)


def destination_options(row: Row, keyring: Keyring, prefix: str = "") -> dict[str, Any]:
    """The Destination fields of the options and health columns, from a row (the previous
    secret decrypted, as the model holds secrets in clear)."""
    max_in_flight = row[prefix + "max_in_flight"]
    return {
        "max_rate": row[prefix + "max_rate"],
        "max_in_flight": None if max_in_flight is None else int(max_in_flight),
        "ordered": bool(row[prefix + "ordered"]),
        "previous_secret": keyring.decrypt_optional(row[prefix + "previous_secret"]),
        "previous_secret_until": row[prefix + "previous_secret_until"],
        "consecutive_failures": int(row[prefix + "consecutive_failures"] or 0),
        "failing_since": row[prefix + "failing_since"],
        "disabled_at": row[prefix + "disabled_at"],
        "circuit_failures": int(row[prefix + "circuit_failures"] or 0),
        "circuit_open_until": row[prefix + "circuit_open_until"],
        "circuit_probes": int(row[prefix + "circuit_probes"] or 0),
    }


class EventData(TypedDict):
    status: JsonObject | None
    data: JsonObject | None


def event_data(event_type: str, raw: str | None) -> EventData:
    """An event's ``data`` column as MessageEvent fields: Meta's status object for outbound
    status events, the facts of a gateway event (destination:disabled) otherwise."""
    loaded = orjson.loads(raw) if raw else None
    if event_type in GATEWAY_EVENTS:
        return EventData(status=None, data=loaded)
    if isinstance(loaded, dict) and loaded.get("external") is True:
        # A status of a message sent elsewhere (change_ops): the status, and its number.
        return EventData(status=loaded.get("item"), data=loaded)
    return EventData(status=loaded, data=None)


def _options_params(d: Destination, keyring: Keyring) -> dict[str, Any]:
    return {
        "id": d.id,
        "tenant_id": d.tenant_id,
        "max_rate": d.max_rate,
        "max_in_flight": d.max_in_flight,
        "ordered": d.ordered,
        "previous_secret": keyring.encrypt_optional(d.previous_secret),
        "previous_secret_until": d.previous_secret_until,
    }


def create_destination(destination: Destination, keyring: Keyring) -> Operation[Destination]:
    """The destination with its options (rate, in-flight, ordering)."""

    params = destination_params(destination, destination.created_at, keyring)
    yield Execute("insert_destination", params)
    yield Execute("set_destination_options", _options_params(destination, keyring))
    return destination


def update_destination(
    destination: Destination, now: float, keyring: Keyring, *, reenabled: bool = False
) -> Operation[bool]:
    """Every field of ``destination``; ``reenabled``: it was disabled and is enabled now, so
    its health starts afresh and what it still has pending is due at once. False: no such
    destination."""

    params = destination_params(destination, now, keyring)
    params["enabled"] = destination.enabled
    params["disabled_reason"] = destination.disabled_reason
    was = yield FetchOne(
        "destination_ordered", {"id": destination.id, "tenant_id": destination.tenant_id}
    )
    if not (yield Execute("update_destination", params)):
        return False
    yield Execute("set_destination_options", _options_params(destination, keyring))
    if was is not None and bool(was["ordered"]) != destination.ordered:
        yield Execute(
            "recount_heads", {"destination_id": destination.id, "ordered": destination.ordered}
        )
    if reenabled:
        yield Execute(
            "reset_destination_health", {"id": destination.id, "tenant_id": destination.tenant_id}
        )
        yield Execute(
            "resume_deliveries_of_destination", {"destination_id": destination.id, "now": now}
        )
        if DISABLED not in destination.events:
            yield Execute(
                "drop_own_disabled_notices", {"destination_id": destination.id, "now": now}
            )
    return True


# --- health ------------------------------------------------------------------------------


def apply_health(update: HealthUpdate, now: float) -> Operation[set[str]]:
    """Write each destination's run of failures and disable those the update's policy
    judges by the counts just written (or that are gone). Returns the tenants that got new
    deliveries (the notices), for the caller to announce."""
    tenants: set[str] = set()
    for run in update.runs:
        row = None
        if run.reset:
            row = yield FetchOne(
                "reset_destination_failures",
                {"id": run.destination_id, "failures": run.failures, "since": run.since},
            )
        elif run.failures:
            row = yield FetchOne(
                "add_destination_failures",
                {"id": run.destination_id, "failures": run.failures, "since": run.since},
            )
        if update.alert_after_failures and row is not None and run.failures:
            failures = int(row["consecutive_failures"])
            before = 0 if run.reset else failures - run.failures
            if before < update.alert_after_failures <= failures:  # crossed now: once a run
                yield from queue_failing_alert(
                    run.destination_id, failures, row["failing_since"], now
                )
        circuit_open = yield from _move_circuit(update, run, now)
        reason = run.gone_reason
        if reason is None and row is not None:
            reason = update.disable_reason(
                row["consecutive_failures"], row["failing_since"], now, circuit_open
            )
        if reason is not None:
            tenant = yield from disable_destination(run.destination_id, reason, now)
            if tenant is not None:
                tenants.add(tenant)
    return tenants


def _move_circuit(update: HealthUpdate, run: FailureRun, now: float) -> Operation[bool]:
    """Count the run's failures on the destination's circuit and move it as the policy says
    (delivery/circuit.py). Returns whether the circuit is open afterwards."""
    if update.circuit_move is None or not (run.transient or run.answered or run.probe_failed):
        return False
    row = yield FetchOne(
        "count_circuit_failures",
        {"id": run.destination_id, "reset": int(run.answered), "failures": run.transient},
    )
    if row is None:
        return False
    state = CircuitState(
        failures=int(row["circuit_failures"]),
        open_until=row["circuit_open_until"],
        probes=int(row["circuit_probes"]),
    )
    move = update.circuit_move(run, state, now)
    if move is None:
        return state.open_until is not None
    yield Execute(
        "move_circuit",
        {"id": run.destination_id, "open_until": move.open_until, "probes": move.probes},
    )
    return move.open_until is not None


def disable_destination(destination_id: str, reason: str, now: float) -> Operation[str | None]:
    """Disable it and emit ``destination:disabled``: one delivery to each of the tenant's
    other destinations subscribed to it, and one to the tenant's sockets (a delivery of the
    disabled destination itself, which only the socket queue takes while it is disabled)
    unless a socket destination already gets it. Returns the tenant, or None if it was
    already disabled."""
    row = yield FetchOne(
        "auto_disable_destination", {"id": destination_id, "reason": reason, "now": now}
    )
    if row is None:
        return None
    tenant_id = str(row["tenant_id"])
    data: JsonObject = {
        "destinationId": destination_id,
        "url": row["url"] or None,
        "reason": reason,
        "failures": int(row["consecutive_failures"] or 0),
        "failingSince": iso_time(row["failing_since"]),
        "disabledAt": iso_time(now),
    }
    context = yield from destination_context(destination_id)
    yield from queue_alert(tenant_id, "destination_disabled", destination_id,
                           {**data, **context}, now)  # fmt: skip
    event = yield FetchOne(
        "insert_event",
        {
            "id": new_id("evt"),
            "tenant_id": tenant_id,
            "type": DISABLED,
            "conversation_id": None,
            "message_seq": None,
            "data": orjson.dumps(data).decode(),
            "entry_id": None,
            "now": now,
        },
    )
    others = yield FetchAll(
        "destinations_told_of_disabling", {"tenant_id": tenant_id, "id": destination_id}
    )
    subscribed = [r for r in others if DISABLED in orjson.loads(r["events"])]
    targets = [str(r["id"]) for r in subscribed]
    if not any(r["method"] == DeliveryMethod.SOCKET.value for r in subscribed):
        targets.append(destination_id)
    yield ExecuteMany(
        "insert_delivery",
        [
            {
                "id": new_id("dlv"),
                "tenant_id": tenant_id,
                "destination_id": target,
                "event_seq": event["seq"],
                "conversation_id": None,
                "hold": None,
                "now": now,
            }
            for target in targets
        ],
    )
    return tenant_id


def defer_deliveries(deferred: Sequence[tuple[str, float]], now: float) -> Operation[None]:
    """Leased deliveries pacing had no room for: pending again, each due after its delay."""
    if deferred:
        yield ExecuteMany(
            "defer_delivery",
            [{"delivery_id": d, "due": now + delay, "now": now} for d, delay in deferred],
        )


def destination_from_row(row: Row, keyring: Keyring, prefix: str = "") -> Destination:
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
        broker=_broker(keyring.decrypt_optional(row[prefix + "broker"])),
        **destination_options(row, keyring, prefix),
    )


def _broker(text: str | None) -> BrokerConfig | None:
    return None if text is None else BrokerConfig.from_json(orjson.loads(text))


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
        "broker": keyring.encrypt_optional(None if d.broker is None else _json(d.broker.as_json())),
        "now": now,
    }


def destination_by_id(
    tenant_id: str, destination_id: str, keyring: Keyring
) -> Operation[Destination | None]:
    row = yield FetchOne("destination_by_id", {"id": destination_id, "tenant_id": tenant_id})
    return None if row is None else destination_from_row(row, keyring)


def destinations_of_tenant(tenant_id: str, keyring: Keyring) -> Operation[list[Destination]]:
    rows = yield FetchAll("destinations_of_tenant", {"tenant_id": tenant_id})
    return [destination_from_row(r, keyring) for r in rows]


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
