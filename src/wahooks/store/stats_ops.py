"""The dashboard's aggregates (SQL in sql/stats.sql): counts per time bucket and the queues
now, read on indexes, whatever the number of deliveries kept."""

from wahooks.models import DeliveryCount, OpenQueue
from wahooks.store.base import FetchAll, Operation


def delivery_counts(
    tenant_id: str, since: float, until: float, width_s: float
) -> Operation[list[DeliveryCount]]:
    rows = yield FetchAll(
        "delivery_counts",
        {"tenant_id": tenant_id, "since": since, "until": until, "width": width_s},
    )
    return [
        DeliveryCount(
            destination_id=r["destination_id"],
            bucket=int(r["bucket"]),
            state=r["state"],
            latency_bin=None if r["latency_bin"] is None else int(r["latency_bin"]),
            done_bucket=None if r["done_bucket"] is None else int(r["done_bucket"]),
            count=int(r["n"]),
        )
        for r in rows
    ]


def open_queues(tenant_id: str) -> Operation[list[OpenQueue]]:
    rows = yield FetchAll("open_queues", {"tenant_id": tenant_id})
    return [
        OpenQueue(
            destination_id=r["destination_id"],
            depth=int(r["depth"]),
            oldest_created_at=float(r["oldest"]),
        )
        for r in rows
    ]
