"""The conversation a delivery's format renders from (``summary``), loaded at send time.

Only formats whose spec says ``needs_conversation`` get the extra read; every other
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
    if spec is None or not spec.needs_conversation or not event.conversation_id:
        return delivery
    wamid = event.item.get("id")
    context = await store.conversations.context(
        event.conversation_id,
        str(wamid) if wamid else None,
        recent=settings.summary_recent_messages,
    )
    return replace(delivery, event=replace(event, conversation=context))
