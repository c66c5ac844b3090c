"""The socket queue: a tenant's socket deliveries, leased to their connections.

Generators of named queries, run by a connector (see base.py).
"""

from collections.abc import Sequence
from typing import Any

from wahooks.models import (
    DeliveryMethod,
    SocketClaim,
)
from wahooks.secrets import Keyring
from wahooks.store.base import Execute, ExecuteMany, FetchAll, Operation
from wahooks.store.delivery_ops import claimed_from_row


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
    copies_after: tuple[float, int] | None = None,
    copies_limit: int = 0,
) -> Operation[SocketClaim]:
    """Lease up to ``limit``; and with ``copies_after``, read in the same transaction what
    other pumps wrote since then, so a copy of a conversation's earlier delivery always
    comes before this pump's own next one (which it could lease only once that was done)."""
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
    copied: dict[int, float] = {}
    end: tuple[float, int] | None = None
    read = 0
    if copies_after is not None:
        found = yield FetchAll(
            "socket_copies",
            {
                "tenant_id": tenant_id,
                "app_id": app_id,
                "owner": owner,
                "after": copies_after[0],
                "after_seq": copies_after[1],
                "limit": copies_limit,
            },
        )
        copied = {int(r["seq"]): float(r["socket_sent_at"]) for r in found}
        read = len(found)
        if found:
            end = (float(found[-1]["socket_sent_at"]), int(found[-1]["seq"]))
    leased = [int(r["seq"]) for r in claimed]
    for seq in leased:  # written elsewhere before, and leased here again (a re-send)
        copied.pop(seq, None)
    seqs = leased + list(copied)
    if not seqs:
        return SocketClaim([], {}, end, read)
    rows = yield FetchAll("claimed_details", {"seqs": seqs})
    deliveries = [claimed_from_row(r, keyring) for r in rows]  # in seq order
    copies: dict[str, float] = {
        d.id: copied[int(r["seq"])]
        for d, r in zip(deliveries, rows, strict=True)
        if int(r["seq"]) in copied
    }
    return SocketClaim(deliveries, copies, end, read)


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


def finish_socket(
    done: Sequence[tuple[str, float, float, str]], owner: str, now: float
) -> Operation[None]:
    """Deliveries a socket of pump ``owner`` wrote (or, with ack=1, acknowledged):
    (id, started, ms, note)."""
    if done:
        yield ExecuteMany("insert_attempt", [_socket_attempt(*d, None) for d in done])
        yield ExecuteMany(
            "finish_socket", [{"delivery_id": d[0], "owner": owner, "now": now} for d in done]
        )


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
