"""/health: is this process up and its database answering."""

from typing import Literal

from fastapi import APIRouter, Request
from pydantic import Field
from starlette.responses import Response

from wahooks.api.base import ApiModel
from wahooks.api.errors import error_response, error_responses
from wahooks.gateway import gateway_of

router = APIRouter(tags=["health"])


class HealthOut(ApiModel):
    status: Literal["ok"]
    pending_deliveries: int = Field(description="Deliveries not finished yet, all tenants.")


@router.get(
    "/health",
    operation_id="getHealth",
    response_model=HealthOut,
    response_model_by_alias=True,
    summary="Health check",
    responses=error_responses({503: "database_unavailable: the database does not answer."}),
)
async def health(request: Request) -> HealthOut | Response:
    """Whether this process is up and its database answers; no key needed (load balancers)."""
    try:
        active = await gateway_of(request).store.deliveries.count_active()
    except Exception as exc:
        return error_response(503, "database_unavailable", str(exc))
    return HealthOut(status="ok", pending_deliveries=active)
