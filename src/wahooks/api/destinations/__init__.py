"""/v1/destinations: where a tenant's events go, how fast, signed with what; a test send.

Options: payload ``format``, ``events``, ``timeoutSeconds`` (1-30), ``retrySchedule``,
``maxRate`` (deliveries/s, per process; null: unlimited), ``maxInFlight`` (concurrent
requests, per process; null: the gateway's default), ``ordered`` (per-conversation order, on
by default), ``enabled``. Secrets rotate with a grace period during which both sign
(``POST /v1/destinations/{id}/rotate-secret``). The gateway disables a destination that
answers 410 or keeps failing (delivery/health.py); ``PATCH {"enabled": true}`` resumes it.
"""

# One router per concern (crud, rotation, try_send), joined here in the order the document
# lists them; the tag is given once, here, so each route carries it once.
from fastapi import APIRouter

from wahooks.api.destinations import crud, rotation, try_send

router = APIRouter(tags=["destinations"])
for part in (crud, rotation, try_send):
    router.include_router(part.router)
