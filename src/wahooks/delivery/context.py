"""What a delivery's format renders besides the event, loaded at send time: the
conversation as it stood at the message (``summary``), or the chat's counts and times and
its number's facts (``wassenger``).

Only formats whose spec asks for it get the extra read (one statement); every other
delivery goes out exactly as claimed.
"""

from dataclasses import replace

from wahooks.config import Settings
from wahooks.formats import SPECS
from wahooks.models import ClaimedDelivery
from wahooks.store import Store


async def with_conversation(
    store: Store, settings: Settings, delivery: ClaimedDelivery
) -> ClaimedDelivery:
    spec = SPECS.get(delivery.destination.format)
    event = delivery.event
    if spec is None or not event.conversation_id:
        return delivery
    if spec.needs_chat:
        facts = await store.conversations.chat_facts(event.conversation_id)
        return replace(delivery, event=replace(event, chat=facts))
    if not spec.needs_conversation:
        return delivery
    wamid = event.item.get("id")
    context = await store.conversations.context(
        event.conversation_id,
        str(wamid) if wamid else None,
        recent=settings.summary_recent_messages,
    )
    return replace(delivery, event=replace(event, conversation=context))
