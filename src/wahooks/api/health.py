"""Health probes: ``/health/live`` (the process answers; nothing else is asked),
``/health/ready`` (database reachable, its schema current, this process's workers running),
``/health`` (the database answers, with the pending deliveries: heavier, for people), and
``/metrics`` for Prometheus (operator key)."""

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Request
from pydantic import Field
from starlette.responses import Response

from wahooks.api.auth import current_operator
from wahooks.api.base import ApiModel
from wahooks.api.errors import error_response, error_responses
from wahooks.gateway import gateway_of
from wahooks.metrics import CONTENT_TYPE
from wahooks.models import Principal
from wahooks.store.migrate import head_revision

router = APIRouter(tags=["health"])
OperatorDep = Annotated[Principal, Depends(current_operator)]


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


class LiveOut(ApiModel):
    status: Literal["ok"]


class ReadyOut(ApiModel):
    status: Literal["ok"]
    schema_version: str = Field(description="The migration the database is at (current).")
    workers: bool = Field(description="Whether this process runs the delivery workers.")


@router.get(
    "/health/live",
    operation_id="getLiveness",
    response_model=LiveOut,
    summary="Liveness probe",
)
async def live() -> LiveOut:
    """The process answers HTTP; the database is not asked (a liveness probe must not restart
    a healthy process because its database is slow)."""
    return LiveOut(status="ok")


@router.get(
    "/health/ready",
    operation_id="getReadiness",
    response_model=ReadyOut,
    response_model_by_alias=True,
    summary="Readiness probe",
    responses=error_responses(
        {
            503: "database_unavailable: the database does not answer; schema_outdated: "
            "it is not at this version's newest migration; workers_stopped: this "
            "process's delivery workers are not running."
        }
    ),
)
async def ready(request: Request) -> ReadyOut | Response:
    """Whether this process can do its work: one indexed read of the schema version, and a
    look at its own workers. No key needed (load balancers)."""
    gateway = gateway_of(request)
    try:
        version = await gateway.store.schema_version()
    except Exception as exc:
        return error_response(503, "database_unavailable", str(exc))
    if version != head_revision():
        return error_response(
            503,
            "schema_outdated",
            f"the database is at migration {version}, this version needs {head_revision()}",
            {"schemaVersion": version, "expected": head_revision()},
        )
    dispatcher = gateway.dispatcher
    if dispatcher is not None and not dispatcher.running:
        return error_response(503, "workers_stopped", "the delivery workers are not running")
    return ReadyOut(status="ok", schema_version=version, workers=dispatcher is not None)


@router.get(
    "/metrics",
    operation_id="getMetrics",
    summary="Prometheus metrics",
    responses={
        200: {
            "content": {"text/plain": {"schema": {"type": "string"}}},
            "description": "Prometheus' text format.",
        },
        **error_responses(
            {
                401: "unauthorized: no or an unknown key.",
                403: "forbidden: this takes the operator's key (op_live_…).",
                503: "database_unavailable: the queue's figures could not be read.",
            }
        ),
    },
)
async def metrics(request: Request, _: OperatorDep) -> Response:
    """Counters (notifications, items ingested, delivery attempts and their latency, Graph
    API calls) and the queue as the database holds it (deliveries by state, the oldest
    pending one's age, failing and disabled destinations, media files), plus this process's
    socket connections. Labels are bounded: no per-message, tenant or destination label.
    Operator key only."""
    gateway = gateway_of(request)
    try:
        figures = await gateway.store.deliveries.queue_figures()
    except Exception as exc:
        return error_response(503, "database_unavailable", str(exc))
    body = gateway.metrics.render(figures, gateway.hub.total_connections())
    return Response(body, media_type=CONTENT_TYPE)
