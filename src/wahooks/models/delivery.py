"""What the dispatcher works with: claimed deliveries, attempts, media jobs, health."""

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from wahooks.models.conversations import ChatFacts, ConversationContext
from wahooks.models.core import DeliveryId, DeliveryMethod, Destination, JsonObject, MediaInfo


@dataclass(frozen=True, slots=True, kw_only=True)
class MediaJob:
    """An inbound file to fetch from the Graph API (a row of ``media`` in state pending)."""

    id: str
    tenant_id: str
    number_id: str
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
    # The conversation's counts and times and its number's facts, loaded at send time only
    # for formats that need them (``wassenger``); None elsewhere.
    chat: "ChatFacts | None" = None
    # ``entry[].id`` of the notification Meta sent this message or status in (the meta
    # format passes it through); None for what did not come from Meta (our sends).
    entry_id: str | None = None

    @property
    def is_outbound(self) -> bool:
        return self.event_type.startswith("message:out:")


@dataclass(frozen=True, slots=True, kw_only=True)
class ClaimedDelivery:
    """A delivery leased to this process: send it, then record the attempt."""

    id: DeliveryId
    attempts: int  # attempts already made in the current round
    destination: Destination
    total_attempts: int = 0  # every attempt made, all rounds (the next one is this + 1)
    event: MessageEvent
    created_at: float = 0.0
    retries_in_place: int = 0  # transient failures retried at once, outside the schedule
    probe: bool = False  # claimed as its destination's circuit probe (delivery/circuit.py)


@dataclass(frozen=True, slots=True)
class SocketClaim:
    """What a socket pump takes in one look, in the order to write it: the deliveries it
    leased, and copies of what other processes' pumps wrote to their sockets."""

    deliveries: list[ClaimedDelivery]
    copies: dict[str, float]  # of deliveries: the ids that are copies, when each was written
    # Where the look for copies ended: (written at, seq) of the last one read, and how many.
    copies_end: tuple[float, int] | None = None
    copies_read: int = 0


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
    # A message bus confirmed it (delivery/brokers/): an answer without an HTTP status, so
    # health and the circuit count it as the receiver's, unlike a skipped event.
    confirmed: bool = False

    @property
    def succeeded(self) -> bool:
        return self.error is None

    @property
    def reached(self) -> bool:
        """The receiver (or broker) answered, whatever it said."""
        return self.status_code is not None or self.confirmed


@dataclass(frozen=True, slots=True, kw_only=True)
class AttemptDecision:
    """What happens to a delivery after an attempt."""

    result: AttemptResult
    next_attempt_at: float | None  # None: finished (succeeded or failed)
    disable_destination: bool = False
    # The webhook's fast retries are spent: offer the message on the tenant's socket too.
    offer_to_socket: bool = False
    # The attempt moves the delivery's own retry schedule on (False: the failure was its
    # destination's, charged to the circuit); ``in_place``: it used one retry in place.
    advance: bool = True
    in_place: bool = False
    probe: bool = False  # the attempt was its destination's circuit probe


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
    # The circuit: transient failures after the batch's last other answer (all of them if
    # there was none), whether there was such an answer (the receiver is up), whether the
    # circuit's probe failed, and the longest Retry-After of a throttling answer.
    transient: int = 0
    answered: bool = False
    probe_failed: bool = False
    retry_after_s: float | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class CircuitState:
    """A destination's circuit as the store holds it, just after a batch's counts."""

    failures: int
    open_until: float | None
    probes: int


@dataclass(frozen=True, slots=True, kw_only=True)
class CircuitMove:
    """The circuit's new state: open until a time (None: closed), with its failed probes."""

    open_until: float | None
    probes: int


@dataclass(frozen=True, slots=True, kw_only=True)
class HealthUpdate:
    """What recorded attempts do to destinations' health, decided in delivery/health.py;
    the store applies it in the transaction that records the attempts, so the counts it
    judges are the ones just written (another process may have added to them)."""

    runs: Sequence[FailureRun]
    # (failures, failing_since, now, circuit open) as counted after the batch -> why it is
    # disabled, or None to keep it enabled.
    disable_reason: Callable[[int, float | None, float, bool], str | None]
    # (the run, its circuit after the counts, now) -> the circuit's move, or None to leave
    # it; None: circuits are not kept (tests of the health counts alone).
    circuit_move: Callable[[FailureRun, CircuitState, float], CircuitMove | None] | None = None
    # Failures in a row that raise a "destination failing" alert, when the count reaches
    # it; 0: none.
    alert_after_failures: int = 0


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


@dataclass(frozen=True, slots=True, kw_only=True)
class QueueFigures:
    """The delivery queue and its neighbours, as read from the database for one scrape."""

    deliveries_by_state: Mapping[str, int]
    oldest_pending_age_s: float
    disabled_destinations: int
    failing_destinations: int
    media_by_state: Mapping[str, int]


@dataclass(frozen=True, slots=True, kw_only=True)
class Alert:
    """A condition to tell the operator and the tenant of, through one channel."""

    id: str
    tenant_id: str
    tenant_name: str
    tenant_email: str | None  # the tenant's alert address, if it set one
    kind: str  # destination_failing, destination_disabled, number_down
    subject: str  # what it is about (a destination id): one alert per interval for it
    data: JsonObject
    attempts: int
    created_at: float
    channel: str = "mail"  # mail, operator_webhook, tenant_webhook (ALERT_CHANNELS)
    tenant_webhook_url: str | None = None  # the tenant's alert webhook, if it set one
    tenant_webhook_secret: str | None = None  # what signs it
