"""The reply a Whatspie handler returns in its response body (seeds/003), read into Meta
message objects for the Graph API send, or a clear error (``parse_reply``)."""

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import orjson

from wahooks.models import JsonObject

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
