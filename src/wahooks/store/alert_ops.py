"""Alerts: conditions to tell people of (SQL in sql/alerts.sql), queued in the transaction
that raised them so a crash cannot lose one; sent by delivery/alerts.py.

One row per channel (ALERT_CHANNELS): the e-mail, the operator's webhook and the tenant's
webhook are each sent, retried and suppressed on their own, so one that fails never makes
another arrive twice. A channel with nowhere to go is recorded as skipped."""

import orjson

from wahooks.ids import new_id
from wahooks.models import Alert, JsonObject
from wahooks.secrets import Keyring
from wahooks.store.base import Execute, ExecuteMany, FetchAll, FetchOne, Operation
from wahooks.store.rows import json_text as _json
from wahooks.times import iso_time

ALERT_CHANNELS = ("mail", "operator_webhook", "tenant_webhook")


def queue_alert(
    tenant_id: str, kind: str, subject: str, data: JsonObject, now: float
) -> Operation[None]:
    yield ExecuteMany(
        "insert_alert",
        [
            {"id": new_id("alr"), "tenant_id": tenant_id, "kind": kind, "subject": subject,
             "data": _json(data), "now": now, "channel": channel}
            for channel in ALERT_CHANNELS
        ],
    )  # fmt: skip


def destination_context(destination_id: str) -> Operation[JsonObject]:
    """What an alert about a destination says besides its own fields: deliveries waiting,
    the last error."""
    waiting = yield FetchOne("pending_of_destination", {"destination_id": destination_id})
    last = yield FetchOne("last_error_of_destination", {"destination_id": destination_id})
    return {"pending": int(waiting["n"]), "lastError": None if last is None else last["e"]}


def queue_failing_alert(
    destination_id: str, failures: int, failing_since: float | None, now: float
) -> Operation[None]:
    """The destination has failed ``failures`` attempts in a row (the threshold, crossed
    in this transaction: once per run of failures)."""
    row = yield FetchOne("destination_of_alert", {"id": destination_id})
    if row is None:
        return
    context = yield from destination_context(destination_id)
    data: JsonObject = {
        "destinationId": destination_id,
        "url": row["url"] or None,
        "failures": failures,
        "failingSince": iso_time(failing_since),
        **context,
    }
    yield from queue_alert(str(row["tenant_id"]), "destination_failing", destination_id, data, now)


def claim_alerts(
    now: float, lease_until: float, limit: int, keyring: Keyring
) -> Operation[list[Alert]]:
    claimed = yield FetchAll(
        "claim_alerts", {"now": now, "lease_until": lease_until, "limit": limit}
    )
    alerts = []
    for row in sorted(claimed, key=lambda r: int(r["seq"])):
        found = yield FetchOne("alert_of_seq", {"seq": row["seq"]})
        alerts.append(
            Alert(
                id=found["id"], tenant_id=found["tenant_id"], tenant_name=found["tenant_name"],
                tenant_email=found["alert_email"], kind=found["kind"],
                subject=found["subject"], data=orjson.loads(found["data"]),
                attempts=int(found["attempts"]), created_at=float(found["created_at"]),
                channel=found["channel"], tenant_webhook_url=found["alert_webhook_url"],
                tenant_webhook_secret=keyring.decrypt_optional(found["alert_webhook_secret"]),
            )
        )  # fmt: skip
    return alerts


def sent_since(alert: Alert, since: float) -> Operation[bool]:
    row = yield FetchOne(
        "alert_sent_since",
        {
            "kind": alert.kind,
            "subject": alert.subject,
            "channel": alert.channel,
            "since": since,
            "id": alert.id,
        },
    )
    return row is not None


def finish_alert(alert_id: str, state: str, error: str | None, now: float) -> Operation[None]:
    yield Execute("finish_alert", {"id": alert_id, "state": state, "error": error, "now": now})


def retry_alert(alert_id: str, next_at: float, error: str) -> Operation[None]:
    yield Execute("retry_alert", {"id": alert_id, "next_at": next_at, "error": error})


def set_alert_email(tenant_id: str, email: str | None) -> Operation[bool]:
    """False: no such tenant."""
    changed = yield Execute("set_tenant_alert_email", {"id": tenant_id, "alert_email": email})
    return bool(changed)


def set_alert_webhook(
    tenant_id: str, url: str | None, secret: str | None, keyring: Keyring
) -> Operation[bool]:
    """False: no such tenant."""
    params = {"id": tenant_id, "url": url, "secret": keyring.encrypt_optional(secret)}
    changed = yield Execute("set_tenant_alert_webhook", params)
    return bool(changed)
