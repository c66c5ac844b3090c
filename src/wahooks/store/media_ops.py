"""Media jobs (fetching from the Graph API) and the records of stored files.

Generators of named queries, run by a connector (see base.py).
"""

from collections.abc import Sequence

from wahooks.models import (
    MediaJob,
    MediaRecord,
)
from wahooks.secrets import Keyring
from wahooks.store.base import Execute, FetchAll, FetchOne, Operation, Row
from wahooks.store.ingest_ops import hold_for_media


def claim_media(
    now: float, lease_until: float, limit: int, keyring: Keyring, busy: Sequence[str] = ()
) -> Operation[list[MediaJob]]:
    """Due jobs, oldest first, none of the ``busy`` numbers' (at their share of slots)."""
    claimed = yield FetchAll(
        "claim_media",
        {"now": now, "lease_until": lease_until, "limit": limit, "busy": list(busy)},
    )
    jobs = []
    for c in claimed:
        row = yield FetchOne("media_job", {"seq": c["seq"]})
        jobs.append(
            MediaJob(
                id=row["id"],
                tenant_id=row["tenant_id"],
                number_id=row["number_id"],
                kind=row["kind"],
                graph_media_id=row["graph_media_id"],
                mime_type=row["mime_type"],
                sha256=row["sha256"],
                file_name=row["file_name"],
                graph_base_url=row["graph_base_url"],
                access_token=keyring.decrypt(row["access_token"]),
                attempts=row["attempts"],
            )
        )
    return jobs


def finish_media(
    media_id: str,
    *,
    ready: bool,
    blob_key: str | None,
    byte_size: int,
    mime_type: str | None,
    file_name: str | None,
    reason: str | None,
    now: float,
    duration_s: int | None = None,
) -> Operation[None]:
    """The fetch is over (the file is stored, or unavailable): its deliveries may go."""
    yield Execute(
        "finish_media",
        {
            "id": media_id,
            "state": "ready" if ready else "unavailable",
            "reason": reason,
            "blob_key": blob_key,
            "byte_size": byte_size,
            "mime_type": mime_type,
            "file_name": file_name,
            "duration_s": duration_s,
            "now": now,
        },
    )
    yield Execute("release_hold", {"hold": hold_for_media(media_id), "now": now})


def retry_media(media_id: str, next_attempt_at: float, reason: str, now: float) -> Operation[None]:
    yield Execute(
        "retry_media",
        {"id": media_id, "next_attempt_at": next_attempt_at, "reason": reason, "now": now},
    )


def add_media(record: MediaRecord, number_id: str | None, sha256: str) -> Operation[None]:
    """A file that is already in the blob store (state ready), owned by its tenant."""
    yield Execute(
        "insert_ready_media",
        {
            "id": record.id,
            "tenant_id": record.tenant_id,
            "number_id": number_id,
            "kind": record.kind,
            "blob_key": record.blob_key,
            "mime_type": record.mime_type,
            "file_name": record.file_name,
            "byte_size": record.byte_size,
            "sha256": sha256,
            "expires_at": record.expires_at,
            "now": record.created_at,
        },
    )


def media_by_id(tenant_id: str, media_id: str) -> Operation[MediaRecord | None]:
    row = yield FetchOne("media_by_id", {"id": media_id, "tenant_id": tenant_id})
    return None if row is None else _record(row)


def media_by_link(media_id: str) -> Operation[MediaRecord | None]:
    """Whoever's it is: for a signed link, whose signature stands in for the owner's key."""
    row = yield FetchOne("media_by_link", {"id": media_id})
    return None if row is None else _record(row)


def _record(row: Row) -> MediaRecord:
    return MediaRecord(
        id=row["id"],
        tenant_id=row["tenant_id"],
        kind=row["kind"],
        state=row["state"],
        reason=row["reason"],
        blob_key=row["blob_key"],
        mime_type=row["mime_type"],
        file_name=row["file_name"],
        byte_size=row["byte_size"],
        expires_at=row["expires_at"],
        created_at=row["created_at"],
    )


def expired_media(
    now: float, grace_s: float, max_retention_s: float, limit: int
) -> Operation[list[tuple[str, str | None]]]:
    rows = yield FetchAll(
        "expired_media",
        {
            "now": now,
            "grace_limit": now - grace_s,
            "hard_limit": now - max_retention_s,
            "limit": limit,
        },
    )
    return [(r["id"], r["blob_key"]) for r in rows]


def mark_media_purged(media_id: str, now: float) -> Operation[None]:
    yield Execute("mark_media_purged", {"id": media_id, "now": now})
