"""Store: the typed operations the rest of the gateway uses, over one connector."""

import logging
import time
from collections.abc import Collection, Sequence

from wahooks.config import Settings
from wahooks.errors import ConfigError
from wahooks.models import (
    App,
    AppNumber,
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
    HealthUpdate,
    IngestBatch,
    IngestOutcome,
    JsonObject,
    KeyRecord,
    MediaJob,
    MediaRecord,
    MessageRecord,
    Number,
    RecoveryJob,
    Tenant,
)
from wahooks.secrets import SETTING as SECRET_KEYS_SETTING
from wahooks.secrets import Keyring, SecretUnreadable, open_keyring
from wahooks.store import activation_ops, apps_ops, convs_ops, keys_ops, notice_ops
from wahooks.store import destination_ops as dest_ops
from wahooks.store import operations as ops
from wahooks.store.base import Connector, Operation
from wahooks.store.migrate import upgrade
from wahooks.store.notifier import Notifier, Topic

log = logging.getLogger(__name__)


class Store:
    def __init__(
        self,
        connector: Connector,
        *,
        keyring: Keyring,
        clock: Clock = time.time,
        media_ttl_s: float = 48 * 3600,
    ) -> None:
        self.connector = connector
        # Encrypts secrets on their way into the database, decrypts them on the way out.
        self.keyring = keyring
        self.clock = clock
        self.media_ttl_s = media_ttl_s
        self.notifier = Notifier(connector)

    async def close(self) -> None:
        await self.notifier.stop()
        await self.connector.close()

    # tenants and keys
    async def create_tenant(self, tenant_id: str, name: str) -> Tenant:
        return await self.connector.transaction(ops.create_tenant(tenant_id, name, self.clock()))

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
        return await self.connector.transaction(ops.create_number(number, self.keyring))

    async def numbers_by_phone_number_ids(self, ids: Sequence[str]) -> dict[str, Number]:
        return await self.connector.read(ops.numbers_by_phone_number_ids(ids, self.keyring))

    async def number(self, tenant_id: str, number_id: str) -> Number | None:
        return await self.connector.read(ops.number_by_id(tenant_id, number_id, self.keyring))

    async def numbers(self, tenant_id: str) -> list[Number]:
        return await self.connector.read(ops.numbers_of_tenant(tenant_id, self.keyring))

    async def numbers_by_verify_token(self, token: str) -> list[Number]:
        return await self.connector.read(ops.numbers_by_verify_token(token, self.keyring))

    # destinations
    async def create_destination(self, destination: Destination) -> Destination:
        """With its options (rate, in-flight, ordering)."""
        return await self.connector.transaction(
            dest_ops.create_destination(destination, self.keyring)
        )

    async def destination(self, tenant_id: str, destination_id: str) -> Destination | None:
        return await self.connector.read(
            ops.destination_by_id(tenant_id, destination_id, self.keyring)
        )

    async def destinations(self, tenant_id: str) -> list[Destination]:
        return await self.connector.read(ops.destinations_of_tenant(tenant_id, self.keyring))

    async def update_destination(
        self, destination: Destination, *, reenabled: bool = False
    ) -> bool:
        """Every field of the destination; ``reenabled``: it was disabled and is enabled now
        (health reset, pending deliveries due at once). False: no such destination."""
        changed = await self.connector.transaction(
            dest_ops.update_destination(
                destination, self.clock(), self.keyring, reenabled=reenabled
            )
        )
        # Re-enabling, or a new delivery method: claimable now.
        self.notifier.publish(Topic.DELIVERIES, [destination.tenant_id])
        if changed and reenabled:
            await self.notifier.notify_others()
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
        if outcome.notices:
            self.notifier.publish(Topic.NOTICES)
        if outcome.deliveries:
            self.notifier.publish(Topic.MEDIA, outcome.tenants)
            await self.notifier.deliveries_ready(outcome.tenants)
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
            await self.notifier.deliveries_ready([tenant_id])
        return conversation_id

    async def conversation(self, tenant_id: str, conversation_id: str) -> Conversation | None:
        return await self.connector.read(
            ops.conversation_by_id(tenant_id, conversation_id, self.keyring)
        )

    async def outbound_status(self, number_id: str, wamid: str) -> str | None:
        return await self.connector.read(ops.outbound_status(number_id, wamid))

    # the outbox
    async def release_leases(self) -> int:
        return await self.connector.transaction(ops.release_leases(self.clock()))

    async def claim_due(
        self, *, limit: int, lease_s: float, paused: Collection[str] = ()
    ) -> list[ClaimedDelivery]:
        now = self.clock()
        return await self.connector.transaction(
            ops.claim_due(now, now + lease_s, limit, self.keyring, sorted(paused))
        )

    async def record_attempts(
        self,
        decisions: Sequence[tuple[AttemptDecision, str]],
        health: HealthUpdate | None = None,
    ) -> None:
        """``health``: what the attempts do to their destinations' health (None: nothing)."""
        disabled = await self.connector.transaction(
            ops.record_attempts(decisions, self.clock(), health)
        )
        if disabled:  # their destination:disabled notices, and the socket queue
            await self.notifier.deliveries_ready(disabled)

    # media
    async def claim_media(self, *, limit: int, lease_s: float) -> list[MediaJob]:
        now = self.clock()
        return await self.connector.transaction(
            ops.claim_media(now, now + lease_s, limit, self.keyring)
        )

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
        await self.notifier.deliveries_ready([job.tenant_id])

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
        app_id: str | None = None,
    ) -> list[ClaimedDelivery]:
        """``app_id``: for an App's connections (only its destinations' deliveries); None
        for the tenant's (every delivery but its Apps')."""
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
                app_id=app_id,
                keyring=self.keyring,
            )
        )

    async def finish_socket(
        self, tenant_id: str, done: Sequence[tuple[str, float, float, str]]
    ) -> None:
        await self.connector.transaction(ops.finish_socket(done, self.clock()))
        # A conversation's next delivery may now be claimable; only this tenant's (waking
        # every pump here would cost each of them a claim query).
        self.notifier.publish(Topic.DELIVERIES, [tenant_id])

    async def release_socket(
        self, tenant_id: str, released: Sequence[tuple[str, float, float, str]], owner: str
    ) -> None:
        await self.connector.transaction(ops.release_socket(released, owner, self.clock()))
        self.notifier.publish(Topic.DELIVERIES, [tenant_id])

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
            self.notifier.publish(Topic.DELIVERIES, [tenant_id])
        return changed

    # --- pool activations and notices (pool) ----------------------------------------------
    async def create_activation(
        self,
        activation_id: str,
        tenant_id: str,
        number_id: str,
        hashed_code: str,
        label: str | None,
        *,
        ttl_s: float,
        max_pending: int,
    ) -> activation_ops.Activation:
        """A pending activation; Duplicate if the number had this code before,
        TooManyPending if the tenant holds ``max_pending`` unexpired codes already."""
        return await self.connector.transaction(
            activation_ops.create_activation(
                activation_id,
                tenant_id,
                number_id,
                hashed_code,
                label,
                now=self.clock(),
                ttl_s=ttl_s,
                max_pending=max_pending,
            )
        )

    async def activation(
        self, tenant_id: str, activation_id: str
    ) -> activation_ops.Activation | None:
        return await self.connector.read(
            activation_ops.activation_by_id(tenant_id, activation_id, self.clock())
        )

    async def activations(
        self,
        tenant_id: str,
        *,
        state: str | None = None,
        number_id: str | None = None,
        limit: int = 100,
    ) -> list[activation_ops.Activation]:
        return await self.connector.read(
            activation_ops.list_activations(
                tenant_id, state=state, number_id=number_id, limit=limit, now=self.clock()
            )
        )

    async def label_activation(
        self, tenant_id: str, activation_id: str, label: str | None
    ) -> activation_ops.Activation | None:
        return await self.connector.transaction(
            activation_ops.set_activation_label(tenant_id, activation_id, label, self.clock())
        )

    async def deactivate_activation(
        self, tenant_id: str, activation_id: str
    ) -> activation_ops.Activation | None:
        return await self.connector.transaction(
            activation_ops.deactivate_activation(tenant_id, activation_id, self.clock())
        )

    async def claim_notices(self, *, limit: int, lease_s: float) -> list[notice_ops.NoticeJob]:
        now = self.clock()
        return await self.connector.transaction(
            notice_ops.claim_notices(
                now, now + lease_s, limit, lambda row: ops._number(row, self.keyring)
            )
        )

    async def finish_notice(self, seq: int, *, sent: bool, error: str | None = None) -> None:
        await self.connector.transaction(
            notice_ops.finish_notice(seq, sent=sent, error=error, now=self.clock())
        )

    async def retry_notice(self, seq: int, delay_s: float, error: str) -> None:
        now = self.clock()
        await self.connector.transaction(notice_ops.retry_notice(seq, now + delay_s, error, now))

    async def notices_to(self, number_id: str, wa_id: str) -> list[notice_ops.NoticeRecord]:
        return await self.connector.read(notice_ops.notices_to(number_id, wa_id))

    # --- Apps (owner: the apps area; store/apps_ops.py, store/sql/apps.sql) ----------------

    async def create_app(self, app: App, key_hash: str, socket: Destination) -> App:
        """Raises Duplicate when the slug is taken."""
        return await self.connector.transaction(
            apps_ops.create_app(app, key_hash, socket, self.keyring)
        )

    async def app(self, tenant_id: str, app_id: str) -> App | None:
        return await self.connector.read(apps_ops.app_by_id(tenant_id, app_id))

    async def apps(self, tenant_id: str) -> list[App]:
        return await self.connector.read(apps_ops.apps_of_tenant(tenant_id))

    async def rename_app(self, tenant_id: str, app_id: str, name: str) -> App | None:
        return await self.connector.transaction(
            apps_ops.rename_app(tenant_id, app_id, name, self.clock())
        )

    async def set_app_key(
        self, tenant_id: str, app_id: str, key_prefix: str, key_hash: str
    ) -> App | None:
        return await self.connector.transaction(
            apps_ops.set_app_key(tenant_id, app_id, key_prefix, key_hash, self.clock())
        )

    async def delete_app(self, tenant_id: str, app_id: str) -> bool:
        """False when there is no such live App, or it still has live numbers."""
        return await self.connector.transaction(
            apps_ops.delete_app(tenant_id, app_id, self.clock())
        )

    async def app_numbers(
        self, tenant_id: str, app_id: str | None, *, window_s: float
    ) -> list[AppNumber]:
        """The live numbers of one App (or, with None, of all the tenant's Apps)."""
        return await self.connector.read(
            apps_ops.numbers_of_apps(tenant_id, app_id, self.clock() - window_s, self.keyring)
        )

    async def app_number(self, app_id: str, number_id: str) -> Number | None:
        return await self.connector.read(apps_ops.number_of_app(app_id, number_id, self.keyring))

    async def conversation_with(
        self, tenant_id: str, number_id: str, wa_id: str
    ) -> Conversation | None:
        return await self.connector.read(
            apps_ops.conversation_with(tenant_id, number_id, wa_id, self.keyring)
        )

    async def media_of_app(self, app_id: str, media_id: str) -> bool:
        """Whether the file came in on one of the App's numbers."""
        return await self.connector.read(apps_ops.media_of_app(app_id, media_id))

    # --- keys: tenants, API keys, operator keys, numbers management and health, secrets ---
    async def tenants(self) -> list[Tenant]:
        return await self.connector.read(keys_ops.list_tenants())

    async def create_tenant_with_key(
        self, tenant_id: str, name: str, prefix: str, key_hash: str, label: str | None
    ) -> tuple[Tenant, KeyRecord]:
        """A tenant and its first key, in one transaction."""
        now = self.clock()

        def op() -> Operation[tuple[Tenant, KeyRecord]]:
            tenant = yield from ops.create_tenant(tenant_id, name, now)
            key = yield from keys_ops.add_api_key(tenant_id, prefix, key_hash, label, now)
            return tenant, key

        return await self.connector.transaction(op())

    async def add_api_key(
        self, tenant_id: str, prefix: str, key_hash: str, label: str | None
    ) -> KeyRecord:
        return await self.connector.transaction(
            keys_ops.add_api_key(tenant_id, prefix, key_hash, label, self.clock())
        )

    async def api_keys(self, tenant_id: str) -> list[KeyRecord]:
        return await self.connector.read(keys_ops.api_keys_of_tenant(tenant_id))

    async def revoke_api_key(
        self, tenant_id: str, key_id: str, *, keep_one: bool
    ) -> KeyRecord | None:
        """None: no such key of this tenant; LastKey: it is the last live one and
        ``keep_one`` was asked."""
        return await self.connector.transaction(
            keys_ops.revoke_api_key(tenant_id, key_id, self.clock(), keep_one=keep_one)
        )

    async def add_operator_key(self, prefix: str, key_hash: str, label: str | None) -> KeyRecord:
        key_id = await self.create_operator_key(prefix, key_hash, label)
        found = await self.connector.read(keys_ops.operator_key(key_id))
        assert found is not None
        return found

    async def operator_keys(self) -> list[KeyRecord]:
        return await self.connector.read(keys_ops.list_operator_keys())

    async def revoke_operator_key(self, key_id: str) -> KeyRecord | None:
        """None: no such key; LastKey: it is the last live operator key."""
        return await self.connector.transaction(keys_ops.revoke_operator_key(key_id, self.clock()))

    async def all_numbers(self) -> list[Number]:
        return await self.connector.read(keys_ops.all_numbers(self.keyring))

    async def any_number(self, number_id: str) -> Number | None:
        """A live number, whoever owns it (the operator's view)."""
        return await self.connector.read(keys_ops.any_number(number_id, self.keyring))

    async def update_number(self, number_id: str, changes: keys_ops.NumberChanges) -> Number | None:
        return await self.connector.transaction(
            keys_ops.update_number(number_id, changes, self.clock(), self.keyring)
        )

    async def delete_number(self, number: Number) -> bool:
        return await self.connector.transaction(keys_ops.delete_number(number, self.clock()))

    async def numbers_due_for_health(self, interval_s: float, limit: int = 100) -> list[str]:
        return await self.connector.read(
            keys_ops.numbers_due_for_health(self.clock() - interval_s, limit)
        )

    async def claim_health_check(
        self, number_id: str, interval_s: float
    ) -> tuple[Number, str] | None:
        now = self.clock()
        return await self.connector.transaction(
            keys_ops.claim_health_check(number_id, now - interval_s, now, self.keyring)
        )

    async def number_for_check(self, number_id: str) -> tuple[Number, str] | None:
        return await self.connector.read(keys_ops.number_for_check(number_id, self.keyring))

    async def record_health(
        self, number_id: str, checked_token: str, health: str, detail: str | None
    ) -> bool:
        return await self.connector.transaction(
            keys_ops.record_health(number_id, checked_token, health, detail, self.clock())
        )

    async def reseal_secrets(self) -> int:
        """Encrypt stored plaintext secrets and re-encrypt those under an older key;
        SecretUnreadable if a stored secret cannot be decrypted (a wrong key)."""
        found = await self.connector.read(keys_ops.find_reseal(self.keyring))
        if not found:
            return 0
        return await self.connector.transaction(keys_ops.apply_reseal(found))

    # --- destinations: options, secret rotation, health (dest) ------------------------------

    async def defer_deliveries(self, deferred: Sequence[tuple[str, float]]) -> None:
        """Hand leased deliveries back without an attempt: (id, seconds until due)."""
        await self.connector.transaction(dest_ops.defer_deliveries(deferred, self.clock()))

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
        await self.notifier.notify_others()  # other processes' workers look sooner
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
            await self.notifier.deliveries_ready([job.tenant_id])
        return after

    async def release_recovery_job(self, job: RecoveryJob) -> bool:
        """Give the job's lease up (stopping mid-job): any worker resumes it at once."""
        return await self.connector.transaction(convs_ops.release_recovery_job(job, self.clock()))

    async def fail_recovery_job(self, job: RecoveryJob, error: str) -> bool:
        return await self.connector.transaction(
            convs_ops.fail_recovery_job(job, error, self.clock())
        )


async def open_store(settings: Settings, *, clock: Clock = time.time) -> Store:
    """Migrate the database to the newest schema, then open a connector for it; stored
    secrets are checked against the keys (and sealed, see Store.reseal_secrets)."""
    keyring = open_keyring(settings.database_url, settings.secret_keys)
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
    store = Store(
        connector,
        keyring=keyring,
        clock=clock,
        media_ttl_s=settings.media_ttl_s,
    )
    try:
        sealed = await store.reseal_secrets()
    except SecretUnreadable as exc:
        await connector.close()
        raise ConfigError(
            f"{SECRET_KEYS_SETTING} cannot decrypt the secrets stored in this database: the "
            "key that encrypted them is not among the configured keys (a wrong or missing key)"
        ) from exc
    except BaseException:
        await connector.close()
        raise
    if sealed:
        log.info("encrypted or re-encrypted the stored secrets of %d row(s)", sealed)
    return store
