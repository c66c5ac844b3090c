"""The notices outbox (replies to pool-number senders), as store operations: leased claims
like deliveries and media jobs, so a crashed sender's notices fall due again."""

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from wahooks.models import Number
from wahooks.store.base import Execute, FetchAll, FetchOne, Operation, Row


@dataclass(frozen=True, slots=True, kw_only=True)
class NoticeJob:
    """A notice leased to this process: send it, then finish or retry it."""

    seq: int
    number: Number
    wa_id: str
    kind: str
    text: str
    attempts: int  # tries already made


@dataclass(frozen=True, slots=True, kw_only=True)
class NoticeRecord:
    seq: int
    kind: str
    text: str
    state: str  # pending, sent, failed
    attempts: int
    last_error: str | None
    created_at: float


def claim_notices(
    now: float,
    lease_until: float,
    limit: int,
    number_of: Callable[[Row], Number],
    busy: Sequence[str] = (),
) -> Operation[list[NoticeJob]]:
    """Due notices, leased until ``lease_until``, none of the ``busy`` numbers' (at their
    share of the sends); ``number_of`` reads a numbers row (the store's reader, which knows
    how its secrets are kept)."""
    claimed = yield FetchAll(
        "claim_notices",
        {"now": now, "lease_until": lease_until, "limit": limit, "busy": list(busy)},
    )
    jobs: list[NoticeJob] = []
    numbers: dict[str, Number] = {}
    for c in sorted(claimed, key=lambda r: int(r["seq"])):
        row = yield FetchOne("notice_by_seq", {"seq": c["seq"]})
        number_id = str(row["number_id"])
        if number_id not in numbers:
            numbers[number_id] = number_of((yield FetchOne("number_of_notice", {"id": number_id})))
        jobs.append(
            NoticeJob(
                seq=int(row["seq"]),
                number=numbers[number_id],
                wa_id=row["wa_id"],
                kind=row["kind"],
                text=row["text"],
                attempts=int(row["attempts"]),
            )
        )
    return jobs


def finish_notice(seq: int, *, sent: bool, error: str | None, now: float) -> Operation[None]:
    yield Execute(
        "finish_notice",
        {"seq": seq, "state": "sent" if sent else "failed", "error": error, "now": now},
    )


def retry_notice(seq: int, next_attempt_at: float, error: str, now: float) -> Operation[None]:
    yield Execute(
        "retry_notice",
        {"seq": seq, "next_attempt_at": next_attempt_at, "error": error, "now": now},
    )


def notices_to(number_id: str, wa_id: str) -> Operation[list[NoticeRecord]]:
    rows = yield FetchAll("notices_to", {"number_id": number_id, "wa_id": wa_id})
    return [
        NoticeRecord(
            seq=int(r["seq"]),
            kind=r["kind"],
            text=r["text"],
            state=r["state"],
            attempts=int(r["attempts"]),
            last_error=r["last_error"],
            created_at=r["created_at"],
        )
        for r in rows
    ]
