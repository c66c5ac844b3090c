"""Conversations, their messages and notes, and recovery jobs (API and summary format)."""

from dataclasses import dataclass
from enum import StrEnum

from wahooks.models.core import JsonObject, MediaInfo


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
    user_id: str | None = None  # the contact's business-scoped user id, once Meta sent one
    is_group: bool = False  # a group's conversation: wa_id is the group id
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


@dataclass(frozen=True, slots=True, kw_only=True)
class ChatFacts:
    """What the ``wassenger`` format renders besides the event: the conversation's counts
    and times as they stand when the delivery is sent, and its number's. Message times are
    Unix seconds as the messages carry them; the others are our clock's."""

    tenant_id: str
    wa_id: str
    is_group: bool
    contact_name: str | None
    external_user_id: str | None
    labels: tuple[str, ...]
    created_at: float
    first_wamid: str | None  # the conversation's first message (either direction)
    first_message_at: int | None
    last_message_at: int | None
    last_inbound_at: int | None
    last_outbound_at: int | None
    last_reaction_at: int | None
    last_reaction_emoji: str | None
    inbound_messages: int
    outbound_messages: int
    notes: int
    number_created_at: float | None
    number_display_name: str | None
    number_health: str | None  # healthy / degraded / down / unknown (numberhealth.py)
    number_health_checked_at: float | None


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
