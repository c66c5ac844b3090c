"""Destination options, secret rotation and health: operations (SQL in sql/destinations.sql).

Options (rate, in-flight, ordering) and the rotation's previous secret are written with the
destination's other fields, in the same transaction. Health is tracked where attempts are
recorded (``track_health``, called by ``operations.record_attempts``); disabling happens in
that same transaction, with its ``destination:disabled`` event and deliveries, so a crash
can never leave a destination disabled without its notice.
"""

from collections.abc import Collection, Sequence
from typing import Any, TypedDict

import orjson

from wahooks.delivery.health import HealthPolicy, gone_reason, iso_time, outcome
from wahooks.ids import new_id
from wahooks.models import AttemptDecision, DeliveryMethod, Destination, EventType, JsonObject
from wahooks.secrets import Keyring
from wahooks.store.base import Execute, ExecuteMany, FetchAll, FetchOne, Operation, Row

DISABLED = EventType.DESTINATION_DISABLED.value


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
    }


class EventData(TypedDict):
    status: JsonObject | None
    data: JsonObject | None


def event_data(event_type: str, raw: str | None) -> EventData:
    """An event's ``data`` column as MessageEvent fields: Meta's status object for outbound
    status events, the facts of a gateway event (destination:disabled) otherwise."""
    loaded = orjson.loads(raw) if raw else None
    if event_type == DISABLED:
        return EventData(status=None, data=loaded)
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
    from wahooks.store import operations as ops  # operations imports this module

    yield from ops.create_destination(destination, keyring)
    yield Execute("set_destination_options", _options_params(destination, keyring))
    return destination


def save_destination(
    destination: Destination, now: float, keyring: Keyring, *, reenabled: bool
) -> Operation[bool]:
    """Every field of ``destination``; ``reenabled``: it was disabled and is enabled now, so
    its health starts afresh and what it still has pending is due at once."""
    from wahooks.store import operations as ops

    changed = yield from ops.update_destination(destination, now, keyring)
    if not changed:
        return False
    yield Execute("set_destination_options", _options_params(destination, keyring))
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


def track_health(
    decisions: Sequence[tuple[AttemptDecision, str]],
    now: float,
    policy: HealthPolicy,
    healthy: Collection[str] = (),
) -> Operation[set[str]]:
    """Count each destination's run of failed attempts (a success ends it) and disable the
    destinations that answered 410 or failed too long. ``healthy``: destinations that had no
    failures when their deliveries were claimed; only successes for them need no query (the
    hot path). Returns the tenants that got new deliveries (the notices), for the caller to
    announce."""
    by_destination: dict[str, list[AttemptDecision]] = {}
    for decision, destination_id in decisions:
        by_destination.setdefault(destination_id, []).append(decision)
    tenants: set[str] = set()
    for destination_id, items in by_destination.items():
        runs = sorted(
            (d.result.started_at, ok) for d in items if (ok := outcome(d.result)) is not None
        )
        row = None
        if destination_id in healthy and all(ok for _, ok in runs):
            pass  # nothing to count, nothing to reset
        elif any(ok for _, ok in runs):
            last = max(i for i, (_, ok) in enumerate(runs) if ok)
            trailing = runs[last + 1 :]
            row = yield FetchOne(
                "reset_destination_failures",
                {
                    "id": destination_id,
                    "failures": len(trailing),
                    "since": trailing[0][0] if trailing else None,
                },
            )
        elif runs:
            row = yield FetchOne(
                "add_destination_failures",
                {"id": destination_id, "failures": len(runs), "since": runs[0][0]},
            )
        gone = next((d for d in items if d.disable_destination), None)
        reason = None
        if gone is not None:
            reason = gone_reason(gone.result.status_code)
        elif row is not None and policy.trips(
            row["consecutive_failures"], row["failing_since"], now
        ):
            reason = policy.reason(row["consecutive_failures"], row["failing_since"], now)
        if reason is not None:
            tenant = yield from disable_destination(destination_id, reason, now)
            if tenant is not None:
                tenants.add(tenant)
    return tenants


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
    event = yield FetchOne(
        "insert_event",
        {
            "id": new_id("evt"),
            "tenant_id": tenant_id,
            "type": DISABLED,
            "conversation_id": None,
            "message_seq": None,
            "data": orjson.dumps(data).decode(),
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
