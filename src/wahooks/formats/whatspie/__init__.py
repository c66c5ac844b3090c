"""The ``whatspie`` format: Whatspie's webhook shapes (seeds/003), one message per POST, and the
reply a Whatspie handler returns in its response body.

Shapes, per message type (keys and their order as in the seed; shapes.py):

- ``text``: ``message``, ``from``, ``timestamp``, ``message_id``, ``from_user{name, jid}``,
  ``is_forwarded``, ``is_broadcast`` (no ``type``, no ``participant``, as in the seed).
- ``image``, ``document``, ``audio`` (``imageMessage``, ``documentMessage``, ``audioMessage``):
  ``type``, ``file{url, caption, fileName}`` (audio adds ``seconds``), ``from``,
  ``participant`` (null), ``timestamp``, ``message_id``, ``from_user``, ``is_forwarded``,
  ``is_broadcast``.
- ``contacts``: ``contactMessage`` with ``contacts[{displayName, vcard}]``, a vCard 3.0 written
  from Meta's contact card like the seed's.

Where the seed is silent we follow the naming it visibly uses (Baileys' message names), with
the common fields of the file shapes (``type``, then the content, ``from``, ``participant``,
``timestamp``, ``message_id``, ``from_user``, ``is_forwarded``, ``is_broadcast``):

- ``video``: ``videoMessage``, ``file{url, caption, fileName, seconds}``; ``sticker``:
  ``stickerMessage``, ``file{url, caption, fileName}``; ``location``: ``locationMessage``,
  ``location{degreesLatitude, degreesLongitude, name, address, url}``.
- A tapped button or list reply (``interactive``, ``button``): the text shape with the
  title the user tapped as ``message`` (what the chat shows), and Meta's object unchanged
  under ``interactive`` / ``button``.
- A Flow's completion (``interactive`` ``nfm_reply``): ``flowReplyMessage``,
  ``flow{name, body, response}`` (``response_json`` read as JSON), and ``interactive``.
  Another interactive message without text: ``interactiveMessage`` with ``interactive``.
- ``reaction`` (event ``message:reaction``): ``reactionMessage``, ``reaction{emoji,
  message_id, removed}``; ``emoji`` null and ``removed`` true when the user took it back.
- ``edit`` (``message:update``): ``editedMessage``, ``edit{message_id, message, original}``:
  the wamid edited, the new text, Meta's new message object.
- ``revoke`` (``message:update``): ``revokedMessage``, ``revoke{message_id}``.
- ``unsupported``: ``unsupportedMessage``, ``unsupported`` (Meta's object) and ``errors``.
- Any other type (``order``, ``system``, ``request_welcome``, types Meta adds):
  ``<type>Message`` in camel case (``orderMessage``, ``systemMessage``,
  ``requestWelcomeMessage``) with Meta's object under Meta's name (``order``, ``system``…);
  a message without a type is ``unknownMessage``.

Values: ``from`` is the sender's number without ``+``, ``jid`` is ``<number>@s.whatsapp.net``,
``timestamp`` Unix seconds as an integer, ``message_id`` Meta's wamid. ``file.url`` is the
signed link to our stored copy (absolute, fetched without a key, as the seed's storage URLs
are; media/links.py), null while the file is unavailable. ``seconds``: the length of our
stored copy when it could be read from the file (Meta does not send it), else null. A test
delivery adds ``"test": true``.

Skipped (``SkipEvent``, the reason recorded on the delivery): every event but
``message:in:new``, ``message:reaction``, ``message:update`` and the test delivery
(Whatspie notifies incoming messages only: no outbound events, no account news). Within
those, no message type is skipped.

Replies: ``parse_reply`` reads the handler's response body (one reply object or an array of
them: ``chat`` text, ``chat`` with ``params.image`` or ``params.document``, ``reaction``) into
Meta message objects for the Graph API send, or a clear error; see replies.py. Only a
``message:in:new`` is answered.
"""

import orjson

from wahooks.formats.skip import SkipEvent
from wahooks.formats.whatspie.replies import MAX_REPLY_MESSAGES, TYPING, Reply, parse_reply
from wahooks.formats.whatspie.shapes import media_url, payload
from wahooks.formats.whatspie.vcard import vcard
from wahooks.models import EventType, MessageEvent

__all__ = ["EVENTS", "MAX_REPLY_MESSAGES", "TYPING", "Reply", "media_url", "parse_reply",
           "render", "vcard"]  # fmt: skip

EVENTS = frozenset(
    {
        EventType.MESSAGE_IN_NEW.value,
        EventType.MESSAGE_REACTION.value,
        EventType.MESSAGE_UPDATE.value,
        EventType.TEST.value,
    }
)
"""The event types this format expresses; any other is skipped."""


def render(event: MessageEvent) -> bytes:
    if event.event_type not in EVENTS:
        raise SkipEvent("whatspie", event.event_type, "Whatspie notifies incoming messages only")
    return orjson.dumps(payload(event))
