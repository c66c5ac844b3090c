"""Values as Wassenger writes them (pure): WhatsApp ids ``<digits>@c.us`` (groups
``@g.us``), E.164 numbers with ``+``, Unix seconds as integers, ISO 8601 dates, and the
type and text of a message as its chat shows it."""

import unicodedata
from collections.abc import Mapping
from typing import Any

from wahooks.times import iso_from_unix_text, iso_time


def digits(number: str) -> str:
    return number.strip().removeprefix("+")


def e164(number: str) -> str:
    found = digits(number)
    return "+" + found if found else ""


def wid(number: str, *, group: bool = False) -> str:
    return f"{digits(number)}@{'g.us' if group else 'c.us'}"


def unix(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def iso_unix(value: Any) -> str | None:
    """Meta's Unix seconds (text or number) as ISO 8601; None when there is none."""
    return None if value is None else iso_from_unix_text(value)


def iso_clock(value: float | None) -> str | None:
    """One of our own times (Unix seconds, float) as ISO 8601; None stays None."""
    return iso_time(value)


def type_and_body(item: Mapping[str, Any]) -> tuple[str, str]:
    """Wassenger's ``type`` and ``body`` of Meta's message: a tapped button or list reply is
    the ``text`` the user tapped, as the chat shows it; the body is the text, a caption, the
    emoji of a reaction, the new text of an edit, or empty."""
    kind = str(item.get("type", ""))
    content = item.get(kind)
    content = content if isinstance(content, dict) else {}
    if kind == "text":
        return kind, str(content.get("body", ""))
    if kind in ("image", "video", "document"):
        return kind, str(content.get("caption") or "")
    if kind == "button":
        return "text", str(content.get("text", ""))
    if kind == "interactive":
        reply = content.get(content.get("type", ""))
        if isinstance(reply, dict) and "title" in reply:
            return "text", str(reply["title"])
        return kind, ""
    if kind in ("system", "edit"):
        return kind, _edited_text(content) if kind == "edit" else str(content.get("body", ""))
    if kind == "order":
        return kind, str(content.get("text", ""))
    if kind == "reaction":
        return kind, str(content.get("emoji") or "")
    if kind == "location":
        return kind, str(content.get("name") or content.get("address") or "")
    return kind, ""


def _edited_text(edit: Mapping[str, Any]) -> str:
    """The new text of an edit (Meta: ``edit.message`` is the message as it now reads)."""
    message = edit.get("message")
    if not isinstance(message, dict):
        return ""
    return type_and_body(message)[1]


def contains_emoji(text: str) -> bool:
    return any(unicodedata.category(c) == "So" and ord(c) >= 0x2000 for c in text)


def rtl(text: str) -> bool:
    return any(unicodedata.bidirectional(c) in ("R", "AL") for c in text)


def short_name(name: str | None) -> str | None:
    """Wassenger's ``shortName``: the first word of the name, as WhatsApp shows it."""
    if not name:
        return None
    first = name.split()
    return first[0] if first else None
