"""Store: the typed operations the rest of the gateway uses, over one connector."""

import time
from collections.abc import Callable, Collection, Sequence

from wahooks.config import Settings
from wahooks.models import (
    AttemptDecision,
    AttemptRecord,
    ClaimedDelivery,
    Clock,
    Conversation,
    ConversationContext,
    ConversationNote,
    ConversationRecord,
    DeliveryRecord,
    Destination,
    IngestBatch,
    IngestOutcome,
    JsonObject,
    MediaJob,
    MediaRecord,
    MessageRecord,
    Number,
    RecoveryJob,
    Tenant,
)
from wahooks.store import convs_ops
from wahooks.store import operations as ops
from wahooks.store.base import Connector
from wahooks.store.migrate import upgrade

DeliveriesListener = Callable[[Collection[str] | None], None]
"""Told which tenants may have new claimable deliveries (None: possibly any)."""


class Store:
    def __init__(
        self, connector: Connector, *, clock: Clock = time.time, media_ttl_s: float = 48 * 3600
    ) -> None:
        self.connector = connector
        self.clock = clock
        self.media_ttl_s = media_ttl_s
        # The dispatcher and the socket hub of this process, so new deliveries start at once.
        self._listeners: list[DeliveriesListener] = []

    def add_listener(self, listener: DeliveriesListener) -> None:
        self._listeners.append(listener)

    def announce(self, tenant_ids: Collection[str] | None = None) -> None:
        for listener in self._listeners:
            listener(tenant_ids)

    async def close(self) -> None:
        await self.connector.close()

    # tenants and keys
    async def create_tenant(self, tenant_id: str, name: str) -> Tenant:
        return await self.connector.transaction(ops.create_tenant(tenant_id, name, self.clock()))

    async def create_api_key(self, tenant_id: str, prefix: str, key_hash: str) -> None:
        await self.connector.transaction(
            ops.create_api_key(tenant_id, prefix, key_hash, self.clock())
        )

    async def find_api_key(self, prefix: str) -> tuple[Tenant, str] | None:
        return await self.connector.read(ops.find_api_key(prefix))

    async def tenant(self, tenant_id: str) -> Tenant | None:
        return await self.connector.read(ops.tenant_by_id(tenant_id))

    async def app_tenant(self, app_id: str) -> str | None:
        """The tenant of a live App, or None."""
        return await self.connector.read(ops.app_tenant(app_id))

    async def create_operator_key(self, prefix: str, key_hash: str, label: str | None) -> str:
        return await self.connector.transaction(
            ops.create_operator_key(prefix, key_hash, label, self.clock())
        )

    async def find_operator_key(self, prefix: str) -> str | None:
        return await self.connector.read(ops.find_operator_key(prefix))

    async def find_app_key(self, prefix: str) -> tuple[Tenant, str, str] | None:
        return await self.connector.read(ops.find_app_key(prefix))

    # numbers
    async def create_number(self, number: Number) -> Number:
        return await self.connector.transaction(ops.create_number(number))

    async def numbers_by_phone_number_ids(self, ids: Sequence[str]) -> dict[str, Number]:
        return await self.connector.read(ops.numbers_by_phone_number_ids(ids))

    async def number(self, tenant_id: str, number_id: str) -> Number | None:
        return await self.connector.read(ops.number_by_id(tenant_id, number_id))

    async def numbers(self, tenant_id: str) -> list[Number]:
        return await self.connector.read(ops.numbers_of_tenant(tenant_id))

    async def numbers_by_verify_token(self, token: str) -> list[Number]:
        return await self.connector.read(ops.numbers_by_verify_token(token))

    # destinations
    async def create_destination(self, destination: Destination) -> Destination:
        return await self.connector.transaction(ops.create_destination(destination))

    async def destination(self, tenant_id: str, destination_id: str) -> Destination | None:
        return await self.connector.read(ops.destination_by_id(tenant_id, destination_id))

    async def destinations(self, tenant_id: str) -> list[Destination]:
        return await self.connector.read(ops.destinations_of_tenant(tenant_id))

    async def update_destination(self, destination: Destination) -> bool:
        changed = await self.connector.transaction(
            ops.update_destination(destination, self.clock())
        )
        self.announce([destination.tenant_id])  # re-enabling or a new method: claimable now
        return changed

    async def delete_destination(self, tenant_id: str, destination_id: str) -> bool:
        return await self.connector.transaction(
            ops.delete_destination(tenant_id, destination_id, self.clock())
        )

    # ingest
    async def ingest(self, numbers: dict[str, Number], batch: IngestBatch) -> IngestOutcome:
        outcome = await self.connector.transaction(
            ops.ingest(numbers, batch, self.clock(), self.media_ttl_s)
        )
        if outcome.deliveries:
            self.announce(outcome.tenants)
            await self.connector.notify_new_deliveries()
        return outcome

    async def record_outbound(
        self,
        number: Number,
        to_wa_id: str,
        wamid: str,
        message_type: str,
        item: JsonObject,
        *,
        tenant_id: str | None = None,
    ) -> str:
        """Store a message we sent (and its message:out:new event); returns its conversation.
        ``tenant_id``: whose conversation it is (a pool number has no tenant of its own)."""
        tenant_id = tenant_id or number.tenant_id
        if tenant_id is None:
            raise ValueError(f"a message sent from pool number {number.id} needs its tenant")
        conversation_id, deliveries = await self.connector.transaction(
            ops.record_outbound(
                number, tenant_id, to_wa_id, wamid, message_type, item, self.clock()
            )
        )
        if deliveries:
            self.announce([tenant_id])
            await self.connector.notify_new_deliveries()
        return conversation_id

    async def conversation(self, tenant_id: str, conversation_id: str) -> Conversation | None:
        return await self.connector.read(ops.conversation_by_id(tenant_id, conversation_id))

    async def outbound_status(self, number_id: str, wamid: str) -> str | None:
        return await self.connector.read(ops.outbound_status(number_id, wamid))

    # the outbox
    async def release_leases(self) -> int:
        return await self.connector.transaction(ops.release_leases(self.clock()))

    async def claim_due(self, *, limit: int, lease_s: float) -> list[ClaimedDelivery]:
        now = self.clock()
        return await self.connector.transaction(ops.claim_due(now, now + lease_s, limit))

    async def record_attempts(self, decisions: Sequence[tuple[AttemptDecision, str]]) -> None:
        await self.connector.transaction(ops.record_attempts(decisions, self.clock()))

    # media
    async def claim_media(self, *, limit: int, lease_s: float) -> list[MediaJob]:
        now = self.clock()
        return await self.connector.transaction(ops.claim_media(now, now + lease_s, limit))

    async def finish_media(
        self,
        job: MediaJob,
        *,
        ready: bool,
        blob_key: str | None = None,
        byte_size: int = 0,
        mime_type: str | None = None,
        file_name: str | None = None,
        reason: str | None = None,
    ) -> None:
        await self.connector.transaction(
            ops.finish_media(
                job.id,
                ready=ready,
                blob_key=blob_key,
                byte_size=byte_size,
                mime_type=mime_type,
                file_name=file_name,
                reason=reason,
                now=self.clock(),
            )
        )
        self.announce([job.tenant_id])
        await self.connector.notify_new_deliveries()

    async def retry_media(self, job: MediaJob, delay_s: float, reason: str) -> None:
        now = self.clock()
        await self.connector.transaction(ops.retry_media(job.id, now + delay_s, reason, now))

    async def add_media(
        self, record: MediaRecord, *, sha256: str, number_id: str | None = None
    ) -> None:
        await self.connector.transaction(ops.add_media(record, number_id, sha256))

    async def media(self, tenant_id: str, media_id: str) -> MediaRecord | None:
        return await self.connector.read(ops.media_by_id(tenant_id, media_id))

    async def expired_media(
        self, *, grace_s: float, max_retention_s: float, limit: int = 100
    ) -> list[tuple[str, str | None]]:
        return await self.connector.read(
            ops.expired_media(self.clock(), grace_s, max_retention_s, limit)
        )

    async def mark_media_purged(self, media_id: str) -> None:
        await self.connector.transaction(ops.mark_media_purged(media_id, self.clock()))

    # the socket queue
    async def claim_for_socket(
        self,
        tenant_id: str,
        owner: str,
        *,
        conversation_ids: Sequence[str] | None,
        since: float,
        lease_s: float,
        limit: int,
    ) -> list[ClaimedDelivery]:
        now = self.clock()
        return await self.connector.transaction(
            ops.claim_for_socket(
                tenant_id,
                owner,
                conversation_ids=conversation_ids,
                since=since,
                now=now,
                lease_until=now + lease_s,
                limit=limit,
            )
        )

    async def finish_socket(
        self, tenant_id: str, done: Sequence[tuple[str, float, float, str]]
    ) -> None:
        await self.connector.transaction(ops.finish_socket(done, self.clock()))
        # A conversation's next delivery may now be claimable; only this tenant's (waking
        # every pump here would cost each of them a claim query).
        self.announce([tenant_id])

    async def release_socket(
        self, tenant_id: str, released: Sequence[tuple[str, float, float, str]], owner: str
    ) -> None:
        await self.connector.transaction(ops.release_socket(released, owner, self.clock()))
        self.announce([tenant_id])

    async def renew_socket_leases(
        self, delivery_ids: Sequence[str], owner: str, lease_s: float
    ) -> None:
        now = self.clock()
        await self.connector.transaction(
            ops.renew_socket_leases(delivery_ids, owner, now + lease_s, now)
        )

    async def drop_from_socket_queue(self, retention_s: float, per_sender_cap: int) -> int:
        now = self.clock()
        return await self.connector.transaction(
            ops.drop_from_socket_queue(now - retention_s, per_sender_cap, now)
        )

    async def next_due_at(self) -> float | None:
        return await self.connector.read(ops.next_due_at())

    async def count_active_deliveries(self) -> int:
        return await self.connector.read(ops.count_active_deliveries())

    # deliveries through the API
    async def list_deliveries(
        self,
        tenant_id: str,
        *,
        state: str | None = None,
        destination_id: str | None = None,
        conversation_id: str | None = None,
        before_seq: int | None = None,
        limit: int = 50,
        since: float | None = None,
        until: float | None = None,
    ) -> list[tuple[int, DeliveryRecord]]:
        """Newest first; ``since``/``until``: created in [since, until)."""
        return await self.connector.read(
            ops.list_deliveries(
                tenant_id,
                state=state,
                destination_id=destination_id,
                conversation_id=conversation_id,
                before_seq=before_seq,
                limit=limit,
                since=since,
                until=until,
            )
        )

    async def delivery(
        self, tenant_id: str, delivery_id: str
    ) -> tuple[DeliveryRecord, list[AttemptRecord]] | None:
        return await self.connector.read(ops.delivery_with_attempts(tenant_id, delivery_id))

    async def resend_delivery(self, tenant_id: str, delivery_id: str) -> bool:
        changed = await self.connector.transaction(
            ops.resend_delivery(tenant_id, delivery_id, self.clock())
        )
        if changed:
            self.announce([tenant_id])
        return changed

    # --- conversations API, summary context, recovery jobs (convs) -------------------------
    # ``app_id``: an App key sees only its App's numbers' conversations; None for a tenant.

    async def list_conversations(
        self,
        tenant_id: str,
        *,
        app_id: str | None = None,
        number_id: str | None = None,
        label: str | None = None,
        external_user_id: str | None = None,
        before: tuple[float, str] | None = None,
        limit: int = 50,
    ) -> list[ConversationRecord]:
        """Newest activity first; ``before`` is the (activity, id) of the last row seen."""
        return await self.connector.read(
            convs_ops.list_conversations(
                tenant_id,
                app_id=app_id,
                number_id=number_id,
                label=label,
                external_user_id=external_user_id,
                before=before,
                limit=limit,
            )
        )

    async def conversation_detail(
        self, tenant_id: str, conversation_id: str, *, app_id: str | None = None
    ) -> ConversationRecord | None:
        return await self.connector.read(
            convs_ops.conversation_detail(tenant_id, app_id, conversation_id)
        )

    async def change_labels(
        self,
        tenant_id: str,
        conversation_id: str,
        *,
        app_id: str | None = None,
        replace_with: Sequence[str] | None = None,
        add: str | None = None,
        remove: str | None = None,
    ) -> tuple[str, ...]:
        """Raises NotFound (conversation, or a label to remove) or InvalidRequest (too many)."""
        return await self.connector.transaction(
            convs_ops.change_labels(
                tenant_id,
                app_id,
                conversation_id,
                replace_with=replace_with,
                add=add,
                remove=remove,
            )
        )

    async def add_note(
        self, tenant_id: str, conversation_id: str, text: str, *, app_id: str | None = None
    ) -> ConversationNote:
        return await self.connector.transaction(
            convs_ops.add_note(tenant_id, app_id, conversation_id, text, self.clock())
        )

    async def delete_note(
        self, tenant_id: str, conversation_id: str, note_id: str, *, app_id: str | None = None
    ) -> None:
        await self.connector.transaction(
            convs_ops.delete_note(tenant_id, app_id, conversation_id, note_id)
        )

    async def set_external_user_id(
        self,
        tenant_id: str,
        conversation_id: str,
        external_user_id: str | None,
        *,
        app_id: str | None = None,
    ) -> None:
        await self.connector.transaction(
            convs_ops.set_external_user_id(tenant_id, app_id, conversation_id, external_user_id)
        )

    async def conversation_messages(
        self,
        tenant_id: str,
        conversation_id: str,
        *,
        app_id: str | None = None,
        before_seq: int | None = None,
        limit: int = 50,
    ) -> list[MessageRecord] | None:
        return await self.connector.read(
            convs_ops.conversation_messages(
                tenant_id, app_id, conversation_id, before_seq=before_seq, limit=limit
            )
        )

    async def conversation_context(
        self, conversation_id: str, wamid: str | None, *, recent: int, public_url: str
    ) -> ConversationContext | None:
        return await self.connector.read(
            convs_ops.conversation_context(conversation_id, wamid, recent, public_url)
        )

    async def create_recovery_job(
        self, tenant_id: str, destination_id: str | None, since: float, until: float
    ) -> RecoveryJob:
        job = await self.connector.transaction(
            convs_ops.create_recovery_job(tenant_id, destination_id, since, until, self.clock())
        )
        await self.connector.notify_new_deliveries()  # other processes' workers look sooner
        return job

    async def recovery_job(self, tenant_id: str, job_id: str) -> RecoveryJob | None:
        return await self.connector.read(convs_ops.recovery_job(tenant_id, job_id))

    async def recovery_jobs(
        self, tenant_id: str, *, before_seq: int | None = None, limit: int = 50
    ) -> list[tuple[int, RecoveryJob]]:
        return await self.connector.read(convs_ops.recovery_jobs(tenant_id, before_seq, limit))

    async def claim_recovery_job(self, *, lease_s: float) -> RecoveryJob | None:
        now = self.clock()
        return await self.connector.transaction(convs_ops.claim_recovery_job(now, now + lease_s))

    async def recovery_step(
        self, job: RecoveryJob, *, chunk: int, lease_s: float
    ) -> RecoveryJob | None:
        """One chunk re-queued (or the job finished); None if the job's lease was lost."""
        now = self.clock()
        try:
            after = await self.connector.transaction(
                convs_ops.recovery_step(job, chunk, now, now + lease_s)
            )
        except convs_ops.LeaseLost:
            return None
        if after.recovered > job.recovered:
            self.announce([job.tenant_id])
            await self.connector.notify_new_deliveries()
        return after

    async def release_recovery_job(self, job: RecoveryJob) -> bool:
        """Give the job's lease up (stopping mid-job): any worker resumes it at once."""
        return await self.connector.transaction(convs_ops.release_recovery_job(job, self.clock()))

    async def fail_recovery_job(self, job: RecoveryJob, error: str) -> bool:
        return await self.connector.transaction(
            convs_ops.fail_recovery_job(job, error, self.clock())
        )


async def open_store(settings: Settings, *, clock: Clock = time.time) -> Store:
    """Migrate the database to the newest schema, then open a connector for it."""
    await upgrade(settings.database_url)
    connector: Connector
    if settings.is_sqlite:
        from wahooks.store.sqlite.connector import SqliteConnector

        connector = SqliteConnector(settings.database_url, synchronous=settings.sqlite_synchronous)
    else:
        from wahooks.store.postgres.connector import PostgresConnector

        connector = PostgresConnector(
            settings.database_url, min_size=settings.pg_pool_min, max_size=settings.pg_pool_max
        )
    await connector.open()
    return Store(connector, clock=clock, media_ttl_s=settings.media_ttl_s)
