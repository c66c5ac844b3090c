"""/v1/processes: the gateway processes sharing this database, as their heartbeats show them
(delivery/peers.py). Operator key only."""

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from pydantic import Field

from wahooks.api.auth import current_operator
from wahooks.api.base import ApiModel, iso
from wahooks.api.errors import error_responses
from wahooks.delivery.peers import LIVE_BEATS
from wahooks.gateway import gateway_of
from wahooks.models import Principal

router = APIRouter(prefix="/v1/processes", tags=["health"])
OperatorDep = Annotated[Principal, Depends(current_operator)]


class ProcessOut(ApiModel):
    id: str
    host: str
    pid: int
    version: str
    worker: bool = Field(
        description="Runs the delivery workers, and so takes a share of each destination's "
        "maxInFlight and maxRate."
    )
    started_at: str
    seen_at: str = Field(description="Its last heartbeat.")
    this_process: bool = Field(description="The process answering this request.")
    share: str | None = Field(
        description="Its place among the workers, e.g. 1/2 (what it last heard); null for "
        "others than the one answering."
    )


@router.get(
    "",
    operation_id="listProcesses",
    response_model=list[ProcessOut],
    response_model_by_alias=True,
    summary="Processes sharing the database",
    responses=error_responses({403: "forbidden: this takes the operator's key (op_live_…)."}),
)
async def list_processes(request: Request, _operator: OperatorDep) -> list[ProcessOut]:
    """The processes whose heartbeat is recent (within three beats), oldest first."""
    gateway = gateway_of(request)
    peers = gateway.peers
    live_after_s = LIVE_BEATS * gateway.settings.process_heartbeat_s
    me = None if peers is None else peers.me.id
    return [
        ProcessOut(
            id=p.id,
            host=p.host,
            pid=p.pid,
            version=p.version,
            worker=p.worker,
            started_at=iso(p.started_at),
            seen_at=iso(p.seen_at),
            this_process=p.id == me,
            share=f"{peers.rank + 1}/{peers.count}"
            if peers is not None and p.id == me and p.worker
            else None,
        )
        for p in await gateway.store.processes.live(live_after_s)
    ]
