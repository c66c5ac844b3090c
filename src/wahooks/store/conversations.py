"""Conversations: listed, read, labelled, annotated; the summary context."""

from collections.abc import Sequence

from wahooks.models import (
    ChatFacts,
    Conversation,
    ConversationContext,
    ConversationNote,
    ConversationRecord,
    IdentityChange,
    MessageRecord,
)
from wahooks.store import chat_ops, convs_ops, move_ops
from wahooks.store.area import Area
from wahooks.store.notifier import Topic


class Conversations(Area):
    async def get(self, tenant_id: str, conversation_id: str) -> Conversation | None:
        return await self.connector.read(
            convs_ops.conversation_by_id(tenant_id, conversation_id, self.keyring)
        )

    async def page(
        self,
        tenant_id: str,
        *,
        app_id: str | None = None,
        number_id: str | None = None,
        label: str | None = None,
        external_user_id: str | None = None,
        wa_id: str | None = None,
        before: tuple[float, str] | None = None,
        limit: int = 50,
    ) -> list[ConversationRecord]:
        """Newest activity first; ``before`` is the (activity, id) of the last row seen."""
        return await self.connector.read(
            convs_ops.list_conversations(
                tenant_id,
                app_id=app_id,
                number_id=number_id,
                label=label,
                external_user_id=external_user_id,
                wa_id=wa_id,
                before=before,
                limit=limit,
            )
        )

    async def detail(
        self, tenant_id: str, conversation_id: str, *, app_id: str | None = None
    ) -> ConversationRecord | None:
        return await self.connector.read(
            convs_ops.conversation_detail(tenant_id, app_id, conversation_id)
        )

    async def change_labels(
        self,
        tenant_id: str,
        conversation_id: str,
        *,
        app_id: str | None = None,
        replace_with: Sequence[str] | None = None,
        add: str | None = None,
        remove: str | None = None,
    ) -> tuple[str, ...]:
        """Raises NotFound (conversation, or a label to remove) or InvalidRequest (too many).
        A change is a chat:update event."""
        labels = await self.connector.transaction(
            convs_ops.change_labels(
                tenant_id,
                app_id,
                conversation_id,
                replace_with=replace_with,
                add=add,
                remove=remove,
                now=self.clock(),
            )
        )
        self._woken(tenant_id)
        return labels

    def _woken(self, tenant_id: str) -> None:
        """A change may have made deliveries (chat:update, contact:update): wake their
        senders now rather than at their next poll."""
        self.notifier.publish(Topic.DELIVERIES, [tenant_id])

    async def add_note(
        self, tenant_id: str, conversation_id: str, text: str, *, app_id: str | None = None
    ) -> ConversationNote:
        note = await self.connector.transaction(
            convs_ops.add_note(tenant_id, app_id, conversation_id, text, self.clock())
        )
        self._woken(tenant_id)
        return note

    async def delete_note(
        self, tenant_id: str, conversation_id: str, note_id: str, *, app_id: str | None = None
    ) -> None:
        await self.connector.transaction(
            convs_ops.delete_note(tenant_id, app_id, conversation_id, note_id, self.clock())
        )
        self._woken(tenant_id)

    async def set_external_user_id(
        self,
        tenant_id: str,
        conversation_id: str,
        external_user_id: str | None,
        *,
        app_id: str | None = None,
    ) -> None:
        await self.connector.transaction(
            convs_ops.set_external_user_id(
                tenant_id, app_id, conversation_id, external_user_id, self.clock()
            )
        )
        self._woken(tenant_id)

    async def follow_identity_change(self, number_id: str, change: IdentityChange) -> list[str]:
        """The user's conversations and activation on the number move to the new ids (see
        move_ops.py); returns the conversations that hold them. The ingest runs the same
        operation inside its own transaction, beside the update announcing the change."""
        return await self.connector.transaction(
            move_ops.follow_identity_change(number_id, change, self.clock())
        )

    async def messages(
        self,
        tenant_id: str,
        conversation_id: str,
        *,
        app_id: str | None = None,
        before_seq: int | None = None,
        limit: int = 50,
    ) -> list[MessageRecord] | None:
        return await self.connector.read(
            convs_ops.conversation_messages(
                tenant_id, app_id, conversation_id, before_seq=before_seq, limit=limit
            )
        )

    async def of_inbound_message(self, tenant_id: str, wamid: str) -> str | None:
        """The id of the tenant's conversation that received ``wamid``, if any."""
        return await self.connector.read(
            convs_ops.conversation_of_inbound_message(tenant_id, wamid)
        )

    async def context(
        self, conversation_id: str, wamid: str | None, *, recent: int
    ) -> ConversationContext | None:
        return await self.connector.read(
            convs_ops.conversation_context(conversation_id, wamid, recent)
        )

    async def chat_facts(self, conversation_id: str) -> ChatFacts | None:
        """The wassenger format's chat and device facts, as they stand now."""
        return await self.connector.read(chat_ops.chat_facts(conversation_id))
