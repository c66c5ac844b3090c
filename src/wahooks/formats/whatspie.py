"""The ``whatspie`` format: Whatspie's webhook shapes (seeds/003), one message per POST, and the
reply a Whatspie handler returns in its response body.

Shapes, per message type (keys and their order as in the seed):

- ``text``: ``message``, ``from``, ``timestamp``, ``message_id``, ``from_user{name, jid}``,
  ``is_forwarded``, ``is_broadcast`` (no ``type``, no ``participant``, as in the seed).
- ``image``, ``document``, ``audio`` (``imageMessage``, ``documentMessage``, ``audioMessage``):
  ``type``, ``file{url, caption, fileName}`` (audio adds ``seconds``), ``from``,
  ``participant`` (null: no groups on the Cloud API), ``timestamp``, ``message_id``,
  ``from_user``, ``is_forwarded``, ``is_broadcast``.
- ``contacts``: ``contactMessage`` with ``contacts[{displayName, vcard}]``, a vCard 3.0 written
  from Meta's contact card like the seed's.

Where the seed is silent we follow the naming it visibly uses (Baileys' message names and
fields): ``video`` is ``videoMessage`` with ``file{url, caption, fileName, seconds}``,
``sticker`` is ``stickerMessage`` with ``file{url, caption, fileName}``, ``location`` is
``locationMessage`` with ``location{degreesLatitude, degreesLongitude, name, address, url}``;
a button or list reply (``interactive``, ``button``) arrives as the text the user tapped, which
is what the chat shows.

Values: ``from`` is the sender's number without ``+``, ``jid`` is ``<number>@s.whatsapp.net``,
``timestamp`` Unix seconds as an integer, ``message_id`` Meta's wamid. ``file.url`` is the
signed link to our stored copy (absolute, fetched without a key, as the seed's storage URLs
are; media/links.py), null while the file is unavailable. Meta does not tell an audio's
duration, so ``seconds`` is null. A test delivery adds ``"test": true``.

Skipped (``SkipEvent``): every event but ``message:in:new`` and the test delivery (Whatspie
notifies incoming messages only: no reactions, edits, deletions or outbound events), and within
``message:in:new`` the message types Whatspie has no shape for: ``order``, ``system``,
``unsupported``, and interactive messages without text (a Flow's completion).

Replies: ``parse_reply`` reads the handler's response body (one reply object or an array of
them: ``chat`` text, ``chat`` with ``params.image`` or ``params.document``, ``reaction``) into
Meta message objects for the Graph API send, or a clear error; see its docstring.
"""

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import orjson

from wahooks.formats.identity import sender_of
from wahooks.formats.skip import SkipEvent
from wahooks.models import EventType, JsonObject, MediaInfo, MessageEvent

EVENTS = frozenset({EventType.MESSAGE_IN_NEW.value, EventType.TEST.value})
"""The event types this format expresses; any other is skipped."""

MEDIA_NAMES = {
    "image": "imageMessage",
    "document": "documentMessage",
    "audio": "audioMessage",
    "video": "videoMessage",
    "sticker": "stickerMessage",
}
OTHER_NAMES = {"contacts": "contactMessage", "location": "locationMessage"}
TEXT_LIKE = frozenset({"text", "interactive", "button"})


def _skip(event: MessageEvent, why: str) -> SkipEvent:
    return SkipEvent("whatspie", event.event_type, why)


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
        file["seconds"] = None  # Meta does not send durations
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


def _vcard_text(value: Any) -> str:
    text = str(value)
    for raw, escaped in (("\\", "\\\\"), ("\n", "\\n"), (",", "\\,"), (";", "\\;")):
        text = text.replace(raw, escaped)
    return text


def vcard(card: Mapping[str, Any]) -> str:
    """A Meta contact card as a vCard 3.0, lines joined by ``\\n`` as in the seed."""
    name = _obj(card.get("name"))
    formatted = name.get("formatted_name") or " ".join(
        str(name[k]) for k in ("first_name", "last_name") if name.get(k)
    )
    parts = ("last_name", "first_name", "middle_name", "prefix", "suffix")
    structured = [_vcard_text(name.get(k, "")) for k in parts]
    if not any(structured):
        structured[1] = _vcard_text(formatted)
    lines = ["BEGIN:VCARD", "VERSION:3.0", "N:" + ";".join(structured)]
    lines.append("FN:" + _vcard_text(formatted))
    org = _obj(card.get("org"))
    if org.get("company") or org.get("department"):
        company = _vcard_text(org.get("company", ""))
        department = _vcard_text(org.get("department", ""))
        lines.append(f"ORG:{company};{department}" if department else f"ORG:{company}")
    if org.get("title"):
        lines.append("TITLE:" + _vcard_text(org["title"]))
    for phone in _dicts(card.get("phones")):
        params = ""
        if phone.get("type"):
            params += f";type={phone['type']}"
        if phone.get("wa_id"):
            params += f";waid={phone['wa_id']}"
        lines.append(f"TEL{params}:{phone.get('phone') or phone.get('wa_id', '')}")
    for email in _dicts(card.get("emails")):
        params = f";type={email['type']}" if email.get("type") else ""
        lines.append(f"EMAIL{params}:{_vcard_text(email.get('email', ''))}")
    for url in _dicts(card.get("urls")):
        params = f";type={url['type']}" if url.get("type") else ""
        lines.append(f"URL{params}:{url.get('url', '')}")
    if card.get("birthday"):
        lines.append(f"BDAY:{card['birthday']}")
    lines.append("END:VCARD")
    return "\n".join(lines)


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


def payload(event: MessageEvent) -> JsonObject:
    if event.event_type not in EVENTS:
        raise _skip(event, "Whatspie notifies incoming messages only")
    item = event.item
    kind = str(item.get("type", ""))
    if kind not in TEXT_LIKE and kind not in MEDIA_NAMES and kind not in OTHER_NAMES:
        raise _skip(event, f"Whatspie has no shape for {kind or 'untyped'} messages")
    number, from_user = _sender(event)
    context = _obj(item.get("context"))
    common: JsonObject = {
        "from": number,
        "timestamp": _timestamp(item.get("timestamp")),
        "message_id": item.get("id"),
        "from_user": from_user,
        "is_forwarded": bool(context.get("forwarded") or context.get("frequently_forwarded")),
        "is_broadcast": False,
    }
    out: JsonObject
    if kind in TEXT_LIKE:
        text = _text_of(item)
        if not text:  # e.g. a Flow's completion (nfm_reply): nothing the user typed or tapped
            raise _skip(event, f"Whatspie has no shape for {kind} messages without text")
        out = {"message": text, **common}
    else:
        out = {"type": MEDIA_NAMES.get(kind) or OTHER_NAMES[kind]}
        if kind in MEDIA_NAMES:
            out["file"] = _file(event, kind)
        elif kind == "contacts":
            out["contacts"] = _contacts(item)
        else:
            out["location"] = _location(item)
        out["from"] = common.pop("from")
        out["participant"] = None
        out.update(common)
    if event.test:
        out["test"] = True
    return out


def render(event: MessageEvent) -> bytes:
    return orjson.dumps(payload(event))


# --- replies in the response body -----------------------------------------------------------

MAX_REPLY_MESSAGES = 10
MAX_TEXT = 4096  # Meta's limit for a text message body
MAX_CAPTION = 1024  # Meta's limit for a media caption
MAX_REACTION = 32  # an emoji, possibly a long ZWJ sequence
MEDIA_PARAMS = ("image", "document")


@dataclass(frozen=True, slots=True)
class Reply:
    """What a handler's response body asks us to send back, in order, or why nothing is.

    ``messages`` are Meta message objects (``type`` and its object) for the Graph API send;
    the sender adds ``to``. ``error`` is set (and ``messages`` empty) when the body is not a
    valid Whatspie reply: record it on the attempt; the delivery itself still succeeded."""

    messages: tuple[JsonObject, ...] = ()
    error: str | None = None


class _Invalid(ValueError):
    pass


def _https_url(value: Any, where: str) -> str:
    # The gateway fetches the file (as for a URL given to POST /v1/messages/send), and it
    # fetches https only: refusing http here records why on the attempt.
    if not isinstance(value, str) or not value.startswith("https://"):
        raise _Invalid(f"{where}: must be an https URL")
    if len(value) > 2048:
        raise _Invalid(f"{where}: longer than 2048 characters")
    return value


def _optional_str(obj: Mapping[str, Any], key: str, where: str) -> str | None:
    value = obj.get(key)
    if value is not None and not isinstance(value, str):
        raise _Invalid(f"{where}.{key}: must be a string")
    return value


def _limited(text: str, limit: int, where: str) -> str:
    if len(text) > limit:
        raise _Invalid(f"{where}: longer than {limit} characters (WhatsApp's limit)")
    return text


def _media_reply(params: Mapping[str, Any], body: str, where: str) -> JsonObject:
    kinds = [k for k in MEDIA_PARAMS if k in params]
    if len(kinds) != 1:
        raise _Invalid(f"{where}.params: needs exactly one of image, document")
    (kind,) = kinds
    media = params[kind]
    if not isinstance(media, dict):
        raise _Invalid(f"{where}.params.{kind}: must be an object with a url")
    obj: JsonObject = {"link": _https_url(media.get("url"), f"{where}.params.{kind}.url")}
    caption = _optional_str(params, "caption", f"{where}.params")
    _optional_str(params, "mimeType", f"{where}.params")  # Meta takes the type from the file
    if kind == "document":
        file_name = _optional_str(params, "fileName", f"{where}.params")
        if file_name:
            obj["filename"] = file_name
    # params.caption wins, as in Whatspie's sender; else the body, so no text is lost.
    caption = caption if caption else body
    if caption:
        obj["caption"] = _limited(caption, MAX_CAPTION, f"{where} caption")
    return {"type": kind, kind: obj}


def _one_reply(raw: Any, index: int | None, reply_to: str) -> JsonObject:
    where = "reply" if index is None else f"reply[{index}]"
    if not isinstance(raw, dict):
        raise _Invalid(f"{where}: must be an object with type and body")
    kind = raw.get("type")
    body = raw.get("body")
    if "simulation" in raw and not isinstance(raw["simulation"], bool):
        raise _Invalid(f"{where}.simulation: must be true or false")
    if kind == "reaction":
        if not isinstance(body, str):
            raise _Invalid(f"{where}.body: the reaction emoji (a string) is required")
        if not reply_to:
            raise _Invalid(f"{where}: there is no message to react to")
        emoji = _limited(body, MAX_REACTION, f"{where}.body")
        return {"type": "reaction", "reaction": {"message_id": reply_to, "emoji": emoji}}
    if kind != "chat":
        raise _Invalid(f'{where}.type: must be "chat" or "reaction", got {kind!r}')
    if not isinstance(body, str):
        raise _Invalid(f"{where}.body: a string is required")
    params = raw.get("params")
    if params is not None:
        if not isinstance(params, dict):
            raise _Invalid(f"{where}.params: must be an object")
        return _media_reply(params, body, where)
    if not body.strip():
        raise _Invalid(f"{where}.body: is empty")
    return {"type": "text", "text": {"body": _limited(body, MAX_TEXT, f"{where}.body")}}


TYPING = "typing"
"""Not a Meta message type: "show the typing indicator on ``typing.message_id``, then
pause", which the reply sender does before the message that asked for it."""


def _with_typing(message: JsonObject, raw: Any, reply_to: str) -> list[JsonObject]:
    # Whatspie's "simulation": typing shown before the reply. Shown on the message delivered,
    # which it also marks read (the Cloud API has no typing indicator without a read).
    if raw.get("simulation") is True and reply_to:
        return [{"type": TYPING, TYPING: {"message_id": reply_to}}, message]
    return [message]


def parse_reply(body: bytes, reply_to: str) -> Reply:
    """A Whatspie reply from a webhook response body.

    ``reply_to`` is the wamid of the message delivered (what a ``reaction`` reacts to). An
    empty body (or ``[]``) asks for nothing. A body that is not one reply object or an array
    of at most ``MAX_REPLY_MESSAGES`` of them is an error, and then nothing at all is sent, not
    even the valid items: Whatspie sends no reply unless the JSON is valid.

    - ``{"type": "chat", "body": …}`` → a text message; with ``"simulation": true`` the
      user sees "typing…" (and the message delivered read) first
    - ``… "params": {"image": {"url": …}, "caption": …}`` → an image by link
    - ``… "params": {"document": {"url": …}, "fileName": …, "mimeType": …}`` → a document
    - ``{"type": "reaction", "body": "👍"}`` → a reaction to the message delivered
    """
    text = body.strip()
    if not text:
        return Reply()
    try:
        raw = orjson.loads(text)
    except orjson.JSONDecodeError as exc:
        return Reply(error=f"reply: the response body is not JSON ({exc}); nothing sent back")
    try:
        if isinstance(raw, list):
            if len(raw) > MAX_REPLY_MESSAGES:
                raise _Invalid(
                    f"reply: {len(raw)} messages; at most {MAX_REPLY_MESSAGES} per response"
                )
            items: list[tuple[int | None, Any]] = list(enumerate(raw))
        else:
            items = [(None, raw)]
        messages = tuple(
            message
            for index, item in items
            for message in _with_typing(_one_reply(item, index, reply_to), item, reply_to)
        )
    except _Invalid as exc:
        return Reply(error=f"{exc}; nothing sent back")
    return Reply(messages=messages)
