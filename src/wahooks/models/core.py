"""The gateway's nouns: tenants, keys, numbers, Apps, destinations, event types and states."""

from collections.abc import Callable
from dataclasses import dataclass
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
    # Changes of Meta's other webhook fields, each delivered as Meta sent it (FIELD_EVENTS).
    MESSAGE_ECHO = "message:echo"
    CALL_UPDATE = "call:update"
    USER_UPDATE = "user:update"
    TEMPLATE_UPDATE = "template:update"
    ACCOUNT_UPDATE = "account:update"
    GROUP_UPDATE = "group:update"
    HISTORY_SYNC = "history:sync"
    # An item of Meta's notification that does not parse (a status without timestamp, a
    # message without any sender id): kept as it came, with the reason.
    UNSUPPORTED = "unsupported"
    TEST = "test"


FIELD_EVENTS: dict[str, EventType] = {
    "smb_message_echoes": EventType.MESSAGE_ECHO,
    "calls": EventType.CALL_UPDATE,
    "user_preferences": EventType.USER_UPDATE,
    "user_id_update": EventType.USER_UPDATE,
    "message_template_status_update": EventType.TEMPLATE_UPDATE,
    "template_category_update": EventType.TEMPLATE_UPDATE,
    "message_template_quality_update": EventType.TEMPLATE_UPDATE,
    "message_template_components_update": EventType.TEMPLATE_UPDATE,
    "account_update": EventType.ACCOUNT_UPDATE,
    "account_alerts": EventType.ACCOUNT_UPDATE,
    "account_review_update": EventType.ACCOUNT_UPDATE,
    "business_capability_update": EventType.ACCOUNT_UPDATE,
    "phone_number_quality_update": EventType.ACCOUNT_UPDATE,
    "phone_number_name_update": EventType.ACCOUNT_UPDATE,
    "security": EventType.ACCOUNT_UPDATE,
    "group_lifecycle_update": EventType.GROUP_UPDATE,
    "group_participants_update": EventType.GROUP_UPDATE,
    "group_settings_update": EventType.GROUP_UPDATE,
    "group_status_update": EventType.GROUP_UPDATE,
    "history": EventType.HISTORY_SYNC,
    "smb_app_state_sync": EventType.HISTORY_SYNC,
}
"""Meta's webhook fields other than ``messages``, and the event each change becomes. A
field not listed becomes ``unsupported`` (kept and delivered, with the reason)."""

CHANGE_EVENTS = frozenset(FIELD_EVENTS.values())


class DeliveryState(StrEnum):
    PENDING = "pending"  # waiting for its next attempt (or for its media, or its turn)
    LEASED = "leased"  # claimed by a dispatcher; the lease expires if that process dies
    SUCCEEDED = "succeeded"
    FAILED = "failed"  # ran out of attempts; can be re-sent through the API
    DROPPED = "dropped"  # removed from a socket queue by a retention limit (never silently)


class DeliveryMethod(StrEnum):
    WEBHOOK = "webhook"  # POSTed to the destination's URL
    SOCKET = "socket"  # pushed to the tenant's WebSocket connections, queued while offline
    # Published into the customer's message bus (delivery/brokers/), confirmed by it.
    NATS = "nats"  # a JetStream stream's subject; finished on its PubAck
    REDIS = "redis"  # a Redis stream (XADD); finished on its reply
    AMQP = "amqp"  # a RabbitMQ exchange and routing key; finished on the publisher confirm


BROKER_METHODS = frozenset({DeliveryMethod.NATS, DeliveryMethod.REDIS, DeliveryMethod.AMQP})
"""The methods whose attempts are publishes into a message bus rather than POSTs."""
PUSH_METHODS = BROKER_METHODS | {DeliveryMethod.WEBHOOK}
"""What the dispatcher sends (the socket's pumps take the rest)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class BrokerConfig:
    """Where a message-bus destination publishes (each method uses its own fields).

    The whole of it is stored encrypted (store/destination_ops.py): the URL may carry the
    password. ``redacted_url`` is what the API and the logs show.
    """

    url: str  # nats://, tls://, redis://, rediss://, amqp://, amqps://
    username: str | None = None  # credentials given apart from the URL (they win over it)
    password: str | None = None
    stream: str | None = None  # nats: the JetStream stream that must take the message
    subject: str | None = None  # nats: the subject published to
    exchange: str | None = None  # amqp: the exchange ("" the default exchange)
    routing_key: str | None = None  # amqp
    stream_key: str | None = None  # redis: the stream's key
    maxlen: int | None = None  # redis: XADD MAXLEN ~ (trimmed approximately); None: no cap

    def as_json(self) -> dict[str, Any]:
        return {k: getattr(self, k) for k in self.__slots__ if getattr(self, k) is not None}

    @classmethod
    def from_json(cls, value: dict[str, Any]) -> "BrokerConfig":
        return cls(**value)

    @property
    def redacted_url(self) -> str:
        """The URL with any password in it replaced by ``***``."""
        return redact_url(self.url)


def redact_url(url: str) -> str:
    """``scheme://user:***@host…``: a URL's password never shown (nor a lone user info
    token, which some brokers take as a password)."""
    scheme, sep, rest = url.partition("://")
    if not sep:
        return url
    authority, slash, path = rest.partition("/")
    user_info, at, host = authority.rpartition("@")
    if not at:
        return url
    user, colon, _ = user_info.partition(":")
    shown = f"{user}:***" if colon else "***"
    return f"{scheme}://{shown}@{host}{slash}{path}"


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
    alert_email: str | None = None  # where its alert e-mails go (delivery/alerts.py)
    alert_webhook_url: str | None = None  # where its alert webhooks go


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
    # The circuit (delivery/circuit.py): transient failures in a row, and while it is open
    # the time of the next probe (None: closed) and how many probes failed.
    circuit_failures: int = 0
    circuit_open_until: float | None = None
    circuit_probes: int = 0
    broker: BrokerConfig | None = None  # the message bus of a nats, redis or amqp method

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


@dataclass(frozen=True, slots=True, kw_only=True)
class MediaInfo:
    """Our stored copy of a message's file (filled by the media pipeline)."""

    media_id: str | None
    mime_type: str
    byte_size: int
    file_name: str | None = None
    unavailable: bool = False
    # The stored record's times (None where not read), for how long a link to it may work.
    created_at: float | None = None
    expires_at: float | None = None  # its TTL's end; it may be kept longer (docs/media.md)
    # A link that fetches the file without our key (media/links.py), put on at send time;
    # None: not signed (yet), or no file to link to.
    url: str | None = None


@dataclass(frozen=True, slots=True)
class GatewayProcess:
    id: str
    host: str
    pid: int
    version: str
    worker: bool  # runs a dispatcher (takes a share of each destination's pacing)
    started_at: float
    seen_at: float
