"""Alerts: conditions to tell people of by e-mail (SQL in sql/alerts.sql), queued in the
transaction that raised them so a crash cannot lose one; sent by delivery/alerts.py."""

import orjson

from wahooks.ids import new_id
from wahooks.models import Alert, JsonObject
from wahooks.store.base import Execute, FetchAll, FetchOne, Operation
from wahooks.store.rows import json_text as _json


def queue_alert(
    tenant_id: str, kind: str, subject: str, data: JsonObject, now: float
) -> Operation[None]:
    yield Execute(
        "insert_alert",
        {"id": new_id("alr"), "tenant_id": tenant_id, "kind": kind, "subject": subject,
         "data": _json(data), "now": now},
    )  # fmt: skip


def claim_alerts(now: float, lease_until: float, limit: int) -> Operation[list[Alert]]:
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
            )
        )  # fmt: skip
    return alerts


def sent_since(alert: Alert, since: float) -> Operation[bool]:
    row = yield FetchOne(
        "alert_sent_since",
        {"kind": alert.kind, "subject": alert.subject, "since": since, "id": alert.id},
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
