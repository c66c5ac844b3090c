"""Domain types shared between the stages of a message's path.

Plain dicts never cross module lines, except Meta's own message/contact objects, which are
kept verbatim (``item``/``contact``) because formats such as ``meta`` must forward every field
Meta sent, including ones we do not know yet.
"""

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, NewType

Wamid = NewType("Wamid", str)
ConversationId = NewType("ConversationId", str)
DeliveryId = NewType("DeliveryId", str)

Clock = Callable[[], float]
"""Returns the current time in Unix seconds; injected so retry and expiry tests never sleep."""

JsonObject = dict[str, Any]


class EventType(StrEnum):
    MESSAGE_IN_NEW = "message:in:new"
    MESSAGE_UPDATE = "message:update"
    MESSAGE_REACTION = "message:reaction"
    MESSAGE_OUT_NEW = "message:out:new"
    MESSAGE_OUT_ACK = "message:out:ack"
    MESSAGE_OUT_FAILED = "message:out:failed"
    DESTINATION_DISABLED = "destination:disabled"
    TEST = "test"


class DeliveryState(StrEnum):
    PENDING = "pending"  # waiting for its next attempt (or for its media, or its turn)
    LEASED = "leased"  # claimed by a dispatcher; the lease expires if that process dies
    SUCCEEDED = "succeeded"
    FAILED = "failed"  # ran out of attempts; can be re-sent through the API
    DROPPED = "dropped"  # removed from a socket queue by a retention limit (never silently)


class DeliveryMethod(StrEnum):
    WEBHOOK = "webhook"  # POSTed to the destination's URL
    SOCKET = "socket"  # pushed to the tenant's WebSocket connections, queued while offline


DEFAULT_EVENTS: tuple[str, ...] = (
    EventType.MESSAGE_IN_NEW.value,
    EventType.MESSAGE_UPDATE.value,
    EventType.MESSAGE_REACTION.value,
)
"""What a destination receives unless it subscribes to more (or fewer) event types."""

OUT_EVENT_FOR_STATUS: dict[str, EventType] = {
    "sent": EventType.MESSAGE_OUT_ACK,
    "delivered": EventType.MESSAGE_OUT_ACK,
    "read": EventType.MESSAGE_OUT_ACK,
    "played": EventType.MESSAGE_OUT_ACK,
    "failed": EventType.MESSAGE_OUT_FAILED,
}


class OutboundStatus(StrEnum):
    """Meta's statuses for messages we sent, in the order they may only move forward."""

    ACCEPTED = "accepted"
    SENT = "sent"
    DELIVERED = "delivered"
    READ = "read"
    PLAYED = "played"
    FAILED = "failed"


STATUS_RANK: dict[str, int] = {s.value: i for i, s in enumerate(OutboundStatus)}


@dataclass(frozen=True, slots=True, kw_only=True)
class Tenant:
    id: str
    name: str
    created_at: float


class KeyKind(StrEnum):
    OPERATOR = "operator"  # op_live_…: the gateway's operator (tenants, numbers, Apps)
    TENANT = "tenant"  # pk_live_…: a customer account
    APP = "app"  # ak_live_…: one of a tenant's Apps (dedicated numbers, templates)


@dataclass(frozen=True, slots=True, kw_only=True)
class Principal:
    """Who made a request: the operator, a tenant, or a tenant's App."""

    kind: KeyKind
    tenant: Tenant | None = None  # None only for the operator
    app_id: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class KeyRecord:
    """A tenant or operator API key as listed: never the key itself, nor its hash."""

    id: str
    prefix: str  # the key's first characters, for people to tell keys apart
    label: str | None
    created_at: float
    revoked_at: float | None


@dataclass(frozen=True, slots=True, kw_only=True)
class Number:
    """A WhatsApp Business number and its Cloud API connection."""

    id: str
    # The owner of a dedicated number; None for a pool number (routed by activations).
    tenant_id: str | None
    kind: str  # "pool" or "dedicated"
    phone_number_id: str
    waba_id: str
    display_phone_number: str
    access_token: str
    app_secret: str
    verify_token: str
    graph_base_url: str
    created_at: float
    app_id: str | None = None  # a dedicated number's App
    display_name: str | None = None
    health: str = "unknown"  # healthy / degraded / down, from Graph API token checks
    health_detail: str | None = None
    health_checked_at: float | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class App:
    """A tenant's application: owns dedicated numbers, has one key (ak_live_…)."""

    id: str
    tenant_id: str
    name: str
    slug: str  # unique, URL-safe, immutable
    key_prefix: str | None  # the key's first characters, for display
    created_at: float
    updated_at: float


@dataclass(frozen=True, slots=True, kw_only=True)
class AppNumber:
    """One of an App's numbers, with how many conversations have their window open."""

    number: Number
    active_conversations: int


@dataclass(frozen=True, slots=True, kw_only=True)
class Destination:
    id: str
    tenant_id: str
    number_id: str | None  # None: every number of the tenant
    url: str
    secret: str
    label: str | None
    format: str
    timeout_s: float
    retry_schedule: tuple[float, ...]
    enabled: bool
    disabled_reason: str | None
    created_at: float
    method: str = DeliveryMethod.WEBHOOK.value
    events: tuple[str, ...] = DEFAULT_EVENTS
    activation_id: str | None = None  # only this pool activation's conversations
    app_id: str | None = None  # only this App's events (its numbers'); None: the tenant's
    # --- options and health (api/destinations/, delivery/pacing.py, delivery/health.py)
    max_rate: float | None = None  # deliveries per second, per process; None: unlimited
    max_in_flight: int | None = None  # concurrent requests per process; None: the default
    ordered: bool = True  # False: a conversation's deliveries may overtake each other
    # Secret rotation: until ``previous_secret_until`` the old secret signs too.
    previous_secret: str | None = None
    previous_secret_until: float | None = None
    consecutive_failures: int = 0
    failing_since: float | None = None  # when the current run of failures began
    disabled_at: float | None = None  # set when the gateway disabled it (410, failures)

    def signing_secrets(self, now: float) -> tuple[str, str | None]:
        """The secret, and the previous one while its grace period lasts."""
        if (
            self.previous_secret
            and self.previous_secret_until is not None
            and now < self.previous_secret_until
        ):
            return self.secret, self.previous_secret
        return self.secret, None

    def wants(self, event_type: str) -> bool:
        return event_type in self.events


# --- what ingress hands to the store -------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class InboundMessage:
    """One item of ``value.messages[]``; ``item`` is Meta's object verbatim."""

    wamid: Wamid
    phone_number_id: str
    from_wa_id: str
    timestamp: int  # Unix seconds, as Meta sent it
    type: str
    item: JsonObject
    contact: JsonObject | None  # the matching ``value.contacts[]`` entry
    display_phone_number: str

    @property
    def event_type(self) -> EventType:
        if self.type in ("edit", "revoke"):
            return EventType.MESSAGE_UPDATE
        if self.type == "reaction":
            return EventType.MESSAGE_REACTION
        return EventType.MESSAGE_IN_NEW

    @property
    def media_id(self) -> str | None:
        media = self.item.get(self.type)
        if self.type in MEDIA_TYPES and isinstance(media, dict):
            value = media.get("id")
            return str(value) if value is not None else None
        return None


MEDIA_TYPES = frozenset({"image", "audio", "video", "document", "sticker"})


@dataclass(frozen=True, slots=True, kw_only=True)
class StatusUpdate:
    """One item of ``value.statuses[]``: news about a message we sent."""

    wamid: Wamid
    phone_number_id: str
    status: str
    timestamp: int
    recipient_id: str
    item: JsonObject


@dataclass(frozen=True, slots=True, kw_only=True)
class UnhandledUpdate:
    """A change we do not parse (another webhook field, value-level errors): kept raw."""

    phone_number_id: str | None
    field: str
    value: JsonObject


@dataclass(frozen=True, slots=True, kw_only=True)
class IngestBatch:
    """Everything one Meta POST carried for known numbers; stored in one transaction."""

    messages: list[InboundMessage] = field(default_factory=list)
    statuses: list[StatusUpdate] = field(default_factory=list)
    unhandled: list[UnhandledUpdate] = field(default_factory=list)
    # For pool numbers' messages, read before the transaction (pool/ingest.py): the codes
    # each text carries, by wamid, and what the replies say.
    codes: dict[str, "CodeCandidates"] = field(default_factory=dict)
    notices: "NoticeRules | None" = None


class NoticeKind(StrEnum):
    ACTIVATED = "activated"  # the code bound the sender
    ALREADY_ACTIVE = "already_active"  # a code of the account the sender is activated for
    TAKEN = "taken"  # the sender is activated for another tenant on this number
    CODE_USED = "code_used"
    CODE_EXPIRED = "code_expired"
    CODE_UNKNOWN = "code_unknown"  # the message is only a code, and no code of this number
    NOT_ACTIVATED = "not_activated"  # a message from a sender nobody activated
    DEACTIVATED = "deactivated"  # a message from a sender whose activation ended


@dataclass(frozen=True, slots=True, kw_only=True)
class CodeCandidates:
    """The activation codes a pool number's text may carry, as stored (hashed)."""

    hashes: tuple[str, ...]
    only_a_code: bool  # the whole text is code-shaped


@dataclass(frozen=True, slots=True, kw_only=True)
class NoticeRules:
    """What each notice says, and how many of a kind one sender may get per period
    (None: no limit); chosen by pool/notices.py."""

    texts: Mapping[NoticeKind, str]
    limits: Mapping[NoticeKind, int | None]
    interval_s: float


@dataclass(frozen=True, slots=True, kw_only=True)
class IngestOutcome:
    stored: int
    duplicates: int
    statuses: int
    deliveries: int
    tenants: frozenset[str] = frozenset()  # whose new deliveries may be waiting for a socket
    notices: int = 0  # replies queued for pool-number senders


@dataclass(frozen=True, slots=True, kw_only=True)
class Conversation:
    """One (number, contact) pair, with what a reply needs."""

    id: str
    tenant_id: str
    number: Number
    wa_id: str
    contact_name: str | None
    last_inbound_at: float | None
    # Pool numbers: the activation that routes this conversation, and its state.
    activation_id: str | None = None
    activation_state: str | None = None


# --- what the dispatcher works with --------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class MediaInfo:
    """Our stored copy of a message's file (filled by the media pipeline)."""

    media_id: str | None
    mime_type: str
    byte_size: int
    file_name: str | None = None
    unavailable: bool = False


@dataclass(frozen=True, slots=True, kw_only=True)
class MediaJob:
    """An inbound file to fetch from the Graph API (a row of ``media`` in state pending)."""

    id: str
    tenant_id: str
    kind: str
    graph_media_id: str | None
    mime_type: str
    sha256: str | None
    file_name: str | None
    graph_base_url: str
    access_token: str
    attempts: int


@dataclass(frozen=True, slots=True, kw_only=True)
class MediaRecord:
    id: str
    tenant_id: str
    kind: str
    state: str  # pending, ready, unavailable, purged
    reason: str | None
    blob_key: str | None
    mime_type: str
    file_name: str | None
    byte_size: int
    expires_at: float
    created_at: float


@dataclass(frozen=True, slots=True, kw_only=True)
class MessageEvent:
    """What a payload format needs to render one inbound message."""

    event_type: str
    number_id: str
    display_phone_number: str
    phone_number_id: str  # Meta's id of the number
    waba_id: str
    conversation_id: str
    label: str | None
    item: JsonObject
    contact: JsonObject | None
    test: bool = False
    media: MediaInfo | None = None
    # Outbound events: Meta's status object (message:out:ack/failed); ``item`` is then the
    # message we sent.
    status: JsonObject | None = None
    wa_id: str = ""  # the conversation's contact
    # Events about the gateway itself (destination:disabled): what happened, as JSON.
    data: JsonObject | None = None
    # The conversation as it stood at this message, loaded at send time only for formats
    # that need it (``summary``); None elsewhere.
    conversation: "ConversationContext | None" = None

    @property
    def is_outbound(self) -> bool:
        return self.event_type.startswith("message:out:")


@dataclass(frozen=True, slots=True, kw_only=True)
class ClaimedDelivery:
    """A delivery leased to this process: send it, then record the attempt."""

    id: DeliveryId
    attempts: int  # attempts already made in the current round
    destination: Destination
    event: MessageEvent
    created_at: float = 0.0


@dataclass(frozen=True, slots=True, kw_only=True)
class AttemptResult:
    """One HTTP attempt, as recorded on the delivery."""

    delivery_id: DeliveryId
    started_at: float
    status_code: int | None
    latency_ms: float
    response_excerpt: str
    error: str | None  # None on success; else a stable kind: timeout, connect, status_5xx...
    error_detail: str | None = None
    retry_after_s: float | None = None

    @property
    def succeeded(self) -> bool:
        return self.error is None


@dataclass(frozen=True, slots=True, kw_only=True)
class AttemptDecision:
    """What happens to a delivery after an attempt."""

    result: AttemptResult
    next_attempt_at: float | None  # None: finished (succeeded or failed)
    disable_destination: bool = False
    # The webhook's fast retries are spent: offer the message on the tenant's socket too.
    offer_to_socket: bool = False


@dataclass(frozen=True, slots=True, kw_only=True)
class FailureRun:
    """How a batch of attempts moves one destination's run of consecutive failures."""

    destination_id: str
    # A success ended the run: it restarts at ``failures`` (those after the last success);
    # otherwise ``failures`` are added to it.
    reset: bool
    failures: int
    since: float | None  # when the first of those failures started
    gone_reason: str | None = None  # the receiver said it is gone: disable, for this reason


@dataclass(frozen=True, slots=True, kw_only=True)
class HealthUpdate:
    """What recorded attempts do to destinations' health, decided in delivery/health.py;
    the store applies it in the transaction that records the attempts, so the counts it
    judges are the ones just written (another process may have added to them)."""

    runs: Sequence[FailureRun]
    # (failures, failing_since, now) as counted after the batch -> why it is disabled, or
    # None to keep it enabled.
    disable_reason: Callable[[int, float | None, float], str | None]


@dataclass(frozen=True, slots=True, kw_only=True)
class DeliveryRecord:
    id: str
    tenant_id: str
    destination_id: str
    event_id: str
    event_type: str
    conversation_id: str | None
    message_wamid: str | None
    state: str
    attempts: int
    next_attempt_at: float | None
    created_at: float
    updated_at: float
    last_status_code: int | None
    last_error: str | None
    method: str = DeliveryMethod.WEBHOOK.value
    offered_to_socket: bool = False


@dataclass(frozen=True, slots=True, kw_only=True)
class AttemptRecord:
    attempt: int
    started_at: float
    status_code: int | None
    latency_ms: float
    response_excerpt: str
    error: str | None
    error_detail: str | None
    channel: str = DeliveryMethod.WEBHOOK.value


# --- conversations, their messages, and recovery jobs (conversations API, summary) ------


@dataclass(frozen=True, slots=True, kw_only=True)
class ConversationNote:
    id: str
    text: str
    created_at: float


@dataclass(frozen=True, slots=True, kw_only=True)
class ConversationRecord:
    """A conversation as the API shows it."""

    id: str
    tenant_id: str
    number_id: str
    wa_id: str
    contact_name: str | None
    external_user_id: str | None
    labels: tuple[str, ...]
    last_inbound_at: float | None
    last_message_at: float | None
    created_at: float
    activation_id: str | None = None
    notes: tuple[ConversationNote, ...] = ()
    inbound_count: int = 0
    outbound_count: int = 0


@dataclass(frozen=True, slots=True, kw_only=True)
class MessageRecord:
    """One stored message of a conversation, either direction; ``item`` is Meta's object
    (inbound) or what we sent (outbound)."""

    seq: int
    wamid: str
    direction: str  # "in" or "out"
    type: str
    timestamp: int  # Unix seconds
    item: JsonObject
    status: str | None  # outbound only
    status_at: float | None
    created_at: float
    media: MediaInfo | None = None  # inbound files: our stored copy


@dataclass(frozen=True, slots=True, kw_only=True)
class ConversationContext:
    """What the ``summary`` format renders besides the event: the conversation up to and
    including the event's message."""

    wa_id: str
    contact_name: str | None
    external_user_id: str | None
    labels: tuple[str, ...]
    notes: tuple[ConversationNote, ...]
    recent: tuple[MessageRecord, ...]  # newest first
    last_inbound: MessageRecord | None
    last_outbound: MessageRecord | None
    public_url: str = ""  # absolute base of media download URLs


class RecoveryState(StrEnum):
    PENDING = "pending"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"


@dataclass(frozen=True, slots=True, kw_only=True)
class RecoveryJob:
    """Re-queue every failed delivery of a tenant created in [since, until)."""

    id: str
    tenant_id: str
    destination_id: str | None
    since: float
    until: float
    state: str
    total: int | None  # failed deliveries in the range when the job started
    recovered: int
    cursor_seq: int | None
    lease_until: float | None
    error: str | None
    created_at: float
    updated_at: float
    finished_at: float | None
