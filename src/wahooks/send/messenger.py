"""Replies from the customer to a conversation: checked, sent through the Graph API, stored.

The REST send endpoint and the socket's reply frames both come through here, so the same
rules hold for both: the conversation must be the tenant's, WhatsApp's 24-hour service
window must be open, and what was sent is stored (with its message:out:new event) so Meta's
statuses can move it forward.
"""

import re
from dataclasses import dataclass

from wahooks.errors import (
    Conflict,
    InvalidRequest,
    NotFound,
    ServiceWindowExpired,
    UpstreamError,
)
from wahooks.models import Clock, Conversation, JsonObject
from wahooks.send.graph import GraphClient, GraphError
from wahooks.store import Store

MAX_TEXT_CHARS = 4096
SERVICE_WINDOW_S = 24 * 3600
WINDOW_EXPIRED = "Service window expired — last inbound message is older than 24 hours."


@dataclass(frozen=True, slots=True)
class Sent:
    message_id: str  # Meta's wamid
    conversation_id: str


_BSUID = re.compile(r"[A-Z]{2}\.[A-Za-z0-9.]{1,140}")


def addressee(contact_id: str) -> JsonObject:
    """A send's recipient field: ``to`` for a phone number, ``recipient`` for a
    business-scoped user id (a user known only by it: one with a username who hides the
    number; Meta's "Business-scoped user IDs" guide)."""
    if _BSUID.fullmatch(contact_id):
        return {"recipient": contact_id}
    return {"to": contact_id}


def check_text(text: str) -> str:
    if not text:
        raise InvalidRequest("text: must not be empty")
    if len(text) > MAX_TEXT_CHARS:
        raise InvalidRequest(
            f"text: {len(text)} characters; WhatsApp takes at most {MAX_TEXT_CHARS}"
        )
    return text


class Messenger:
    def __init__(self, store: Store, graph: GraphClient, *, clock: Clock) -> None:
        self._store = store
        self._graph = graph
        self._clock = clock

    async def send_text(self, tenant_id: str, conversation_id: str, text: str) -> Sent:
        check_text(text)
        message = {"type": "text", "text": {"body": text, "preview_url": False}}
        return await self._send(tenant_id, conversation_id, message)

    async def send_reaction(
        self, tenant_id: str, conversation_id: str, message_id: str, emoji: str
    ) -> Sent:
        """React to a message of the conversation; an empty emoji removes the reaction."""
        if not message_id:
            raise InvalidRequest("messageId: required")
        message = {"type": "reaction", "reaction": {"message_id": message_id, "emoji": emoji}}
        return await self._send(tenant_id, conversation_id, message)

    async def mark_read(
        self,
        tenant_id: str,
        message_id: str,
        *,
        typing: bool = False,
        conversation_id: str | None = None,
        app_id: str | None = None,
    ) -> Sent:
        """Mark a received message read (the user sees blue ticks), with the typing
        indicator if ``typing``. Only a message the tenant received (for ``app_id``, on the
        App's numbers; with ``conversation_id``, in that conversation). The typing indicator
        announces a reply, so it needs what a reply needs (the 24-hour window open, the
        activation active); a read receipt alone does not."""
        if not message_id:
            raise InvalidRequest("messageId: required")
        found = await self._store.conversations.of_inbound_message(tenant_id, message_id)
        if found is None or conversation_id not in (None, found):
            where = f" in conversation {conversation_id}" if conversation_id else ""
            raise NotFound(f"no received message {message_id}{where}")
        conversation = await self.conversation(tenant_id, found)
        if app_id is not None and conversation.number.app_id != app_id:
            raise NotFound(f"no received message {message_id}")
        if typing:
            self._check_open(conversation)
        try:
            await self._graph.mark_read(conversation.number, message_id, typing=typing)
        except GraphError as exc:
            raise graph_refused("marking the message read", exc) from exc
        return Sent(message_id=message_id, conversation_id=found)

    async def conversation(self, tenant_id: str, conversation_id: str) -> Conversation:
        conversation = await self._store.conversations.get(tenant_id, conversation_id)
        if conversation is None:
            raise NotFound(f"no conversation {conversation_id}")
        return conversation

    async def open_conversation(self, tenant_id: str, conversation_id: str) -> Conversation:
        """The tenant's conversation, if WhatsApp's 24-hour window lets us write in it (and,
        on a pool number, the sender is still activated for the tenant)."""
        conversation = await self.conversation(tenant_id, conversation_id)
        self._check_open(conversation)
        return conversation

    def _check_open(self, conversation: Conversation) -> None:
        if conversation.number.kind == "pool" and conversation.activation_state != "active":
            raise Conflict(
                f"conversation {conversation.id}: its activation "
                f"{conversation.activation_id or '(none)'} on pool number "
                f"{conversation.number.id} is {conversation.activation_state or 'missing'}; "
                "the sender can no longer be written to",
                code="activation_inactive",
            )
        last_in = conversation.last_inbound_at
        if last_in is None or self._clock() - last_in > SERVICE_WINDOW_S:
            raise ServiceWindowExpired(WINDOW_EXPIRED)

    async def _send(self, tenant_id: str, conversation_id: str, message: JsonObject) -> Sent:
        conversation = await self.open_conversation(tenant_id, conversation_id)
        return await self.deliver(conversation, message)

    async def deliver(self, conversation: Conversation, message: JsonObject) -> Sent:
        """Send `message` (``type`` and its object) to the conversation's contact, and store
        it with its message:out:new event."""
        to = (
            {"recipient_type": "group", "to": conversation.wa_id}
            if conversation.is_group
            else addressee(conversation.wa_id)
        )
        message = {**to, **message}
        try:
            wamid = await self._graph.send_message(conversation.number, message)
        except GraphError as exc:
            raise graph_refused("the message", exc) from exc
        item = {**message, "id": wamid, "timestamp": str(int(self._clock()))}
        await self._store.inbound.record_outbound(
            conversation.number,
            conversation.wa_id,
            wamid,
            message["type"],
            item,
            tenant_id=conversation.tenant_id,
        )
        return Sent(message_id=wamid, conversation_id=conversation.id)


def graph_refused(what: str, exc: GraphError) -> UpstreamError:
    """A 502 carrying Meta's own code and message."""
    return UpstreamError(
        f"Graph API refused {what}: {exc.message}",
        code="graph_error",
        details={
            "graphCode": exc.code,
            "graphMessage": exc.message,
            "graphDetails": exc.details,
            "fbtraceId": exc.fbtrace_id,
        },
    )
