"""Media jobs: fetch each inbound file into the blob store, then let its deliveries go; and
remove files once they have expired.

Fair sharing: this process fetches at most ``media_concurrency`` files at once, and at most
``media_per_number_concurrency`` of them for one number, so a number whose Graph URL is slow
cannot hold every slot (shares.py, as the Graph API calls and the notices share theirs); a
body that stalls (less than 1 KiB in ``media_stall_timeout_s``)
gives its slot up and is retried like a timeout.

A media message's deliveries are held (``deliveries.hold``) until its file is stored or known
to be unavailable; other conversations are not held up. The jobs live in the ``media`` table
with leases, like deliveries, so a crash mid-download only means the file is fetched again.
"""

import asyncio
import logging

from wahooks.background import Loop, Tasks
from wahooks.config import Settings
from wahooks.media.blobs import BlobStore
from wahooks.media.fetch import FetchedMedia, GraphMedia, MediaFetcher
from wahooks.models import MediaJob
from wahooks.shares import FairShares
from wahooks.store import Store
from wahooks.store.notifier import Topic

log = logging.getLogger(__name__)

STORE_RETRY_S = 30.0  # the blob store itself failed: try the job again later


def blob_key(job: MediaJob) -> str:
    return f"{job.tenant_id}/{job.id}"


class MediaJobs:
    def __init__(
        self, store: Store, fetcher: MediaFetcher, blobs: BlobStore, settings: Settings
    ) -> None:
        self._store = store
        self._fetcher = fetcher
        self._blobs = blobs
        self._settings = settings
        self._claiming = Loop("media-claim")
        self._purging = Loop("media-purge")
        self._inflight = Tasks(on_done=self._claiming.wake)  # a finished fetch makes room
        # This process's fetches, by number.
        self._shares = FairShares(settings.media_concurrency, settings.media_per_number_concurrency)

    async def start(self) -> None:
        self._store.notifier.subscribe(Topic.MEDIA, lambda _tenants: self._claiming.wake())
        self._claiming.start(self._claim_loop)
        self._purging.start(self._purge_loop)

    async def stop(self, grace_s: float = 5.0) -> None:
        """Stop claiming; give running fetches ``grace_s`` to finish. The loops are not
        cancelled mid-query (a cancelled query can leave a pooled connection unusable)."""
        await asyncio.gather(self._claiming.stop(), self._purging.stop())
        await self._inflight.drain(grace_s)  # the unfinished are leased: fetched again later

    async def _claim_loop(self) -> None:
        settings = self._settings
        # A lease outlives every try of one fetch, so a live fetch is never claimed twice.
        policy = self._fetcher.policy
        lease_s = policy.attempts * (policy.timeout_s + policy.max_backoff_s) + 60
        while not self._claiming.stopping:
            free = self._shares.free
            claimed = 0
            try:
                # One at a time, so that no number takes more than its share of the slots
                # (a few small claims: the slots are few).
                while claimed < free and not self._claiming.stopping:
                    jobs = await self._store.media.claim(
                        limit=1, lease_s=lease_s, busy=self._shares.busy()
                    )
                    if not jobs:
                        break
                    self._start(jobs[0])
                    claimed += 1
            except Exception:
                log.exception("claiming media jobs failed; retrying shortly")
            if claimed and claimed == free:
                continue
            await self._claiming.pause(settings.dispatch_poll_interval_s)

    def _start(self, job: MediaJob) -> None:
        self._shares.take(job.number_id)

        async def fetch() -> None:
            try:
                await self._fetch(job)
            finally:
                self._shares.release(job.number_id)

        self._inflight.spawn(fetch())

    async def _fetch(self, job: MediaJob) -> None:
        media = GraphMedia(job.graph_media_id or "", job.mime_type, job.sha256, job.file_name)
        try:
            result = await self._fetcher.fetch(
                job.graph_base_url, job.access_token, media, blob_key(job)
            )
        except Exception as exc:
            log.exception("media %s: the blob store failed; again in %gs", job.id, STORE_RETRY_S)
            await self._store.media.retry(job, STORE_RETRY_S, f"blob store: {exc}")
            return
        if isinstance(result, FetchedMedia):
            await self._store.media.finish(
                job,
                ready=True,
                blob_key=result.key,
                byte_size=result.byte_size,
                mime_type=result.mime_type,
                file_name=result.file_name,
                duration_s=result.duration_s,
            )
        else:
            await self._store.media.finish(
                job, ready=False, reason=f"{result.code}: {result.reason}"
            )

    async def _purge_loop(self) -> None:
        while not self._purging.stopping:
            try:
                await self.purge()
            except Exception:
                log.exception("purging expired media failed")
            await self._purging.pause(self._settings.maintenance_interval_s, wakeable=False)

    async def purge(self) -> int:
        """Remove every expired file (blob and bytes; the row stays, so downloads say 410)."""
        purged = 0
        while True:
            expired = await self._store.media.expired(
                grace_s=self._settings.media_grace_s,
                max_retention_s=self._settings.media_max_retention_s,
            )
            for media_id, key in expired:
                if key is not None:
                    await self._blobs.delete(key)
                await self._store.media.mark_purged(media_id)
            purged += len(expired)
            if len(expired) < 100:
                return purged
