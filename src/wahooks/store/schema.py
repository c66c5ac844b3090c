"""The tables, defined once for both databases (SQLAlchemy Core).

Alembic's history in ``migrations/`` must produce exactly this; tests/store/test_migrations.py
compares them on SQLite and PostgreSQL. Times are Unix seconds (double precision), JSON is
stored as text (the same bytes on both databases), ids are prefixed random strings, and
``seq`` integers give insertion order where order matters (per-conversation delivery).
"""

import sqlalchemy as sa

metadata = sa.MetaData()

ACTIVE_DELIVERY = "state IN ('pending', 'leased')"
# Open for a socket: active, or failed on its webhook but still offered on the socket queue.
OPEN_DELIVERY = "state IN ('pending', 'leased', 'failed')"
# The head of its conversation's queue to its destination: what an ordered claim may take.
HEAD_DELIVERY = "state IN ('pending', 'leased') AND head"
DEFAULT_EVENTS_JSON = '["message:in:new", "message:update", "message:reaction"]'

tenants = sa.Table(
    "tenants",
    metadata,
    sa.Column("id", sa.Text, primary_key=True),
    sa.Column("name", sa.Text, nullable=False),
    sa.Column("created_at", sa.Double, nullable=False),
    sa.Column("alert_email", sa.Text),  # where the tenant's alert e-mails go
    sa.Column("alert_webhook_url", sa.Text),  # where its alert webhooks go
    sa.Column("alert_webhook_secret", sa.Text),  # what signs them (encrypted)
)

# Conditions to tell people of (a destination failing or disabled, a number down), one row
# per channel (mail, operator_webhook, tenant_webhook), queued in the transaction that
# raised them; the alert worker sends them (delivery/alerts.py).
alerts = sa.Table(
    "alerts",
    metadata,
    sa.Column("seq", sa.BigInteger().with_variant(sa.Integer, "sqlite"), primary_key=True),
    sa.Column("id", sa.Text, nullable=False, unique=True),
    sa.Column("tenant_id", sa.Text, sa.ForeignKey("tenants.id"), nullable=False),
    sa.Column("kind", sa.Text, nullable=False),
    sa.Column("subject", sa.Text, nullable=False),
    sa.Column("data", sa.Text, nullable=False),
    sa.Column("state", sa.Text, nullable=False),
    sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
    sa.Column("next_attempt_at", sa.Double, nullable=False),
    sa.Column("last_error", sa.Text),
    sa.Column("created_at", sa.Double, nullable=False),
    sa.Column("sent_at", sa.Double),
    sa.Column("channel", sa.Text, nullable=False, server_default="mail"),
    sa.Index(
        "ix_alerts_due",
        "next_attempt_at",
        sqlite_where=sa.text("state = 'pending'"),
        postgresql_where=sa.text("state = 'pending'"),
    ),
    sa.Index("ix_alerts_subject", "kind", "subject", "sent_at"),
)

api_keys = sa.Table(
    "api_keys",
    metadata,
    sa.Column("id", sa.Text, primary_key=True),
    sa.Column("tenant_id", sa.Text, sa.ForeignKey("tenants.id"), nullable=False),
    # First characters of the key, unique, so a key is found without scanning hashes.
    sa.Column("prefix", sa.Text, nullable=False, unique=True),
    sa.Column("key_hash", sa.Text, nullable=False),
    sa.Column("created_at", sa.Double, nullable=False),
    sa.Column("revoked_at", sa.Double),
    sa.Column("label", sa.Text),
)

# The gateway's operator: manages tenants, numbers and Apps. Keys as api_keys, no tenant.
operator_keys = sa.Table(
    "operator_keys",
    metadata,
    sa.Column("id", sa.Text, primary_key=True),
    sa.Column("prefix", sa.Text, nullable=False, unique=True),
    sa.Column("key_hash", sa.Text, nullable=False),
    sa.Column("label", sa.Text),
    sa.Column("created_at", sa.Double, nullable=False),
    sa.Column("revoked_at", sa.Double),
)

# A tenant's application owning dedicated numbers; one key (ak_live_…), regenerated in place.
apps = sa.Table(
    "apps",
    metadata,
    sa.Column("id", sa.Text, primary_key=True),
    sa.Column("tenant_id", sa.Text, sa.ForeignKey("tenants.id"), nullable=False),
    sa.Column("name", sa.Text, nullable=False),
    sa.Column("slug", sa.Text, nullable=False, unique=True),  # immutable
    sa.Column("key_prefix", sa.Text, unique=True),
    sa.Column("key_hash", sa.Text),
    sa.Column("created_at", sa.Double, nullable=False),
    sa.Column("updated_at", sa.Double, nullable=False),
    sa.Column("deleted_at", sa.Double),
    sa.Index("ix_apps_tenant", "tenant_id"),
)

numbers = sa.Table(
    "numbers",
    metadata,
    sa.Column("id", sa.Text, primary_key=True),
    # A dedicated number's owner; NULL for a pool number (the operator's, shared by tenants
    # through activations).
    sa.Column("tenant_id", sa.Text, sa.ForeignKey("tenants.id")),
    sa.Column("kind", sa.Text, nullable=False),  # "pool" or "dedicated"
    sa.Column("phone_number_id", sa.Text, nullable=False, unique=True),
    sa.Column("waba_id", sa.Text, nullable=False),
    sa.Column("display_phone_number", sa.Text, nullable=False),
    # Secrets, encrypted at rest ("enc:" + Fernet token; see wahooks/secrets.py).
    sa.Column("access_token", sa.Text, nullable=False),
    sa.Column("app_secret", sa.Text, nullable=False),
    sa.Column("verify_token", sa.Text, nullable=False),
    # SHA-256 of the verify token: Meta's handshake finds numbers by it.
    sa.Column("verify_token_hash", sa.Text),
    sa.Column("graph_base_url", sa.Text, nullable=False),
    sa.Column("created_at", sa.Double, nullable=False),
    sa.Column("app_id", sa.Text, sa.ForeignKey("apps.id")),  # dedicated numbers of an App
    sa.Column("display_name", sa.Text),
    # healthy / degraded / down from Graph API checks of the token; unknown until checked.
    sa.Column("health", sa.Text, nullable=False, server_default="unknown"),
    sa.Column("health_detail", sa.Text),
    sa.Column("health_checked_at", sa.Double),
    sa.Column("updated_at", sa.Double),
    sa.Column("deleted_at", sa.Double),
    sa.Index("ix_numbers_verify_token_hash", "verify_token_hash"),
)

# Pool numbers: a tenant asks for a one-time code; the WhatsApp user who sends it to the
# number is bound to the tenant on that number (pending → active → deactivated, or expired).
activations = sa.Table(
    "activations",
    metadata,
    sa.Column("id", sa.Text, primary_key=True),
    sa.Column("tenant_id", sa.Text, sa.ForeignKey("tenants.id"), nullable=False),
    sa.Column("number_id", sa.Text, sa.ForeignKey("numbers.id"), nullable=False),
    sa.Column("code_hash", sa.Text, nullable=False),  # SHA-256 of the code; codes are secrets
    sa.Column("code_expires_at", sa.Double, nullable=False),
    sa.Column("state", sa.Text, nullable=False),
    sa.Column("wa_id", sa.Text),  # the sender, once bound
    sa.Column("user_id", sa.Text),  # the sender's BSUID, when Meta sent one
    sa.Column("label", sa.Text),
    sa.Column("activated_at", sa.Double),
    sa.Column("deactivated_at", sa.Double),
    sa.Column("created_at", sa.Double, nullable=False),
    sa.Column("updated_at", sa.Double, nullable=False),
    sa.UniqueConstraint("number_id", "code_hash", name="uq_activations_code"),
    # One tenant per sender per pool number.
    sa.Index(
        "uq_activations_sender",
        "number_id",
        "wa_id",
        unique=True,
        sqlite_where=sa.text("state = 'active'"),
        postgresql_where=sa.text("state = 'active'"),
    ),
    sa.Index("ix_activations_tenant", "tenant_id", "created_at"),
    sa.Index(
        "ix_activations_user_id",
        "number_id",
        "user_id",
        sqlite_where=sa.text("state = 'active'"),
        postgresql_where=sa.text("state = 'active'"),
    ),
)

# Replies the gateway itself sends to a WhatsApp user (activation confirmations, "not
# activated"): a small durable outbox, so a crash after the ingest commit loses none.
notices = sa.Table(
    "notices",
    metadata,
    sa.Column("seq", sa.BigInteger().with_variant(sa.Integer, "sqlite"), primary_key=True),
    sa.Column("number_id", sa.Text, sa.ForeignKey("numbers.id"), nullable=False),
    sa.Column("wa_id", sa.Text, nullable=False),
    sa.Column("kind", sa.Text, nullable=False),
    sa.Column("text", sa.Text, nullable=False),
    sa.Column("state", sa.Text, nullable=False),  # pending → sent | failed
    sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
    sa.Column("next_attempt_at", sa.Double, nullable=False),
    sa.Column("last_error", sa.Text),
    sa.Column("created_at", sa.Double, nullable=False),
    sa.Column("updated_at", sa.Double, nullable=False),
    sa.Index(
        "ix_notices_due",
        "next_attempt_at",
        sqlite_where=sa.text("state = 'pending'"),
        postgresql_where=sa.text("state = 'pending'"),
    ),
    sa.Index("ix_notices_recipient", "number_id", "wa_id", "kind", "created_at"),
)

destinations = sa.Table(
    "destinations",
    metadata,
    sa.Column("id", sa.Text, primary_key=True),
    sa.Column("tenant_id", sa.Text, sa.ForeignKey("tenants.id"), nullable=False),
    sa.Column("number_id", sa.Text, sa.ForeignKey("numbers.id")),
    sa.Column("url", sa.Text, nullable=False),  # '' for a socket destination
    sa.Column("secret", sa.Text, nullable=False),
    sa.Column("label", sa.Text),
    sa.Column("format", sa.Text, nullable=False),
    # webhook, socket, or a message bus: nats, redis, amqp, sqs
    sa.Column("method", sa.Text, nullable=False, server_default="webhook"),
    # JSON list of the event types this destination receives.
    sa.Column("events", sa.Text, nullable=False, server_default=DEFAULT_EVENTS_JSON),
    sa.Column("timeout_s", sa.Double, nullable=False),
    sa.Column("retry_schedule", sa.Text, nullable=False),
    sa.Column("enabled", sa.Boolean, nullable=False),
    sa.Column("disabled_reason", sa.Text),
    sa.Column("created_at", sa.Double, nullable=False),
    sa.Column("updated_at", sa.Double, nullable=False),
    sa.Column("deleted_at", sa.Double),
    # Scope: NULL for all the tenant's numbers, else only this App's / activation's events.
    sa.Column("app_id", sa.Text, sa.ForeignKey("apps.id")),
    sa.Column("activation_id", sa.Text, sa.ForeignKey("activations.id")),
    sa.Column("max_rate", sa.Double),  # deliveries per second; NULL: unlimited
    sa.Column("max_in_flight", sa.Integer),  # concurrent requests; NULL: the default
    # Per-conversation order; off lets a conversation's deliveries overtake each other.
    sa.Column("ordered", sa.Boolean, nullable=False, server_default=sa.true()),
    # Secret rotation: the old secret still signs (a second signature) until the time given.
    sa.Column("previous_secret", sa.Text),
    sa.Column("previous_secret_until", sa.Double),
    # Health: consecutive failed attempts and when that run of failures began.
    sa.Column("consecutive_failures", sa.Integer, nullable=False, server_default="0"),
    sa.Column("failing_since", sa.Double),
    sa.Column("disabled_at", sa.Double),
    # The circuit (delivery/circuit.py): transient failures in a row; while open (until
    # circuit_open_until) nothing is claimed but one probe; failed probes set the next wait.
    sa.Column("circuit_failures", sa.Integer, nullable=False, server_default="0"),
    sa.Column("circuit_open_until", sa.Double),
    sa.Column("circuit_probes", sa.Integer, nullable=False, server_default="0"),
    # An App's socket destination until the App's first socket connection: it queues
    # nothing then (no one may ever collect it); from that connection on, as Pipes.bot.
    sa.Column("waiting_for_socket", sa.Boolean, nullable=False, server_default=sa.false()),
    # A message-bus destination's broker (models.BrokerConfig as JSON), encrypted whole: the
    # URL may carry the password. NULL for webhook and socket destinations.
    sa.Column("broker", sa.Text),
    sa.Index("ix_destinations_tenant", "tenant_id"),
)

conversations = sa.Table(
    "conversations",
    metadata,
    sa.Column("id", sa.Text, primary_key=True),
    sa.Column("tenant_id", sa.Text, sa.ForeignKey("tenants.id"), nullable=False),
    sa.Column("number_id", sa.Text, sa.ForeignKey("numbers.id"), nullable=False),
    sa.Column("wa_id", sa.Text, nullable=False),  # whom replies go to: phone, else BSUID
    sa.Column("user_id", sa.Text),  # the contact's BSUID, once Meta sent one
    # A group's conversation: wa_id is the group id, replies go to the group.
    sa.Column("is_group", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("contact_name", sa.Text),
    sa.Column("last_inbound_at", sa.Double),
    sa.Column("created_at", sa.Double, nullable=False),
    # Pool numbers: the activation that routed the sender here (its label goes out).
    sa.Column("activation_id", sa.Text, sa.ForeignKey("activations.id")),
    sa.Column("external_user_id", sa.Text),  # the tenant's own id for this user
    sa.Column("labels", sa.Text, nullable=False, server_default="[]"),  # JSON list
    sa.Column("last_message_at", sa.Double),  # either direction, for listing
    # A pool number's sender re-activated for another tenant starts a new conversation.
    sa.UniqueConstraint(
        "tenant_id", "number_id", "wa_id", name="uq_conversations_tenant_number_contact"
    ),
    # A contact's conversations (the list's waId filter, the dashboard's phone search).
    sa.Index("ix_conversations_tenant_contact", "tenant_id", "wa_id"),
    sa.Index("ix_conversations_user_id", "tenant_id", "number_id", "user_id"),
)

# The conversation list's order (newest activity first, list_conversations' keyset): pages
# read in index order instead of sorting every conversation of the tenant (180 ms a page at
# 100,000 on SQLite before it). It replaces (tenant_id, last_message_at), which no query's
# order matched, so a message still updates one index of its conversation.
sa.Index(
    "ix_conversations_tenant_activity",
    conversations.c.tenant_id,
    sa.func.coalesce(conversations.c.last_message_at, conversations.c.created_at),
    conversations.c.id,
)

conversation_notes = sa.Table(
    "conversation_notes",
    metadata,
    sa.Column("id", sa.Text, primary_key=True),
    sa.Column("conversation_id", sa.Text, sa.ForeignKey("conversations.id"), nullable=False),
    sa.Column("text", sa.Text, nullable=False),
    sa.Column("created_at", sa.Double, nullable=False),
    sa.Index("ix_conversation_notes_conversation", "conversation_id", "created_at"),
)

messages = sa.Table(
    "messages",
    metadata,
    sa.Column("seq", sa.BigInteger().with_variant(sa.Integer, "sqlite"), primary_key=True),
    sa.Column("number_id", sa.Text, sa.ForeignKey("numbers.id"), nullable=False),
    sa.Column("conversation_id", sa.Text, sa.ForeignKey("conversations.id"), nullable=False),
    sa.Column("wamid", sa.Text, nullable=False),
    sa.Column("direction", sa.Text, nullable=False),  # "in" or "out"
    sa.Column("type", sa.Text, nullable=False),
    sa.Column("timestamp", sa.BigInteger, nullable=False),
    sa.Column("item", sa.Text, nullable=False),  # Meta's message object, verbatim
    sa.Column("contact", sa.Text),  # Meta's contact object, verbatim
    sa.Column("status", sa.Text),  # outbound only: accepted/sent/delivered/read/played/failed
    sa.Column("status_rank", sa.Integer, nullable=False, server_default="0"),
    sa.Column("status_at", sa.Double),
    sa.Column("created_at", sa.Double, nullable=False),
    # Meta delivers at least once: the same wamid on the same number is one message.
    sa.UniqueConstraint("number_id", "wamid", name="uq_messages_number_wamid"),
    sa.Index("ix_messages_conversation", "conversation_id", "seq"),
)

message_statuses = sa.Table(
    "message_statuses",
    metadata,
    sa.Column("seq", sa.BigInteger().with_variant(sa.Integer, "sqlite"), primary_key=True),
    sa.Column("number_id", sa.Text, sa.ForeignKey("numbers.id"), nullable=False),
    sa.Column("wamid", sa.Text, nullable=False),
    sa.Column("status", sa.Text, nullable=False),
    sa.Column("timestamp", sa.BigInteger, nullable=False),
    sa.Column("recipient_id", sa.Text, nullable=False),
    sa.Column("item", sa.Text, nullable=False),
    sa.Column("created_at", sa.Double, nullable=False),
    # A status of no message of ours: waiting, then matched or published as external.
    sa.Column("external_state", sa.Text),
    sa.UniqueConstraint("number_id", "wamid", "status", name="uq_message_statuses"),
    sa.Index(
        "ix_message_statuses_waiting",
        "created_at",
        sqlite_where=sa.text("external_state = 'waiting'"),
        postgresql_where=sa.text("external_state = 'waiting'"),
    ),
)

unhandled_updates = sa.Table(
    "unhandled_updates",
    metadata,
    sa.Column("seq", sa.BigInteger().with_variant(sa.Integer, "sqlite"), primary_key=True),
    sa.Column("number_id", sa.Text),
    sa.Column("field", sa.Text, nullable=False),
    sa.Column("value", sa.Text, nullable=False),
    sa.Column("created_at", sa.Double, nullable=False),
)

media = sa.Table(
    "media",
    metadata,
    sa.Column("seq", sa.BigInteger().with_variant(sa.Integer, "sqlite"), primary_key=True),
    sa.Column("id", sa.Text, nullable=False, unique=True),  # 21 random characters, public
    sa.Column("tenant_id", sa.Text, sa.ForeignKey("tenants.id"), nullable=False),
    sa.Column("number_id", sa.Text, sa.ForeignKey("numbers.id")),
    sa.Column("message_seq", sa.BigInteger, sa.ForeignKey("messages.seq")),  # inbound only
    sa.Column("graph_media_id", sa.Text),  # Meta's id; never shown as ours
    sa.Column("kind", sa.Text, nullable=False),  # image, audio, video, document, sticker
    # pending (being fetched) → ready | unavailable; → purged when expired.
    sa.Column("state", sa.Text, nullable=False),
    sa.Column("reason", sa.Text),  # why unavailable
    sa.Column("blob_key", sa.Text),
    sa.Column("mime_type", sa.Text, nullable=False),
    sa.Column("file_name", sa.Text),
    sa.Column("byte_size", sa.BigInteger, nullable=False),
    sa.Column("duration_s", sa.Integer),  # audio/video length, when read (media/durations.py)
    sa.Column("sha256", sa.Text),  # as the webhook gave it (base64)
    sa.Column("attempts", sa.Integer, nullable=False),
    # The fetch job's due time; while a process fetches it, that lease's end.
    sa.Column("next_attempt_at", sa.Double, nullable=False),
    sa.Column("expires_at", sa.Double, nullable=False),
    sa.Column("created_at", sa.Double, nullable=False),
    sa.Column("updated_at", sa.Double, nullable=False),
    sa.Index(
        "ix_media_pending",
        "next_attempt_at",
        sqlite_where=sa.text("state = 'pending'"),
        postgresql_where=sa.text("state = 'pending'"),
    ),
    sa.Index("ix_media_message", "message_seq"),
    sa.Index("ix_media_expires", "expires_at"),
)

events = sa.Table(
    "events",
    metadata,
    sa.Column("seq", sa.BigInteger().with_variant(sa.Integer, "sqlite"), primary_key=True),
    sa.Column("id", sa.Text, nullable=False, unique=True),
    sa.Column("tenant_id", sa.Text, sa.ForeignKey("tenants.id"), nullable=False),
    sa.Column("type", sa.Text, nullable=False),
    sa.Column("conversation_id", sa.Text),
    sa.Column("message_seq", sa.BigInteger, sa.ForeignKey("messages.seq")),
    sa.Column("data", sa.Text),  # outbound status events: Meta's status object, verbatim
    sa.Column("created_at", sa.Double, nullable=False),
    # ``entry[].id`` of the notification a message or status came in, as Meta sent it (the
    # meta format passes it through); None for what Meta did not send us.
    sa.Column("entry_id", sa.Text),
)

deliveries = sa.Table(
    "deliveries",
    metadata,
    sa.Column("seq", sa.BigInteger().with_variant(sa.Integer, "sqlite"), primary_key=True),
    sa.Column("id", sa.Text, nullable=False, unique=True),  # sent as webhook-id
    sa.Column("tenant_id", sa.Text, sa.ForeignKey("tenants.id"), nullable=False),
    sa.Column("destination_id", sa.Text, sa.ForeignKey("destinations.id"), nullable=False),
    sa.Column("event_seq", sa.BigInteger, sa.ForeignKey("events.seq"), nullable=False),
    # Ordering key: a delivery waits while an earlier one of the same conversation to the
    # same destination is still pending or leased.
    sa.Column("conversation_id", sa.Text),
    sa.Column("state", sa.Text, nullable=False),
    # Due time; while leased, the lease's end, so an abandoned lease simply becomes due.
    sa.Column("next_attempt_at", sa.Double, nullable=False),
    sa.Column("attempts", sa.Integer, nullable=False),  # in the current round (schedule index)
    sa.Column("total_attempts", sa.Integer, nullable=False),
    # What a claim may take: for an ordered destination, no earlier delivery of the same
    # conversation to it is active (the head of the conversation's queue); for an unordered
    # one, every active delivery. Kept by triggers (migration 0010) on every change of
    # state, so a claim reads heads, not whole queues, however long they are.
    sa.Column("head", sa.Boolean, nullable=False, server_default=sa.true()),
    # Transient failures retried at once, outside the schedule (delivery/decisions.py).
    sa.Column("retries_in_place", sa.Integer, nullable=False, server_default="0"),
    # Non-null while a prior step (e.g. the media download) must finish first.
    sa.Column("hold", sa.Text),
    # Set once a webhook delivery's fast retries failed: the socket may deliver it too, and
    # whichever channel is acknowledged first finishes it.
    sa.Column("offered_to_socket_at", sa.Double),
    # Written to a socket (and so finished) by this pump: other processes' pumps copy it to
    # their own connections of the tenant (socket/pump.py).
    sa.Column("socket_sent_at", sa.Double),
    sa.Column("socket_sent_by", sa.Text),
    # Which socket hub holds the lease (socket deliveries wait leased for their ack).
    sa.Column("lease_owner", sa.Text),
    sa.Column("last_status_code", sa.Integer),
    sa.Column("last_error", sa.Text),
    sa.Column("created_at", sa.Double, nullable=False),
    sa.Column("updated_at", sa.Double, nullable=False),
    sa.Index(
        "ix_deliveries_order",
        "destination_id",
        "conversation_id",
        "seq",
        sqlite_where=sa.text(ACTIVE_DELIVERY),
        postgresql_where=sa.text(ACTIVE_DELIVERY),
    ),
    # The claim's way in: each destination's heads by due time.
    sa.Index(
        "ix_deliveries_heads_due",
        "destination_id",
        "next_attempt_at",
        sqlite_where=sa.text(HEAD_DELIVERY),
        postgresql_where=sa.text(HEAD_DELIVERY),
    ),
    # A conversation's head, found by the triggers that move it.
    sa.Index(
        "ix_deliveries_heads",
        "destination_id",
        "conversation_id",
        sqlite_where=sa.text(HEAD_DELIVERY),
        postgresql_where=sa.text(HEAD_DELIVERY),
    ),
    # A conversation's deliveries, newest first (GET /v1/deliveries?conversationId=).
    sa.Index("ix_deliveries_conversation", "conversation_id", "seq"),
    # A tenant's deliveries by creation time (lists, recoveries), carrying what the
    # dashboard's counts read, so they never touch the table (store/sql/stats.sql).
    sa.Index(
        "ix_deliveries_tenant_stats",
        "tenant_id",
        "created_at",
        "destination_id",
        "state",
        "updated_at",
    ),
    sa.Index(
        "ix_deliveries_socket_sent",
        "tenant_id",
        "socket_sent_at",
        sqlite_where=sa.text("socket_sent_at IS NOT NULL"),
        postgresql_where=sa.text("socket_sent_at IS NOT NULL"),
    ),
    # The oldest waiting delivery (/metrics), without reading every active one.
    sa.Index(
        "ix_deliveries_active_created",
        "created_at",
        sqlite_where=sa.text(ACTIVE_DELIVERY),
        postgresql_where=sa.text(ACTIVE_DELIVERY),
    ),
    sa.Index(
        "ix_deliveries_hold",
        "hold",
        sqlite_where=sa.text("hold IS NOT NULL"),
        postgresql_where=sa.text("hold IS NOT NULL"),
    ),
    sa.Index(
        "ix_deliveries_tenant_open",
        "tenant_id",
        "seq",
        sqlite_where=sa.text(OPEN_DELIVERY),
        postgresql_where=sa.text(OPEN_DELIVERY),
    ),
)

attempts = sa.Table(
    "attempts",
    metadata,
    sa.Column("seq", sa.BigInteger().with_variant(sa.Integer, "sqlite"), primary_key=True),
    sa.Column("delivery_seq", sa.BigInteger, sa.ForeignKey("deliveries.seq"), nullable=False),
    sa.Column("attempt", sa.Integer, nullable=False),
    sa.Column("started_at", sa.Double, nullable=False),
    sa.Column("status_code", sa.Integer),
    sa.Column("latency_ms", sa.Double, nullable=False),
    sa.Column("response_excerpt", sa.Text, nullable=False),
    sa.Column("error", sa.Text),
    sa.Column("error_detail", sa.Text),
    sa.Column("channel", sa.Text, nullable=False, server_default="webhook"),  # or "socket"
    sa.Index("ix_attempts_delivery", "delivery_seq", "attempt"),
)

# "Recover all failed in a time range": a background job re-queues them in chunks.
recovery_jobs = sa.Table(
    "recovery_jobs",
    metadata,
    sa.Column("seq", sa.BigInteger().with_variant(sa.Integer, "sqlite"), primary_key=True),
    sa.Column("id", sa.Text, nullable=False, unique=True),
    sa.Column("tenant_id", sa.Text, sa.ForeignKey("tenants.id"), nullable=False),
    sa.Column("destination_id", sa.Text, sa.ForeignKey("destinations.id")),
    sa.Column("since", sa.Double, nullable=False),
    sa.Column("until", sa.Double, nullable=False),
    sa.Column("state", sa.Text, nullable=False),  # pending → running → done | failed
    sa.Column("total", sa.Integer),  # failed deliveries found when it started
    sa.Column("recovered", sa.Integer, nullable=False, server_default="0"),
    sa.Column("cursor_seq", sa.BigInteger),  # last delivery seq handled
    sa.Column("lease_until", sa.Double),
    sa.Column("error", sa.Text),
    sa.Column("created_at", sa.Double, nullable=False),
    sa.Column("updated_at", sa.Double, nullable=False),
    sa.Column("finished_at", sa.Double),
    sa.Index("ix_recovery_jobs_tenant", "tenant_id", "seq"),
)

# The gateway processes sharing this database, each seen by its heartbeat
# (delivery/peers.py): each process with a dispatcher takes its share of every
# destination's maxInFlight and maxRate, and the operator sees who is running.
gateway_processes = sa.Table(
    "gateway_processes",
    metadata,
    sa.Column("id", sa.Text, primary_key=True),
    sa.Column("host", sa.Text, nullable=False),
    sa.Column("pid", sa.Integer, nullable=False),
    sa.Column("version", sa.Text, nullable=False),
    sa.Column("worker", sa.Boolean, nullable=False),  # runs a dispatcher: takes a share
    sa.Column("started_at", sa.Double, nullable=False),
    sa.Column("seen_at", sa.Double, nullable=False),
)
