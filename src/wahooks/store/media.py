"""Media jobs (fetching from Graph) and the stored files' records."""

from collections.abc import Sequence

from wahooks.models import (
    MediaJob,
    MediaRecord,
)
from wahooks.store import apps_ops, media_ops
from wahooks.store.area import Area


class Media(Area):
    async def claim(
        self, *, limit: int, lease_s: float, busy: Sequence[str] = ()
    ) -> list[MediaJob]:
        """``busy``: numbers whose jobs are not to be claimed now."""
        now = self.clock()
        return await self.connector.transaction(
            media_ops.claim_media(now, now + lease_s, limit, self.keyring, busy)
        )

    async def finish(
        self,
        job: MediaJob,
        *,
        ready: bool,
        blob_key: str | None = None,
        byte_size: int = 0,
        mime_type: str | None = None,
        file_name: str | None = None,
        reason: str | None = None,
        duration_s: int | None = None,
    ) -> None:
        await self.connector.transaction(
            media_ops.finish_media(
                job.id,
                ready=ready,
                blob_key=blob_key,
                byte_size=byte_size,
                mime_type=mime_type,
                file_name=file_name,
                reason=reason,
                now=self.clock(),
                duration_s=duration_s,
            )
        )
        await self.notifier.deliveries_ready([job.tenant_id])

    async def retry(self, job: MediaJob, delay_s: float, reason: str) -> None:
        now = self.clock()
        await self.connector.transaction(media_ops.retry_media(job.id, now + delay_s, reason, now))

    async def add(self, record: MediaRecord, *, sha256: str, number_id: str | None = None) -> None:
        await self.connector.transaction(media_ops.add_media(record, number_id, sha256))

    async def get(self, tenant_id: str, media_id: str) -> MediaRecord | None:
        return await self.connector.read(media_ops.media_by_id(tenant_id, media_id))

    async def get_linked(self, media_id: str) -> MediaRecord | None:
        """Any tenant's file: only for a request whose signed link was checked."""
        return await self.connector.read(media_ops.media_by_link(media_id))

    async def expired(
        self, *, grace_s: float, max_retention_s: float, limit: int = 100
    ) -> list[tuple[str, str | None]]:
        return await self.connector.read(
            media_ops.expired_media(self.clock(), grace_s, max_retention_s, limit)
        )

    async def mark_purged(self, media_id: str) -> None:
        await self.connector.transaction(media_ops.mark_media_purged(media_id, self.clock()))

    async def of_app(self, app_id: str, media_id: str) -> bool:
        """Whether the file came in on one of the App's numbers."""
        return await self.connector.read(apps_ops.media_of_app(app_id, media_id))
