"""Pool numbers under test: simulators registered by the operator as pool numbers, tenants
that activate them, and what the simulated users were told."""

import contextlib
import sqlite3
import uuid
from collections.abc import AsyncIterator
from typing import Any, Protocol

import asyncpg
import pytest

from tests.conftest import RunningGateway, eventually
from wahooks.config import Settings
from wahooks.demo.registration import number_registration
from wahooks.sim import SimSettings, Simulator
from wahooks.sim.messages import SimUser

DEFAULTS = Settings()
ACTIVATED = DEFAULTS.notice_activated_text
ALREADY_ACTIVE = DEFAULTS.notice_already_active_text
TAKEN = DEFAULTS.notice_taken_text
CODE_USED = DEFAULTS.notice_code_used_text
CODE_EXPIRED = DEFAULTS.notice_code_expired_text
CODE_UNKNOWN = DEFAULTS.notice_code_unknown_text
NOT_ACTIVATED = DEFAULTS.notice_not_activated_text
DEACTIVATED = DEFAULTS.notice_deactivated_text


class TenantClient(Protocol):
    """The gateway's own tenant (RunningGateway) or another one (tests/api/helpers)."""

    async def api(self, method: str, path: str, json: Any = None) -> tuple[int, Any]: ...


@contextlib.asynccontextmanager
async def pool_sim(
    gateway: RunningGateway, display_phone_number: str = "15550009999"
) -> AsyncIterator[Simulator]:
    """A simulator registered by the operator as a pool number; ``sim.number_id``."""
    settings = SimSettings(
        gateway_url=gateway.ingress_url,
        phone_number_id=str(10**14 + uuid.uuid4().int % 10**13),
        display_phone_number=display_phone_number,
        status_delays_s=(0.01, 0.02, 0.03),
    )
    async with Simulator(settings) as simulator:
        body = {**number_registration(simulator), "kind": "pool"}
        status, created = await gateway.operator("POST", "/v1/numbers", body)
        assert status == 201, created
        assert created["kind"] == "pool"
        simulator.number_id = created["id"]  # type: ignore[attr-defined]
        yield simulator


@pytest.fixture
async def pool(gateway: RunningGateway) -> AsyncIterator[Simulator]:
    async with pool_sim(gateway) as simulator:
        yield simulator


def number_id(sim: Simulator) -> str:
    return str(sim.number_id)  # type: ignore[attr-defined]


async def new_activation(
    tenant: TenantClient, sim: Simulator, label: str | None = None
) -> dict[str, Any]:
    body: dict[str, Any] = {"numberId": number_id(sim)}
    if label is not None:
        body["label"] = label
    status, created = await tenant.api("POST", "/v1/activations", body)
    assert status == 201, created
    return created  # type: ignore[no-any-return]


def told(sim: Simulator, wa_id: str) -> list[str]:
    """Texts the gateway sent ``wa_id`` through this number, oldest first."""
    return [s.payload["text"]["body"] for s in sim.sent if s.to == wa_id and s.type == "text"]


async def told_eventually(sim: Simulator, wa_id: str, n: int) -> list[str]:
    """The first ``n`` texts sent to ``wa_id``, once there are that many."""
    await eventually(lambda: _at_least(sim, wa_id, n))
    return told(sim, wa_id)


async def _at_least(sim: Simulator, wa_id: str, n: int) -> bool:
    return len(told(sim, wa_id)) >= n


async def activate(
    tenant: TenantClient, sim: Simulator, user: SimUser, label: str | None = None
) -> dict[str, Any]:
    """A user sends a fresh code of ``tenant``; returns the activation once it is active."""
    before = len(told(sim, user.wa_id))
    created = await new_activation(tenant, sim, label)
    sent = await sim.send(user, "text", body=created["code"])
    assert sent.ok, sent.statuses
    texts = await told_eventually(sim, user.wa_id, before + 1)
    assert texts[before] == ACTIVATED, texts
    status, active = await tenant.api("GET", f"/v1/activations/{created['id']}")
    assert status == 200, active
    assert active["state"] == "active", active
    return active  # type: ignore[no-any-return]


async def unrouted_count(database_url: str, number: str) -> int:
    """Messages of ``number`` kept for the operator because nobody was to get them."""
    sql = (
        "SELECT COUNT(*) FROM unhandled_updates "
        "WHERE field = 'unrouted_message' AND number_id = {p}"
    )
    if database_url.startswith("sqlite:///"):
        with contextlib.closing(sqlite3.connect(database_url.removeprefix("sqlite:///"))) as db:
            return int(db.execute(sql.format(p="?"), (number,)).fetchone()[0])
    conn = await asyncpg.connect(database_url)
    try:
        return int(await conn.fetchval(sql.format(p="$1"), number))
    finally:
        await conn.close()
