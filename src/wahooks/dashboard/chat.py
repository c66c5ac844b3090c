"""A conversation's stored messages as the chat page draws them: one bubble per message,
in time order, with what its type carries (text, our copy of a file, a location, contact
cards, a reaction) and, for what we sent, its last status. Pure: it reads the records the
store returned (Meta's own message object inbound, what we sent outbound).
"""

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from wahooks.formats.summary import message_text
from wahooks.models import MessageRecord

# A file's preview on the page: images inline, audio and video with the browser's player;
# any other type is a download link (never rendered: it is the user's, not ours).
PREVIEW_TYPES = ("image/", "audio/", "video/")
# Pictures a browser would run code in are not previewed, only linked.
UNSAFE_IMAGES = ("image/svg",)


@dataclass(frozen=True, slots=True)
class File:
    media_id: str | None
    mime_type: str
    file_name: str | None
    byte_size: int
    available: bool

    @property
    def preview(self) -> str | None:
        """image, audio or video when the page may preview it; None: a link only."""
        if not self.available or self.mime_type.lower().startswith(UNSAFE_IMAGES):
            return None
        for prefix in PREVIEW_TYPES:
            if self.mime_type.lower().startswith(prefix):
                return prefix.rstrip("/")
        return None


@dataclass(frozen=True, slots=True)
class Location:
    latitude: str
    longitude: str
    name: str | None
    address: str | None

    @property
    def map_url(self) -> str:
        """A map link for the person reading (followed only if they click it)."""
        return f"https://www.openstreetmap.org/?mlat={self.latitude}&mlon={self.longitude}"


@dataclass(frozen=True, slots=True)
class Card:
    name: str
    phones: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Bubble:
    wamid: str
    inbound: bool
    type: str
    text: str
    timestamp: int
    status: str | None  # outbound: accepted, sent, delivered, read, failed
    status_at: float | None
    file: File | None = None
    location: Location | None = None
    cards: tuple[Card, ...] = ()
    reaction: str | None = None  # the emoji; "" when a reaction was removed
    reacts_to: str | None = None  # the wamid reacted to


def _obj(value: Mapping[str, Any], key: str) -> Mapping[str, Any]:
    found = value.get(key)
    return found if isinstance(found, dict) else {}


def _text(value: Any) -> str | None:
    return str(value) if isinstance(value, str | int | float) and str(value) else None


def _location(item: Mapping[str, Any]) -> Location:
    content = _obj(item, "location")
    return Location(
        latitude=str(content.get("latitude", "")),
        longitude=str(content.get("longitude", "")),
        name=_text(content.get("name")),
        address=_text(content.get("address")),
    )


def _cards(item: Mapping[str, Any]) -> tuple[Card, ...]:
    found = item.get("contacts")
    cards = []
    for card in found if isinstance(found, list) else []:
        if not isinstance(card, dict):
            continue
        phones = card.get("phones")
        numbers = tuple(
            str(p.get("phone") or p.get("wa_id"))
            for p in (phones if isinstance(phones, list) else [])
            if isinstance(p, dict) and (p.get("phone") or p.get("wa_id"))
        )
        name = _text(_obj(card, "name").get("formatted_name")) or "contact"
        cards.append(Card(name, numbers))
    return tuple(cards)


def bubble(m: MessageRecord) -> Bubble:
    item = m.item
    extra: dict[str, Any] = {}
    if m.media is not None:
        extra["file"] = File(
            media_id=m.media.media_id,
            mime_type=m.media.mime_type,
            file_name=m.media.file_name,
            byte_size=m.media.byte_size,
            available=not m.media.unavailable and m.media.media_id is not None,
        )
    if m.type == "location":
        extra["location"] = _location(item)
    elif m.type == "contacts":
        extra["cards"] = _cards(item)
    elif m.type == "reaction":
        content = _obj(item, "reaction")
        extra["reaction"] = str(content.get("emoji") or "")
        extra["reacts_to"] = _text(content.get("message_id"))
    return Bubble(
        wamid=m.wamid,
        inbound=m.direction == "in",
        type=m.type,
        text=message_text(item),
        timestamp=m.timestamp,
        status=m.status,
        status_at=m.status_at,
        **extra,
    )


def bubbles(records: list[MessageRecord]) -> list[Bubble]:
    """The store's newest-first page as the chat reads it: oldest at the top."""
    return [bubble(m) for m in reversed(records)]
