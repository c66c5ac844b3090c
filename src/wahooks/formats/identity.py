"""Who a user is, as Meta names them since 2026: a phone number that may be withheld, a
business-scoped user id (BSUID, ``user_id``; ``parent_user_id`` where enabled) and a
username (Meta's "Business-scoped user IDs" guide). Formats whose seeds predate this carry
them under our own names: ``userId``, ``parentUserId``, ``username`` (docs/events.md)."""

from dataclasses import dataclass

from wahooks.models import JsonObject, MessageEvent


@dataclass(frozen=True, slots=True)
class Identity:
    phone: str | None  # digits, no "+"; None when Meta withholds it
    user_id: str | None
    parent_user_id: str | None
    username: str | None

    def fields(self) -> JsonObject:
        """Our own names for the 2026 ids, the ones Meta sent."""
        named = {"userId": self.user_id, "parentUserId": self.parent_user_id,
                 "username": self.username}  # fmt: skip
        return {k: v for k, v in named.items() if v is not None}


def _text(obj: object, key: str) -> str | None:
    value = obj.get(key) if isinstance(obj, dict) else None
    return value if isinstance(value, str) and value else None


def sender_of(event: MessageEvent) -> Identity:
    """The user an inbound message is from (or the conversation's contact)."""
    contact = event.contact or {}
    user_id = _text(event.item, "from_user_id") or _text(contact, "user_id")
    phone = _text(event.item, "from") or _text(contact, "wa_id")
    if phone is None and event.wa_id and event.wa_id != user_id:
        phone = event.wa_id
    return Identity(
        phone=None if phone is None else phone.removeprefix("+"),
        user_id=user_id,
        parent_user_id=_text(event.item, "from_parent_user_id") or _text(contact, "parent_user_id"),
        username=_text(contact.get("profile"), "username"),
    )
