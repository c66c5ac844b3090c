"""The ``wassenger`` format: Wassenger's webhook event envelope (seeds/004).

- ``message:in:new``, ``message:out:new``, ``message:out:ack``: one JSON object per POST,
  ``{object: "message", event, created, [ack,] device, data}``, ``data`` the message as
  Wassenger describes it, every field of the seed's examples present (message.py, chat.py).
  ``message:out:ack`` repeats the status (``sent``, ``delivered``, ``read``, ``played``) as
  top-level ``ack``.
- ``message:out:failed``: a JSON **array** of ``{event, date, entity, entityId, entityUrl,
  user, data}`` items, up to ``MAX_BATCH`` (25) per POST (failed.py); ``render`` sends a
  batch of one. Failure notices are not held in their conversation's order, so a batch
  gathers them across conversations (``UNORDERED_EVENTS``).
- ``message:reaction``, ``message:update``, ``chat:update``, ``contact:update`` and
  ``group:update``, which the seed lists without an example: the same envelope, shapes in
  updates.py.
- The test delivery: the ``message:in:new`` shape, with ``wahooks.test: true``.

Values: ids are Meta's wamids; ``from``/``to`` are WhatsApp ids (``<number>@c.us``, a group
``@g.us``), the ``…Number`` fields E.164 with ``+``; ``created`` and ``timestamp`` Unix
seconds (integers); dates ISO 8601 UTC with milliseconds. The ``device`` is our number. The
chat's times, counts and labels, ``meta.isFirstMessage``, and the failed item's device
health come from the conversation and number as they stand at send time (``event.chat``,
loaded by the sender for this format only: ``needs_chat``). What we cannot know is present
with the seed's empty value (null, ``[]``, ``false``); the field table is in
docs/formats.md.

Our additions, under a top-level ``wahooks`` object (one per failed item) so that they never
collide with Wassenger's fields: ``conversationId`` and ``numberId`` (what our send API
takes), ``message`` (Meta's message object verbatim), ``media`` (our stored copy, as in the
``pipes`` format), ``status`` (Meta's status object, with its ``errors`` for a failure),
the 2026 user ids and ``test``.

Success: Wassenger counts HTTP 200-209 as delivered (``accepts``), anything else is retried.

Skipped (``SkipEvent``): event types Wassenger has no event for (``destination:disabled``,
``unsupported`` and the changes of Meta's other fields but groups).
"""

import orjson

from wahooks.formats.skip import SkipEvent
from wahooks.formats.wassenger.failed import MAX_BATCH, failed_item, render_batch
from wahooks.formats.wassenger.message import envelope, message_data
from wahooks.formats.wassenger.updates import EVENTS as UPDATE_EVENTS
from wahooks.formats.wassenger.updates import RENDERERS
from wahooks.models import UNORDERED_EVENTS, EventType, MessageEvent

__all__ = ["BATCHED", "EVENTS", "MAX_BATCH", "accepts", "failed_item", "message_data",
           "render", "render_batch"]  # fmt: skip

IN_NEW = EventType.MESSAGE_IN_NEW.value
OUT_NEW = EventType.MESSAGE_OUT_NEW.value
OUT_ACK = EventType.MESSAGE_OUT_ACK.value
OUT_FAILED = EventType.MESSAGE_OUT_FAILED.value
TEST = EventType.TEST.value

EVENTS = frozenset({IN_NEW, OUT_NEW, OUT_ACK, OUT_FAILED, TEST}) | UPDATE_EVENTS
"""The event types this format expresses; any other is skipped."""
BATCHED = UNORDERED_EVENTS["wassenger"]


def accepts(status: int) -> bool:
    """Wassenger: "HTTP response status code must be 200-209 to be successful"."""
    return 200 <= status <= 209


def _skip(event: MessageEvent, why: str) -> SkipEvent:
    return SkipEvent("wassenger", event.event_type, why)


def render(event: MessageEvent) -> bytes:
    kind = event.event_type
    if kind == OUT_FAILED:
        return render_batch([event])
    if kind not in EVENTS:
        raise _skip(event, "Wassenger has no such event")
    if kind in RENDERERS:
        return orjson.dumps(RENDERERS[kind](event))
    if kind == OUT_ACK:
        status = event.status
        if status is None:
            raise _skip(event, "the event carries no status")
        if (event.data or {}).get("external") is True:
            raise _skip(event, "a status of a message sent elsewhere: no message of ours to ack")
        return orjson.dumps(envelope(event, kind, ack=str(status.get("status", ""))))
    return orjson.dumps(envelope(event, IN_NEW if kind == TEST else kind))
