"""One open WebSocket of a tenant (or of one of its Apps): its scope, its ack mode, and a safe
way to write to it."""

import asyncio
import logging
import uuid
from dataclasses import dataclass, field

from starlette.websockets import WebSocket

log = logging.getLogger(__name__)


@dataclass(eq=False)
class Connection:
    websocket: WebSocket
    tenant_id: str
    conversation_id: str | None  # None: user scope, every conversation of the tenant
    ack: bool  # True: a frame counts as delivered only once the client acknowledges it
    opened_at: float
    send_timeout_s: float = 5.0
    app_id: str | None = None  # an App's connection (ak_live_ key): only the App's events
    id: str = field(default_factory=lambda: str(uuid.uuid4()))
    closed: bool = False
    # The close of a too-slow peer, kept referenced while it runs (it is not awaited).
    _closing: asyncio.Task[None] | None = field(default=None, init=False, repr=False)

    @property
    def scope(self) -> str:
        return "user" if self.conversation_id is None else "conversation"

    def accepts(self, conversation_id: str, created_at: float) -> bool:
        """User scope takes everything (and drains the queue); conversation scope takes only
        its conversation, and only what arrived since it connected (no drain, as Pipes.bot)."""
        if self.conversation_id is None:
            return True
        return conversation_id == self.conversation_id and created_at >= self.opened_at

    async def send(self, text: str) -> bool:
        """Write one frame; False when the connection is gone (it is then marked closed).

        A peer that stops reading fills its buffers and the write waits: after the timeout
        it is closed as too slow, so it cannot stall the tenant's other connections (its
        unacknowledged frames are released and come again on its next connection)."""
        if self.closed:
            return False
        try:
            async with asyncio.timeout(self.send_timeout_s):
                await self.websocket.send_text(text)
        except TimeoutError:
            log.warning("socket %s: too slow to read its frames; closing it", self.id)
            self.closed = True
            self._closing = asyncio.create_task(self._close_slow())
            return False
        except Exception as exc:  # any failure to write means the peer is gone
            log.debug("socket %s: write failed: %s", self.id, exc)
            self.closed = True
            return False
        return True

    async def _close_slow(self) -> None:
        try:
            async with asyncio.timeout(1):
                await self.websocket.close(1008, "too slow")
        except Exception:  # the transport is stuck or gone; uvicorn's ping ends it
            log.debug("socket %s: closing a slow peer failed", self.id)
