"""/v1/conversations: one (number, contact) pair each, with its recent messages, labels,
notes and the tenant's own id for the user (``externalUserId``); they also feed the
``summary`` payload format.

Tenant keys see the tenant's conversations; an App key sees those of its App's numbers.
Anyone else's conversation is answered 404, as one that does not exist.
"""

# One router per concern (browse, annotations), joined here in the order the document
# lists them; the tag is given once, here, so each route carries it once.
from fastapi import APIRouter

from wahooks.api.conversations import annotations, browse
from wahooks.api.conversations.values import Text

__all__ = ["Text", "router"]

router = APIRouter(tags=["conversations"])
for part in (browse, annotations):
    router.include_router(part.router)
