"""One open WebSocket of a tenant: its scope, its ack mode, and a safe way to write to it."""

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
    id: str = field(default_factory=lambda: str(uuid.uuid4()))
    closed: bool = False

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
        """Write one frame; False when the connection is gone (it is then marked closed)."""
        if self.closed:
            return False
        try:
            await self.websocket.send_text(text)
        except Exception as exc:  # any failure to write means the peer is gone
            log.debug("socket %s: write failed: %s", self.id, exc)
            self.closed = True
            return False
        return True
