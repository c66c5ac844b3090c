"""A user's new ids: their conversations and pool activation follow them (the conversations
area; SQL in sql/conversations.sql). ingress/identity.py reads what the new ids are; this
records it, in the transaction that stores the update announcing them.

Every conversation of the number addressed by one of the user's known ids (its phone, or
its BSUID) takes the new ids, in every tenant: the same row, so its messages, labels,
notes, window, external user id and activation stay. The reply address becomes the new
phone number when Meta shares one; a conversation addressed by BSUID (the number
withheld) is addressed by the new BSUID; one addressed by phone keeps it.

A tenant may already have a conversation under the new ids (a message from them came
before the update). The oldest of the tenant's conversations is kept (the one the user had
before the change, normally) and the others are folded into it: their messages, notes,
events and deliveries move to it, its labels gain theirs, its times take the latest and
its name, external id and activation are filled from theirs where it has none. Nothing is
lost, and the dispatcher keeps delivering in seq order within the one conversation left.

The user's active activation on a pool number takes the new ids too, so their next message
reaches the same tenant. When another active activation of the number already holds the
new address (someone activated it since), that one stands and the old one stays as it is.
"""

from collections.abc import Sequence

import orjson

from wahooks.models import IdentityChange
from wahooks.store.base import Execute, FetchAll, FetchOne, Operation, Row
from wahooks.store.rows import json_text as _json


def follow_identity_change(
    number_id: str, change: IdentityChange, now: float
) -> Operation[list[str]]:
    """Move the user's conversations and activation on ``number_id`` to the new ids;
    returns the ids of the conversations that now hold them."""
    found: dict[str, Row] = {}
    for known in change.known_ids:
        rows = yield FetchAll("conversations_of_user_ids", {"number_id": number_id, "id": known})
        found.update((str(r["id"]), r) for r in rows)
    by_tenant: dict[str, list[Row]] = {}
    for row in found.values():
        by_tenant.setdefault(str(row["tenant_id"]), []).append(row)
    kept: list[str] = []
    for tenant_id, rows in sorted(by_tenant.items()):
        kept.append((yield from _move_tenants(number_id, tenant_id, rows, change)))
    for known in change.known_ids:
        yield from _move_activation(number_id, known, change, now)
    return kept


def _move_tenants(
    number_id: str, tenant_id: str, rows: Sequence[Row], change: IdentityChange
) -> Operation[str]:
    """One tenant's conversations of the user: the oldest keeps the new ids, the rest (and
    any already under the new ids) folded into it."""
    others: dict[str, Row] = {}
    for new_id in (change.new_wa_id, change.new_user_id):
        if new_id is None:
            continue
        rows_new = yield FetchAll(
            "tenant_conversations_of_user_ids",
            {"tenant_id": tenant_id, "number_id": number_id, "id": new_id},
        )
        others.update((str(r["id"]), r) for r in rows_new)
    everyone = {str(r["id"]): r for r in (*rows, *others.values())}
    ordered = sorted(everyone.values(), key=lambda r: (float(r["created_at"]), str(r["id"])))
    keep = ordered[0]
    for other in ordered[1:]:
        yield from _fold(keep, other)
    yield Execute(
        "readdress_conversation",
        {"id": keep["id"], "wa_id": _address(keep, change), "user_id": change.new_user_id},
    )
    return str(keep["id"])


def _address(row: Row, change: IdentityChange) -> str:
    if change.new_wa_id is not None:
        return change.new_wa_id
    if change.new_user_id is not None and row["wa_id"] == row["user_id"]:
        return change.new_user_id  # known only by BSUID: replies go to the new one
    return str(row["wa_id"])


def _fold(keep: Row, other: Row) -> Operation[None]:
    """``other``'s history into ``keep``; ``other`` removed."""
    ids = {"id": keep["id"], "other_id": other["id"]}
    for query in ("fold_messages", "fold_notes", "fold_events", "fold_deliveries"):
        yield Execute(query, ids)
    yield Execute("recount_conversation_heads", {"id": keep["id"]})
    labels = list(_labels(keep["labels"]))
    labels += [label for label in _labels(other["labels"]) if label not in labels]
    yield Execute("delete_folded_conversation", {"id": other["id"]})
    yield Execute(
        "absorb_conversation",
        {
            "id": keep["id"],
            "labels": _json(labels),
            "contact_name": other["contact_name"],
            "external_user_id": other["external_user_id"],
            "activation_id": other["activation_id"],
            "last_inbound_at": other["last_inbound_at"],
            "last_message_at": other["last_message_at"],
        },
    )


def _labels(raw: str | None) -> tuple[str, ...]:
    value = orjson.loads(raw) if raw else []
    return tuple(str(v) for v in value) if isinstance(value, list) else ()


def _move_activation(
    number_id: str, known: str, change: IdentityChange, now: float
) -> Operation[None]:
    row = yield FetchOne("active_activation_of_user", {"number_id": number_id, "id": known})
    if row is None:
        return
    address = _address(row, change)
    if address != row["wa_id"]:
        taken = yield FetchOne(
            "active_activation_at", {"number_id": number_id, "wa_id": address, "id": row["id"]}
        )
        if taken is not None:
            return  # another activation holds the new address: it stands
    yield Execute("readdress_activation", {"id": row["id"], "wa_id": address,
                                           "user_id": change.new_user_id, "now": now})  # fmt: skip
