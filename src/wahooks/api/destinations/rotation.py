"""Rotating a destination's signing secret with a grace period during which both sign, so
a receiver can switch secrets without refusing a single delivery.
"""

from dataclasses import replace
from typing import Annotated

from fastapi import APIRouter, Body, Request

from wahooks.api.destinations.access import INVALID, NOT_FOUND, DestinationId, TenantDep, _get
from wahooks.api.destinations.models import DestinationOut, RotateIn, _out
from wahooks.delivery.signing import new_secret
from wahooks.errors import NotFound
from wahooks.gateway import gateway_of

router = APIRouter(prefix="/v1/destinations")


@router.post(
    "/{destinationId}/rotate-secret",
    operation_id="rotateDestinationSecret",
    response_model=DestinationOut,
    response_model_by_alias=True,
    summary="Rotate a destination's secret",
    responses={400: {"description": INVALID}, **NOT_FOUND},
)
async def rotate_secret(
    destination_id: DestinationId,
    request: Request,
    tenant: TenantDep,
    body: Annotated[RotateIn | None, Body()] = None,
) -> DestinationOut:
    """Replace the signing secret (the new one is in this answer, and only here). For
    ``graceSeconds`` (default 24 h) the old secret signs every delivery too: a second
    ``v1,`` signature in ``webhook-signature``, and ``X-Pipes-Signature-Previous`` /
    ``X-Hub-Signature-256-Previous`` beside the new secret's ``X-Pipes-Signature`` /
    ``X-Hub-Signature-256``. Rotating again within the grace period drops the oldest."""
    gateway = gateway_of(request)
    body = body or RotateIn()
    current = await _get(gateway, tenant, destination_id)
    now = gateway.clock()
    grace = body.grace_seconds
    updated = replace(
        current,
        secret=body.secret or new_secret(),
        previous_secret=current.secret if grace > 0 else None,
        previous_secret_until=now + grace if grace > 0 else None,
    )
    if not await gateway.store.destinations.update(updated, reenabled=False):
        raise NotFound(f"no destination {destination_id}")
    return _out(updated, now, with_secret=True)
