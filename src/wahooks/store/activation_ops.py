"""Pool-number activations, as store operations (generators of named queries; see
base.py): the tenant's side (codes, listing, labels, deactivation) and the ingest's
side (a sender's code binds them; everyone else on a pool number gets a notice, not a route).
"""

from dataclasses import dataclass

from wahooks.errors import TooManyPending
from wahooks.models import CodeCandidates, InboundMessage, NoticeKind, NoticeRules, Number
from wahooks.store.base import Execute, FetchAll, FetchOne, Operation, Row
from wahooks.store.identity_ops import store_inbound_message
from wahooks.store.rows import json_text as _json


@dataclass(frozen=True, slots=True, kw_only=True)
class Activation:
    """A tenant's activation of a pool number, as the API shows it (never the code)."""

    id: str
    tenant_id: str
    number_id: str
    display_phone_number: str
    state: str  # pending, active, deactivated, expired (a pending code past its expiry)
    label: str | None
    wa_id: str | None
    conversation_id: str | None
    code_expires_at: float
    activated_at: float | None
    deactivated_at: float | None
    created_at: float
    updated_at: float


def _activation(row: Row) -> Activation:
    return Activation(
        id=row["id"],
        tenant_id=row["tenant_id"],
        number_id=row["number_id"],
        display_phone_number=row["display_phone_number"],
        state=row["shown_state"],
        label=row["label"],
        wa_id=row["wa_id"],
        conversation_id=row["conversation_id"] if row["wa_id"] is not None else None,
        code_expires_at=row["code_expires_at"],
        activated_at=row["activated_at"],
        deactivated_at=row["deactivated_at"],
        created_at=row["created_at"],
        updated_at=row["updated_at"],
    )


# --- the tenant's side ------------------------------------------------------------------


def create_activation(
    activation_id: str,
    tenant_id: str,
    number_id: str,
    hashed_code: str,
    label: str | None,
    *,
    now: float,
    ttl_s: float,
    max_pending: int,
) -> Operation[Activation]:
    """A pending activation holding ``hashed_code``; Duplicate if this number has had that
    code before (the caller draws another)."""
    pending = yield FetchOne("count_pending_activations", {"tenant_id": tenant_id, "now": now})
    if int(pending["n"]) >= max_pending:
        raise TooManyPending(f"{pending['n']} codes are pending")
    yield Execute(
        "insert_activation",
        {
            "id": activation_id,
            "tenant_id": tenant_id,
            "number_id": number_id,
            "code_hash": hashed_code,
            "code_expires_at": now + ttl_s,
            "label": label,
            "now": now,
        },
    )
    row = yield FetchOne(
        "activation_by_id", {"id": activation_id, "tenant_id": tenant_id, "now": now}
    )
    return _activation(row)


def activation_by_id(
    tenant_id: str, activation_id: str, now: float
) -> Operation[Activation | None]:
    row = yield FetchOne(
        "activation_by_id", {"id": activation_id, "tenant_id": tenant_id, "now": now}
    )
    return None if row is None else _activation(row)


def list_activations(
    tenant_id: str, *, state: str | None, number_id: str | None, limit: int, now: float
) -> Operation[list[Activation]]:
    rows = yield FetchAll(
        "list_activations",
        {
            "tenant_id": tenant_id,
            "state": state,
            "number_id": number_id,
            "limit": limit,
            "now": now,
        },
    )
    return [_activation(r) for r in rows]


def set_activation_label(
    tenant_id: str, activation_id: str, label: str | None, now: float
) -> Operation[Activation | None]:
    changed = yield Execute(
        "update_activation_label",
        {"id": activation_id, "tenant_id": tenant_id, "label": label, "now": now},
    )
    if not changed:
        return None
    return (yield from activation_by_id(tenant_id, activation_id, now))


def deactivate_activation(
    tenant_id: str, activation_id: str, now: float
) -> Operation[Activation | None]:
    changed = yield Execute(
        "deactivate_activation", {"id": activation_id, "tenant_id": tenant_id, "now": now}
    )
    if not changed:
        return None
    return (yield from activation_by_id(tenant_id, activation_id, now))


# --- the ingest's side --------------------------------------------------------------------


def route_pool_message(
    number: Number,
    msg: InboundMessage,
    codes: CodeCandidates | None,
    now: float,
    policy: NoticeRules,
    queued: list[NoticeKind],
) -> Operation[tuple[str, str] | None]:
    """(tenant, activation) a pool number's message goes to; None: to nobody.

    A text carrying one of this number's activation codes is an activation attempt, never a
    message for anyone: it binds its sender, or is refused, and is answered by a notice
    (appended to ``queued``). Other messages go to the tenant the sender is activated for;
    without one they are kept for the operator and answered (rate-limited). ``codes``: the
    text's code candidates (None: not a text)."""
    active = yield FetchOne(
        "active_activation",
        {"number_id": number.id, "wa_id": msg.from_wa_id, "user_id": msg.user_id},
    )
    if codes is not None:
        for hashed in codes.hashes:
            code = yield FetchOne(
                "activation_by_code", {"number_id": number.id, "code_hash": hashed}
            )
            if code is not None:
                yield from _code_message(number, msg, code, active, now, policy, queued)
                return None
    if active is not None:
        return str(active["tenant_id"]), str(active["id"])
    yield from _keep_unrouted(number, msg, now)
    if codes is not None and codes.only_a_code:
        kind = NoticeKind.CODE_UNKNOWN
    else:
        last = yield FetchOne(
            "last_activation_of_sender", {"number_id": number.id, "wa_id": msg.from_wa_id}
        )
        kind = NoticeKind.DEACTIVATED if last is not None else NoticeKind.NOT_ACTIVATED
    yield from _notice(number, msg.from_wa_id, kind, now, policy, queued)
    return None


def _code_message(
    number: Number,
    msg: InboundMessage,
    code: Row,
    active: Row | None,
    now: float,
    policy: NoticeRules,
    queued: list[NoticeKind],
) -> Operation[None]:
    seen = yield FetchOne("message_on_number", {"number_id": number.id, "wamid": msg.wamid})
    if seen is not None:
        return  # Meta redelivered the message that activated the sender: answered already
    sender = msg.from_wa_id
    kind: NoticeKind
    if code["state"] == "pending" and code["code_expires_at"] <= now:
        yield Execute("expire_activation", {"id": code["id"], "now": now})
        kind = NoticeKind.CODE_EXPIRED
    elif code["state"] == "expired":
        kind = NoticeKind.CODE_EXPIRED
    elif code["state"] == "active" and code["wa_id"] == sender:
        kind = NoticeKind.ALREADY_ACTIVE
    elif code["state"] != "pending":
        kind = NoticeKind.CODE_USED
    elif active is not None:
        # One tenant per sender per number: a second code never moves or doubles the route.
        same = active["tenant_id"] == code["tenant_id"]
        kind = NoticeKind.ALREADY_ACTIVE if same else NoticeKind.TAKEN
    else:
        bound = yield Execute(
            "bind_activation",
            {"id": code["id"], "wa_id": sender, "user_id": msg.user_id, "now": now},
        )
        if bound:
            yield from _store_code_message(
                number, msg, str(code["tenant_id"]), str(code["id"]), now
            )
            yield from _notice(number, sender, NoticeKind.ACTIVATED, now, policy, queued)
            return
        # Another process bound this code to someone else since we read it (PostgreSQL).
        kind = NoticeKind.CODE_USED
    yield from _keep_unrouted(number, msg, now)
    yield from _notice(number, sender, kind, now, policy, queued)


def _store_code_message(
    number: Number, msg: InboundMessage, tenant_id: str, activation_id: str, now: float
) -> Operation[None]:
    """The activating message starts the tenant's conversation (its 24-hour window opens,
    so the tenant may greet the user), stored without events: it is delivered to nobody."""
    yield from store_inbound_message(number, tenant_id, activation_id, msg, now)


def _keep_unrouted(number: Number, msg: InboundMessage, now: float) -> Operation[None]:
    """A pool number's message delivered to nobody, kept for the operator to see."""
    yield Execute(
        "insert_unhandled",
        {
            "number_id": number.id,
            "field": "unrouted_message",
            "value": _json({"contacts": [msg.contact] if msg.contact else [], "message": msg.item}),
            "now": now,
        },
    )


def _notice(
    number: Number,
    wa_id: str,
    kind: NoticeKind,
    now: float,
    policy: NoticeRules,
    queued: list[NoticeKind],
) -> Operation[None]:
    """Queue a reply to ``wa_id``, unless this kind was sent them enough this period."""
    limit = policy.limits[kind]
    if limit is not None:
        recent = yield FetchOne(
            "count_recent_notices",
            {
                "number_id": number.id,
                "wa_id": wa_id,
                "kind": kind.value,
                "since": now - policy.interval_s,
            },
        )
        if int(recent["n"]) >= limit:
            return
    yield Execute(
        "insert_notice",
        {
            "number_id": number.id,
            "wa_id": wa_id,
            "kind": kind.value,
            "text": policy.texts[kind],
            "now": now,
        },
    )
    queued.append(kind)
