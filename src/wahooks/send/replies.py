"""Replies a receiver put in its webhook answer (the ``whatspie`` format), sent to the user.

They take the path of ``POST /v1/messages/send``: the same checks (the conversation is the
tenant's, WhatsApp's 24-hour window is open), media fetched from its URL and uploaded, and
what was sent stored with its ``message:out:new`` event.

Sending happens in tasks, so the dispatcher never waits on the Graph API. The tasks are
kept (not fire-and-forget): a failure is logged, and ``close`` lets them finish. Replies of
one conversation go out in the order their deliveries were answered, each reply's messages
in its own order; after a message fails, the rest of that reply is not sent (it may build on
what failed), and the failure is logged and recorded on the delivery whose answer carried
the reply (an attempt of channel ``reply``, error ``reply_failed``, with what failed), so
the API shows why the user got no answer.
"""

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass

from wahooks.errors import InvalidRequest, WahooksError
from wahooks.formats.whatspie import TYPING
from wahooks.models import JsonObject
from wahooks.send.media import MediaRequest, MediaSender
from wahooks.send.messenger import Messenger

log = logging.getLogger(__name__)

# How long "typing…" shows before a reply that asked for it (Whatspie's "simulation"):
# long enough to be seen, short against the indicator's own 25 s.
TYPING_PAUSE_S = 1.0


@dataclass(frozen=True, slots=True)
class ReplyOrigin:
    """Whose answer carried the reply: its delivery, the attempt's number, when it began."""

    delivery_id: str
    attempt: int
    started_at: float


RecordFailure = Callable[[str, int, float, str], Awaitable[None]]
"""(delivery id, attempt, started at, what failed): store.deliveries.record_reply_failure."""


class ReplySender:
    def __init__(
        self,
        messenger: Messenger,
        media_sender: MediaSender,
        record_failure: RecordFailure | None = None,
    ) -> None:
        self._messenger = messenger
        self._media_sender = media_sender
        self._record_failure = record_failure
        self._tasks: set[asyncio.Task[None]] = set()
        # The last reply task of each conversation: the next one waits for it.
        self._tails: dict[str, asyncio.Task[None]] = {}

    def submit(
        self,
        tenant_id: str,
        conversation_id: str,
        messages: Sequence[JsonObject],
        *,
        why: str,
        origin: ReplyOrigin | None = None,
    ) -> None:
        """Send ``messages`` (Meta message objects: ``type`` and its object) to the
        conversation, after its earlier replies; ``why`` names the delivery, for the logs;
        a failure is recorded on ``origin``."""
        if not messages:
            return
        before = self._tails.get(conversation_id)
        task = asyncio.create_task(
            self._run(before, tenant_id, conversation_id, list(messages), why, origin),
            name=f"reply-{conversation_id}",
        )
        self._tasks.add(task)
        self._tails[conversation_id] = task
        task.add_done_callback(lambda t: self._done(conversation_id, t))

    def _done(self, conversation_id: str, task: asyncio.Task[None]) -> None:
        self._tasks.discard(task)
        if self._tails.get(conversation_id) is task:
            del self._tails[conversation_id]

    async def close(self, grace_s: float = 5.0) -> None:
        """Let replies under way finish (up to ``grace_s``), then cancel the rest."""
        if not self._tasks:
            return
        _, pending = await asyncio.wait(set(self._tasks), timeout=grace_s)
        for task in pending:
            log.warning("a reply was still being sent at shutdown: cancelled (%s)", task.get_name())
            task.cancel()
        await asyncio.gather(*pending, return_exceptions=True)

    async def _run(
        self,
        before: asyncio.Task[None] | None,
        tenant_id: str,
        conversation_id: str,
        messages: list[JsonObject],
        why: str,
        origin: ReplyOrigin | None = None,
    ) -> None:
        if before is not None:
            await asyncio.wait([before])  # its outcome is its own; only the order matters here
        for index, message in enumerate(messages):
            which = f"message {index + 1} of {len(messages)} ({message.get('type')})"
            try:
                await self._send(tenant_id, conversation_id, message)
            except WahooksError as exc:
                log.warning(
                    "reply to %s: %s not sent, nor the rest: %s [%s]",
                    why, which, exc.message, exc.code,
                )  # fmt: skip
                await self._failed(origin, f"reply: {which} not sent, nor the rest: "
                                           f"{exc.message} [{exc.code}]")  # fmt: skip
                return
            except Exception as exc:
                log.exception("reply to %s: %s failed; the rest not sent", why, which)
                await self._failed(origin, f"reply: {which} failed ({type(exc).__name__}); "
                                           "the rest not sent")  # fmt: skip
                return

    async def _failed(self, origin: ReplyOrigin | None, detail: str) -> None:
        if origin is None or self._record_failure is None:
            return
        try:
            await self._record_failure(
                origin.delivery_id, origin.attempt, origin.started_at, detail
            )
        except Exception:  # the log line above already says what failed
            log.exception("the reply failure of %s could not be recorded", origin.delivery_id)

    async def _send(self, tenant_id: str, conversation_id: str, message: JsonObject) -> None:
        kind = message.get("type")
        if kind == TYPING:
            await self._messenger.mark_read(
                tenant_id,
                message[TYPING]["message_id"],
                typing=True,
                conversation_id=conversation_id,
            )
            await asyncio.sleep(TYPING_PAUSE_S)
        elif kind == "text":
            text = message["text"]["body"]
            await self._messenger.send_text(tenant_id, conversation_id, text)
        elif kind == "reaction":
            reaction = message["reaction"]
            await self._messenger.send_reaction(
                tenant_id, conversation_id, reaction["message_id"], reaction["emoji"]
            )
        elif kind in ("image", "document"):
            media = message[kind]
            request = MediaRequest(
                media=media["link"], file_name=media.get("filename"), caption=media.get("caption")
            )
            await self._media_sender.send(tenant_id, conversation_id, request)
        else:
            raise InvalidRequest(f"a reply cannot send {kind!r} messages")
