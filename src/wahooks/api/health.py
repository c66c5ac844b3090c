"""/health: is this process up and its database answering."""

from fastapi import APIRouter, Request

from wahooks.api.errors import error_response
from wahooks.gateway import gateway_of

router = APIRouter(tags=["health"])


@router.get("/health")
async def health(request: Request) -> object:
    try:
        active = await gateway_of(request).store.count_active_deliveries()
    except Exception as exc:
        return error_response(503, "database_unavailable", str(exc))
    return {"status": "ok", "pendingDeliveries": active}
