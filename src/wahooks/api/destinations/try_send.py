"""A test delivery: a sample message POSTed (or published into the destination's message
bus) now, signed like any delivery, and the receiver's answer reported; nothing stored, so
setting up a receiver costs no health.
"""

import orjson
from fastapi import APIRouter, Request

from wahooks.api.destinations.access import NOT_FOUND, DestinationId, TenantDep, _get
from wahooks.api.destinations.models import TestResult
from wahooks.delivery.signing import SIGNATURE_HEADERS
from wahooks.delivery.webhook import prepare
from wahooks.errors import InvalidRequest
from wahooks.formats import SkipEvent
from wahooks.formats.samples import sample_event
from wahooks.gateway import gateway_of
from wahooks.ids import new_id
from wahooks.models import (
    DeliveryId,
    DeliveryMethod,
)

router = APIRouter(prefix="/v1/destinations")


@router.post(
    "/{destinationId}/test",
    operation_id="testDestination",
    response_model=TestResult,
    response_model_by_alias=True,
    summary="Send a test delivery",
    responses={
        400: {"description": "invalid_request: a socket destination cannot be tested."},
        **NOT_FOUND,
    },
)
async def test_destination(
    destination_id: DestinationId, request: Request, tenant: TenantDep
) -> TestResult:
    """POST a sample message in the destination's format, marked ``test: true`` and signed
    like any delivery, now (also while it is disabled), and report how the receiver
    answered: status, latency, the start of its response, and the signature headers sent.
    A test send is not a delivery: it is not stored, retried or counted in its health."""
    gateway = gateway_of(request)
    destination = await _get(gateway, tenant, destination_id)
    if destination.method == DeliveryMethod.SOCKET:
        raise InvalidRequest(
            "only webhook and message bus destinations can be tested; connect to /ws instead"
        )
    numbers = [  # an App's sample shows one of its own numbers
        n
        for n in await gateway.store.numbers.of_tenant(tenant.id)
        if destination.app_id in (None, n.app_id)
    ]
    number = next(
        (n for n in numbers if n.id == destination.number_id), numbers[0] if numbers else None
    )
    webhook_id = new_id("test")
    now = gateway.clock()
    try:
        prepared = prepare(destination, sample_event(destination, number, now), webhook_id, now)
    except SkipEvent as skip:  # a format with no shape for a test message: nothing sent
        return TestResult(
            success=False,
            status_code=None,
            latency_ms=0.0,
            response_excerpt="",
            error=f"skipped: {skip.reason}",
            webhook_id=webhook_id,
            format=destination.format,
            payload=None,
            signature_headers={},
        )
    prepared = prepared.capped(gateway.settings.max_timeout_s)
    # A webhook's POST, or a message bus's publish on the destination's pooled connection.
    answer = await gateway.senders.exchange(destination, DeliveryId(webhook_id), prepared)
    result = answer.result
    return TestResult(
        success=result.succeeded,
        status_code=result.status_code,
        latency_ms=result.latency_ms,
        response_excerpt=result.response_excerpt,
        error=result.error_detail,
        webhook_id=webhook_id,
        format=destination.format,
        payload=orjson.loads(prepared.body),
        signature_headers={k: v for k, v in prepared.headers.items() if k in SIGNATURE_HEADERS},
    )
