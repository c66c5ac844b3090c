"""Message items as Meta puts them in `value.messages[]`, one builder per message type."""

from __future__ import annotations

import base64
import os
from collections.abc import Callable, Mapping
from typing import Any

from wahooks.sim.media import MediaStore
from wahooks.sim.users import Json, SimUser

__all__ = ["Json", "SimUser"]  # SimUser lives in users.py; imported from here too


MEDIA_TYPES = ("image", "audio", "video", "document", "sticker")
# What `build_message` accepts. `button_reply` and `list_reply` are shorthands for the two
# kinds of `interactive`; everything else is Meta's own `type` value.
MESSAGE_TYPES = (
    "text",
    *MEDIA_TYPES,
    "location",
    "contacts",
    "reaction",
    "interactive",
    "button_reply",
    "list_reply",
    "button",
    "order",
    "system",
    "unsupported",
    "edit",
    "revoke",
)

_DEFAULT_MIME = {
    "image": "image/jpeg",
    "audio": "audio/ogg; codecs=opus",
    "video": "video/mp4",
    "document": "application/pdf",
    "sticker": "image/webp",
}
_DEFAULT_SIZE = {"image": 2048, "audio": 4096, "video": 8192, "document": 3072, "sticker": 1024}
_DEFAULT_CAPTION = {
    "image": "Simulated photo",
    "video": "Simulated video",
    "document": "Simulated document",
}
_DEFAULT_REFERRAL: Json = {
    "source_url": "https://fb.me/sim-ad",
    "source_id": "120000000000001",
    "source_type": "ad",
    "headline": "Simulated ad",
    "body": "Tap to chat with us",
    "media_type": "image",
    "image_url": "https://example.com/sim-ad.jpg",
    "video_url": "",
    "thumbnail_url": "https://example.com/sim-ad-thumb.jpg",
    "ctwa_clid": "sim-ctwa-clid",
}
_DEFAULT_CONTACTS: list[Json] = [
    {
        "name": {"first_name": "Chandler", "last_name": "Bing", "formatted_name": "Chandler Bing"},
        "phones": [{"phone": "+1 555-555-5555", "wa_id": "15555555555", "type": "CELL"}],
    }
]
_DEFAULT_PRODUCT_ITEMS: list[Json] = [
    {"product_retailer_id": "HAMBURGER", "quantity": 3, "item_price": 30, "currency": "USD"},
    {"product_retailer_id": "SODA", "quantity": 2, "item_price": 10, "currency": "USD"},
]
_UNSUPPORTED_ERROR: Json = {
    "code": 131051,
    "title": "Message type unknown",
    "message": "Message type unknown",
    "error_data": {"details": "Message type is currently not supported."},
}


class InvalidMessage(ValueError):
    """A message type or field the builder does not know, or a field of the wrong type."""


def _other_number(wa_id: str) -> str:
    last = wa_id[-1:]
    return wa_id[:-1] + (str((int(last) + 1) % 10) if last.isdigit() else "1")


def new_wamid() -> str:
    return "wamid." + base64.urlsafe_b64encode(os.urandom(30)).decode("ascii")


_MISSING: Any = object()


class _Fields:
    """The caller's overrides for one message, read once each, type-checked."""

    def __init__(self, type_: str, raw: Mapping[str, Any]) -> None:
        self.type_ = type_
        self._raw = dict(raw)

    def take(self, key: str, default: Any, kinds: tuple[type, ...], nullable: bool) -> Any:
        value = self._raw.pop(key, _MISSING)
        if value is _MISSING:
            return default
        if value is None and nullable:
            return None
        if isinstance(value, bool) and bool not in kinds:
            raise InvalidMessage(f"{self.type_}: field {key!r} has the wrong type")
        if not isinstance(value, kinds):
            names = " or ".join(k.__name__ for k in kinds)
            raise InvalidMessage(f"{self.type_}: field {key!r} must be {names}")
        return value

    def text(self, key: str, default: str) -> str:
        value: str = self.take(key, default, (str,), nullable=False)
        return value

    def opt_text(self, key: str, default: str | None = None) -> str | None:
        """A string field the caller may drop by passing None."""
        value: str | None = self.take(key, default, (str,), nullable=True)
        return value

    def flag(self, key: str, default: bool = False) -> bool:
        value: bool = self.take(key, default, (bool,), nullable=False)
        return value

    def integer(self, key: str, default: int) -> int:
        value: int = self.take(key, default, (int,), nullable=False)
        return value

    def number(self, key: str, default: float) -> float:
        value: float = self.take(key, default, (int, float), nullable=False)
        return float(value)

    def obj(self, key: str, default: Json | None) -> Json | None:
        value: Json | None = self.take(key, default, (dict,), nullable=True)
        return value

    def items(self, key: str, default: list[Json]) -> list[Json]:
        value: list[Json] = self.take(key, default, (list,), nullable=False)
        return value

    def raw_bytes(self, key: str) -> bytes | None:
        value: bytes | None = self.take(key, None, (bytes, bytearray), nullable=True)
        return None if value is None else bytes(value)

    def done(self) -> None:
        if self._raw:
            raise InvalidMessage(f"{self.type_}: unknown field(s) {', '.join(sorted(self._raw))}")


class MessageBuilder:
    """Builds message items for one business number; media goes into `media`."""

    def __init__(
        self, *, media: MediaStore, business_number: str, clock: Callable[[], float]
    ) -> None:
        self._media = media
        self._business_number = business_number
        self._clock = clock
        self._builders: dict[str, Callable[[SimUser, _Fields], Json]] = {
            "text": self._text,
            "location": self._location,
            "contacts": self._contacts,
            "reaction": self._reaction,
            "interactive": self._interactive,
            "button_reply": self._interactive,
            "list_reply": self._interactive,
            "button": self._button,
            "order": self._order,
            "system": self._system,
            "unsupported": self._unsupported,
            "edit": self._edit,
            "revoke": self._revoke,
        }

    def build(self, user: SimUser, type_: str, **overrides: Any) -> Json:
        """A message item of `type_` from `user` with default content, `overrides` applied.

        Fields every type takes: `id`, `timestamp`, `reply_to` (a wamid: adds `context`),
        `context` (a raw dict), `forwarded`, `frequently_forwarded`, `referral` (True or a dict),
        `group_id` (a message the user sent in a group).
        Per type, see the `_<type>` builders below.
        """
        if type_ not in MESSAGE_TYPES:
            raise InvalidMessage(f"unknown message type {type_!r}; known: {MESSAGE_TYPES}")
        fields = _Fields(type_, overrides)
        wamid = fields.text("id", "") or new_wamid()
        ts = fields.take("timestamp", None, (int, str), nullable=True)
        timestamp = str(int(self._clock()) if ts is None else ts)
        context = self._context(type_, fields)
        referral = fields.take("referral", None, (bool, dict), nullable=True)
        group_id = fields.opt_text("group_id")

        if type_ in MEDIA_TYPES:
            meta_type, body = type_, self._media_object(type_, fields)
        else:
            content = self._builders[type_](user, fields)
            meta_type = content.pop("type")
            body = content
        fields.done()

        item: Json = {}
        if context:
            item["context"] = context
        if user.hides_phone:
            item["from_user_id"] = user.user_id
        else:
            item["from"] = user.wa_id
        if group_id is not None:  # a message in a group (Meta's group messages reference)
            item["group_id"] = group_id
        item["id"] = wamid
        item["timestamp"] = timestamp
        item["type"] = meta_type
        if referral:
            item["referral"] = dict(_DEFAULT_REFERRAL) if referral is True else referral
        item.update(body)
        return item

    def _context(self, type_: str, fields: _Fields) -> Json | None:
        raw = fields.obj("context", None)
        context: Json = dict(raw) if raw else {}
        # Button and list replies always answer a message the business sent.
        always_reply = type_ in ("interactive", "button_reply", "list_reply", "button")
        reply_to = fields.opt_text("reply_to", new_wamid() if always_reply and not raw else None)
        if reply_to:
            context.setdefault("from", self._business_number)
            context.setdefault("id", reply_to)
        if fields.flag("forwarded"):
            context["forwarded"] = True
        if fields.flag("frequently_forwarded"):
            context["frequently_forwarded"] = True
        return context or None

    def _media_object(self, type_: str, fields: _Fields) -> Json:
        """image/audio/video/document/sticker.

        Fields: mime_type, size (bytes), content (exact bytes instead of generated ones),
        caption, filename (document), voice (audio), animated (sticker), wrong_sha256,
        unavailable (Graph answers 404 for the id).
        """
        mime_type = fields.text("mime_type", _DEFAULT_MIME[type_])
        size = fields.integer("size", _DEFAULT_SIZE[type_])
        data = fields.raw_bytes("content")
        caption = (
            fields.opt_text("caption", _DEFAULT_CAPTION.get(type_))
            if type_ in ("image", "video", "document")
            else None
        )
        filename = fields.opt_text("filename", "document.pdf") if type_ == "document" else None
        voice = fields.flag("voice") if type_ == "audio" else None
        animated = fields.flag("animated") if type_ == "sticker" else None
        wrong_sha256 = fields.flag("wrong_sha256")
        available = not fields.flag("unavailable")
        if size < 0:
            raise InvalidMessage(f"{type_}: size must be >= 0")
        if data is not None:
            media = self._media.add_bytes(
                data, mime_type, filename=filename, wrong_sha256=wrong_sha256, available=available
            )
        else:
            media = self._media.generate(
                mime_type, size, filename=filename, wrong_sha256=wrong_sha256, available=available
            )
        obj: Json = {}
        if caption is not None:
            obj["caption"] = caption
        if filename is not None:
            obj["filename"] = filename
        obj["mime_type"] = media.mime_type
        obj["sha256"] = media.sha256
        obj["id"] = media.id
        if voice is not None:
            obj["voice"] = voice
        if animated is not None:
            obj["animated"] = animated
        return {type_: obj}

    # Each builder returns {"type": <Meta type>, <type>: {...}}; fields it reads are listed.

    def _text(self, user: SimUser, fields: _Fields) -> Json:
        """body"""
        return {"type": "text", "text": {"body": fields.text("body", "Hello from the simulator")}}

    def _location(self, user: SimUser, fields: _Fields) -> Json:
        """latitude, longitude, name, address, url"""
        location: Json = {
            "latitude": fields.number("latitude", 37.4611978),
            "longitude": fields.number("longitude", -122.2164385),
        }
        for key, default in (
            ("name", "Simulated place"),
            ("address", "1 Hacker Way, Menlo Park, CA 94025"),
            ("url", None),
        ):
            value = fields.opt_text(key, default)
            if value is not None:
                location[key] = value
        return {"type": "location", "location": location}

    def _contacts(self, user: SimUser, fields: _Fields) -> Json:
        """contacts (list of Meta contact cards)"""
        return {"type": "contacts", "contacts": fields.items("contacts", _DEFAULT_CONTACTS)}

    def _reaction(self, user: SimUser, fields: _Fields) -> Json:
        """message_id, emoji ("" = reaction removed, None = key absent, both as Meta sends)"""
        reaction: Json = {"message_id": fields.text("message_id", "") or new_wamid()}
        emoji = fields.opt_text("emoji", "\N{THUMBS UP SIGN}")
        if emoji is not None:
            reaction["emoji"] = emoji
        return {"type": "reaction", "reaction": reaction}

    def _interactive(self, user: SimUser, fields: _Fields) -> Json:
        """interactive_type (button_reply|list_reply), reply_id, title, description"""
        kind = fields.type_ if fields.type_ != "interactive" else None
        kind = kind or fields.text("interactive_type", "button_reply")
        if kind == "button_reply":
            reply: Json = {
                "id": fields.text("reply_id", "btn_yes"),
                "title": fields.text("title", "Yes"),
            }
        elif kind == "list_reply":
            reply = {
                "id": fields.text("reply_id", "row_1"),
                "title": fields.text("title", "First option"),
            }
            description = fields.opt_text("description", "The first row")
            if description is not None:
                reply["description"] = description
        else:
            raise InvalidMessage(f"interactive: unknown interactive_type {kind!r}")
        return {"type": "interactive", "interactive": {"type": kind, kind: reply}}

    def _button(self, user: SimUser, fields: _Fields) -> Json:
        """payload, text (a template quick-reply button)"""
        button = {
            "payload": fields.text("payload", "yes_payload"),
            "text": fields.text("text", "Yes"),
        }
        return {"type": "button", "button": button}

    def _order(self, user: SimUser, fields: _Fields) -> Json:
        """catalog_id, text, product_items"""
        order = {
            "catalog_id": fields.text("catalog_id", "354160437058781"),
            "text": fields.text("text", ""),
            "product_items": fields.items("product_items", _DEFAULT_PRODUCT_ITEMS),
        }
        return {"type": "order", "order": order}

    def _system(self, user: SimUser, fields: _Fields) -> Json:
        """system_type (user_changed_number or user_changed_user_id), new_wa_id, new_user_id,
        new_parent_user_id, previous_parent_user_id, body. A new number comes with a new
        BSUID (Meta regenerates it); a BSUID change reports only the new BSUID. Both carry
        the previous BSUID (Meta's system messages reference and changelog, Aug 11, 2026);
        the notification carries no contacts, as Meta's system messages do not."""
        system_type = fields.text("system_type", "user_changed_number")
        new_wa_id = fields.text("new_wa_id", _other_number(user.wa_id))
        if system_type == "user_changed_number":
            new_user_id = SimUser(wa_id=new_wa_id, name=user.name).user_id
            default_body = f"User {user.name} changed from {user.wa_id} to {new_wa_id}"
        else:
            new_user_id = user.with_new_user_id().user_id
            default_body = f"User {user.name} changed their business-scoped user ID"
        system: Json = {"body": fields.text("body", default_body)}
        if system_type == "user_changed_number":
            system["wa_id"] = new_wa_id
        if system_type in ("user_changed_number", "user_changed_user_id"):
            system["user_id"] = fields.text("new_user_id", new_user_id)
            parent = fields.opt_text("new_parent_user_id")
            if parent is not None:
                system["parent_user_id"] = parent
            system["previous_user_id"] = user.user_id
            previous_parent = fields.opt_text("previous_parent_user_id")
            if previous_parent is not None:
                system["previous_parent_user_id"] = previous_parent
        system["type"] = system_type
        return {"type": "system", "system": system}

    def _unsupported(self, user: SimUser, fields: _Fields) -> Json:
        """unsupported_type (newer payloads say what it was, e.g. "poll")"""
        item: Json = {"type": "unsupported", "errors": [dict(_UNSUPPORTED_ERROR)]}
        kind = fields.opt_text("unsupported_type")
        if kind is not None:
            item["unsupported"] = {"type": kind}
        return item

    def _edit(self, user: SimUser, fields: _Fields) -> Json:
        """original_message_id, body (the new text) or message (the new message object)"""
        original = fields.text("original_message_id", "") or new_wamid()
        body = fields.text("body", "Edited text")
        message = fields.obj("message", None) or {"type": "text", "text": {"body": body}}
        return {"type": "edit", "edit": {"original_message_id": original, "message": message}}

    def _revoke(self, user: SimUser, fields: _Fields) -> Json:
        """original_message_id"""
        original = fields.text("original_message_id", "") or new_wamid()
        return {"type": "revoke", "revoke": {"original_message_id": original}}
