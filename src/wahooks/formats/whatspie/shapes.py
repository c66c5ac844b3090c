"""Whatspie's webhook shape of each WhatsApp message type (pure); the list is in
``whatspie/__init__.py``."""

import json
from collections.abc import Mapping
from typing import Any

from wahooks.formats.identity import sender_of
from wahooks.formats.whatspie.vcard import vcard
from wahooks.models import JsonObject, MediaInfo, MessageEvent

MEDIA_NAMES = {
    "image": "imageMessage",
    "document": "documentMessage",
    "audio": "audioMessage",
    "video": "videoMessage",
    "sticker": "stickerMessage",
}
OTHER_NAMES = {"contacts": "contactMessage", "location": "locationMessage"}
TEXT_LIKE = frozenset({"text", "interactive", "button"})


def _obj(value: Any) -> Mapping[str, Any]:
    """Meta's object, or an empty one where an odd payload has something else: a field of
    the wrong type renders as absent, never fails the delivery."""
    return value if isinstance(value, dict) else {}


def _dicts(value: Any) -> list[Mapping[str, Any]]:
    return [v for v in value if isinstance(v, dict)] if isinstance(value, list) else []


def _text_of(item: Mapping[str, Any]) -> str:
    kind = item.get("type")
    if kind == "text":
        return str(_obj(item.get("text")).get("body", ""))
    if kind == "button":
        return str(_obj(item.get("button")).get("text", ""))
    interactive = _obj(item.get("interactive"))
    reply = interactive.get(str(interactive.get("type", "")), {})
    return str(reply.get("title", "")) if isinstance(reply, dict) else ""


def media_url(media: MediaInfo | None) -> str | None:
    """Where the handler downloads the file: our copy's signed link, or None while we have
    no file (or it is not signed: never a URL that needs our key, which handlers lack)."""
    if media is None or media.unavailable or media.media_id is None:
        return None
    return media.url


def _file(event: MessageEvent, kind: str) -> JsonObject:
    meta_media = _obj(event.item.get(kind))
    caption = meta_media.get("caption") if kind in ("image", "video", "document") else None
    file_name = None
    if kind == "document":
        file_name = meta_media.get("filename") or (event.media.file_name if event.media else None)
    file: JsonObject = {
        "url": media_url(event.media),
        "caption": caption,
        "fileName": file_name,
    }
    if kind in ("audio", "video"):
        # Meta does not send durations; our stored copy's, when we could read it.
        file["seconds"] = None if event.media is None else event.media.duration_s
    return file


def _location(item: Mapping[str, Any]) -> JsonObject:
    location = _obj(item.get("location"))
    return {
        "degreesLatitude": location.get("latitude"),
        "degreesLongitude": location.get("longitude"),
        "name": location.get("name"),
        "address": location.get("address"),
        "url": location.get("url"),
    }


def _contacts(item: Mapping[str, Any]) -> list[JsonObject]:
    return [
        {"displayName": _obj(card.get("name")).get("formatted_name", ""), "vcard": vcard(card)}
        for card in _dicts(item.get("contacts"))
    ]


def _sender(event: MessageEvent) -> tuple[str, JsonObject]:
    """The number and ``from_user``, as the seed has them. A username user whose number
    Meta withholds is named by BSUID instead (``from``), with ``userId``/``username`` in
    ``from_user``: the seed has no place for them, so only then."""
    identity = sender_of(event)
    number = identity.phone or identity.user_id or ""
    profile = (event.contact or {}).get("profile")
    name = profile.get("name") if isinstance(profile, dict) else None
    from_user: JsonObject = {"name": name, "jid": f"{number}@s.whatsapp.net"}
    if identity.phone is None:
        from_user.update(identity.fields())
    return number, from_user


def _timestamp(value: Any) -> Any:
    try:
        return int(value)
    except (TypeError, ValueError):
        return value


def _flow(interactive: Mapping[str, Any]) -> JsonObject:
    """A Flow's completion (``nfm_reply``): its name, body and the answers, ``response_json``
    read as JSON where it is JSON."""
    reply = _obj(interactive.get("nfm_reply"))
    raw = reply.get("response_json")
    response: Any = raw
    if isinstance(raw, str):
        try:
            response = json.loads(raw)
        except ValueError:
            response = raw
    return {"name": reply.get("name"), "body": reply.get("body"), "response": response}


def _typed(event: MessageEvent, kind: str) -> JsonObject:
    """The ``type`` and content of a message with no text: a file, a card, a place, and the
    types the seed does not show (their content in Baileys' naming where it has one, else
    Meta's object under Meta's name)."""
    item = event.item
    if kind in MEDIA_NAMES:
        return {"type": MEDIA_NAMES[kind], "file": _file(event, kind)}
    if kind == "contacts":
        return {"type": "contactMessage", "contacts": _contacts(item)}
    if kind == "location":
        return {"type": "locationMessage", "location": _location(item)}
    content = _obj(item.get(kind))
    if kind == "reaction":
        emoji = content.get("emoji") or None
        reaction = {"emoji": emoji, "message_id": content.get("message_id"),
                    "removed": emoji is None}  # fmt: skip
        return {"type": "reactionMessage", "reaction": reaction}
    if kind == "edit":
        message = _obj(content.get("message"))
        edit = {"message_id": content.get("original_message_id"),
                "message": _text_of(message) or None, "original": dict(message)}  # fmt: skip
        return {"type": "editedMessage", "edit": edit}
    if kind == "revoke":
        return {
            "type": "revokedMessage",
            "revoke": {"message_id": content.get("original_message_id")},
        }
    if kind == "interactive":  # no text: a Flow's completion, or a kind without a title
        interactive = _obj(item.get("interactive"))
        if interactive.get("type") == "nfm_reply":
            return {"type": "flowReplyMessage", "flow": _flow(interactive)}
        return {"type": "interactiveMessage"}
    if kind == "unsupported":
        return {"type": "unsupportedMessage", "unsupported": dict(content),
                "errors": item.get("errors") or []}  # fmt: skip
    if not kind:
        return {"type": "unknownMessage"}
    name = "".join(part.capitalize() if n else part for n, part in enumerate(kind.split("_")))
    return {"type": f"{name}Message", kind: dict(content)}


def payload(event: MessageEvent) -> JsonObject:
    """The Whatspie shape of the event's message (its type decides; never skipped)."""
    item = event.item
    kind = str(item.get("type", ""))
    number, from_user = _sender(event)
    context = _obj(item.get("context"))
    common: JsonObject = {
        "timestamp": _timestamp(item.get("timestamp")),
        "message_id": item.get("id"),
        "from_user": from_user,
        "is_forwarded": bool(context.get("forwarded") or context.get("frequently_forwarded")),
        "is_broadcast": False,
    }
    text = _text_of(item) if kind in TEXT_LIKE else ""
    out: JsonObject
    if text:  # what the user typed or tapped: the seed's text shape
        out = {"message": text, "from": number, **common}
    else:
        out = _typed(event, kind)
        out["from"] = number
        out["participant"] = None  # Whatspie's sender in a group; groups: not here yet
        out.update(common)
    if kind in ("interactive", "button"):
        # A tap on a button or list, or a Flow's answers: Meta's object, unchanged, beside
        # the closest seed shape.
        out[kind] = item.get(kind)
    if event.test:
        out["test"] = True
    return out
