"""/v1/numbers: WhatsApp numbers and their Cloud API connections.

Secrets (access token, app secret, verify token) are accepted but never returned.
"""

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Request
from pydantic import Field

from wahooks.api.auth import current_tenant
from wahooks.api.base import ApiModel, HttpUrl, iso
from wahooks.api.errors import error_responses
from wahooks.errors import Conflict, NotFound
from wahooks.gateway import gateway_of
from wahooks.ids import new_id
from wahooks.models import Number, Tenant
from wahooks.store import Duplicate

router = APIRouter(prefix="/v1/numbers", tags=["numbers"])

DEFAULT_GRAPH_BASE_URL = "https://graph.facebook.com/v21.0"
Text = Annotated[str, Field(min_length=1, max_length=256)]
Secret = Annotated[str, Field(min_length=1, max_length=1024)]


class NumberIn(ApiModel):
    phone_number_id: Text = Field(description="Meta's phone-number id (metadata.phone_number_id).")
    waba_id: Text = Field(description="WhatsApp Business Account id.")
    display_phone_number: Text = Field(
        description="The number as people dial it, e.g. 15551234567."
    )
    access_token: Secret = Field(description="Cloud API access token (Bearer).")
    app_secret: Secret = Field(description="Meta app secret: verifies X-Hub-Signature-256.")
    verify_token: Secret = Field(description="Answer to Meta's GET subscription handshake.")
    graph_api_base_url: HttpUrl = Field(
        DEFAULT_GRAPH_BASE_URL, description="Graph API base URL, version included."
    )
    kind: Literal["pool", "dedicated"] = "dedicated"


class NumberOut(ApiModel):
    id: str
    phone_number_id: str
    waba_id: str
    display_phone_number: str
    graph_api_base_url: str
    kind: str
    created_at: str | None


def _out(number: Number) -> NumberOut:
    return NumberOut(
        id=number.id,
        phone_number_id=number.phone_number_id,
        waba_id=number.waba_id,
        display_phone_number=number.display_phone_number,
        graph_api_base_url=number.graph_base_url,
        kind=number.kind,
        created_at=iso(number.created_at),
    )


@router.post(
    "",
    status_code=201,
    response_model=NumberOut,
    response_model_by_alias=True,
    summary="Register a number",
    responses=error_responses({409: "conflict: this phone-number id is already registered."}),
)
async def create_number(
    body: NumberIn, request: Request, tenant: Annotated[Tenant, Depends(current_tenant)]
) -> NumberOut:
    """Register a WhatsApp number with its Cloud API connection. Its messages reach the
    gateway once Meta's webhook points at `/ingress/meta`; the secrets are never shown again."""
    gateway = gateway_of(request)
    number = Number(
        id=new_id("num"),
        tenant_id=tenant.id,
        kind=body.kind,
        phone_number_id=body.phone_number_id,
        waba_id=body.waba_id,
        display_phone_number=body.display_phone_number,
        access_token=body.access_token,
        app_secret=body.app_secret,
        verify_token=body.verify_token,
        graph_base_url=body.graph_api_base_url.rstrip("/"),
        created_at=gateway.clock(),
    )
    try:
        await gateway.store.create_number(number)
    except Duplicate as exc:
        raise Conflict(f"phone number id {body.phone_number_id} is already registered") from exc
    gateway.numbers.forget(number.phone_number_id)
    return _out(number)


@router.get(
    "", response_model=list[NumberOut], response_model_by_alias=True, summary="List numbers"
)
async def list_numbers(
    request: Request, tenant: Annotated[Tenant, Depends(current_tenant)]
) -> list[NumberOut]:
    """Every number of this tenant, oldest first, without secrets."""
    return [_out(n) for n in await gateway_of(request).store.numbers(tenant.id)]


@router.get(
    "/{number_id}",
    response_model=NumberOut,
    response_model_by_alias=True,
    summary="Get a number",
    responses=error_responses({404: "not_found: no such number for this tenant."}),
)
async def get_number(
    number_id: str, request: Request, tenant: Annotated[Tenant, Depends(current_tenant)]
) -> NumberOut:
    """One number by its id (`num_…`), without secrets."""
    number = await gateway_of(request).store.number(tenant.id, number_id)
    if number is None:
        raise NotFound(f"no number {number_id}")
    return _out(number)
