"""What the ingress hands to the store: parsed messages, statuses and the rest of a POST."""

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum

from wahooks.models.core import EventType, JsonObject, Number, Wamid


@dataclass(frozen=True, slots=True, kw_only=True)
class IdentityChange:
    """A user of one number now goes by new ids (Meta's system messages
    ``user_changed_number`` and ``user_changed_user_id``, or a ``user_id_update`` change), as
    ingress/identity.py read it. Every conversation and active activation of the number
    addressed by one of ``known_ids`` moves to the new ids, keeping what it holds."""

    phone_number_id: str
    known_ids: tuple[str, ...]  # what the user went by: the phone, the previous BSUID
    new_wa_id: str | None  # the new phone number, when Meta shares one
    new_user_id: str | None  # the new BSUID


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
    # A system message announcing new ids: followed before the message is stored, which is
    # then the user's under the new ids (``from_wa_id`` is already the new address).
    identity_change: IdentityChange | None = None
    entry_id: str = ""  # ``entry[].id`` of the notification it came in (Meta's WABA id)

    @property
    def event_type(self) -> EventType:
        if self.type in ("edit", "revoke"):
            return EventType.MESSAGE_UPDATE
        if self.type == "reaction":
            return EventType.MESSAGE_REACTION
        return EventType.MESSAGE_IN_NEW

    @property
    def group_id(self) -> str | None:
        """The group a message was sent in (Meta's group messages), else None."""
        found = self.item.get("group_id")
        return found if isinstance(found, str) and found else None

    @property
    def user_id(self) -> str | None:
        """The sender's business-scoped user id (BSUID), when Meta sent one (after an
        identity change, the new one)."""
        if self.identity_change is not None and self.identity_change.new_user_id is not None:
            return self.identity_change.new_user_id
        for found in (self.item.get("from_user_id"), (self.contact or {}).get("user_id")):
            if isinstance(found, str) and found:
                return found
        return None

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
    entry_id: str = ""  # ``entry[].id`` of the notification it came in (Meta's WABA id)


@dataclass(frozen=True, slots=True, kw_only=True)
class UnhandledUpdate:
    """A change of a webhook field other than ``messages`` (or value-level errors with no
    item to carry them): kept raw, and delivered as Meta sent it (``FIELD_EVENTS``).
    ``entry_id`` is the WABA id; a WABA-level change (templates, account) names no number."""

    phone_number_id: str | None
    field: str
    value: JsonObject
    entry_id: str = ""
    entry_time: int | None = None
    # A ``user_id_update`` change: the users it gives new ids, followed before it is kept.
    identity_changes: tuple[IdentityChange, ...] = ()


@dataclass(frozen=True, slots=True, kw_only=True)
class InvalidItem:
    """An item of ``value.messages[]`` or ``value.statuses[]`` that does not parse: kept as
    Meta sent it, with the reason, so one odd item never costs the rest of its POST."""

    phone_number_id: str
    kind: str  # "message" or "status"
    reason: str
    item: object  # whatever Meta sent, not necessarily an object

    def data(self) -> JsonObject:
        return {
            "kind": self.kind,
            "reason": self.reason,
            "phoneNumberId": self.phone_number_id,
            "item": self.item,
        }


@dataclass(frozen=True, slots=True, kw_only=True)
class IngestBatch:
    """Everything one Meta POST carried for known numbers; stored in one transaction."""

    messages: list[InboundMessage] = field(default_factory=list)
    statuses: list[StatusUpdate] = field(default_factory=list)
    unhandled: list[UnhandledUpdate] = field(default_factory=list)
    invalid: list[InvalidItem] = field(default_factory=list)
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
    media_jobs: int = 0  # files to fetch


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
    is_group: bool = False  # wa_id is a group id: replies go to the group
