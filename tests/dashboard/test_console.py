"""The operator's console over HTTP: tenants created with their first key shown once, a
tenant's keys created and revoked, every tenant's deliveries in the charts, the processes
sharing the database; other keys are refused, unknown tenants are 404, and forms without
their token are refused."""

import re
from collections.abc import AsyncIterator

import pytest

from tests.conftest import RunningGateway, add_destination, eventually
from tests.dashboard.helpers import DashboardClient
from wahooks.demo.receiver import Receiver
from wahooks.sim import Simulator

NEW_KEY = re.compile(r'<p class="secret" id="new-key">([^<]+)</p>')
TOTAL = re.compile(r'id="chart-outcomes" data-chart="bars" data-total="(\d+)"')


@pytest.fixture
async def operator(gateway: RunningGateway) -> AsyncIterator[DashboardClient]:
    client = DashboardClient.open(gateway.url)
    await client.sign_in(gateway.operator_key)
    yield client
    await client.close()


async def keys_status(gateway: RunningGateway, key: str) -> int:
    status, _ = await gateway.api("GET", "/v1/keys", headers={"Authorization": f"Bearer {key}"})
    return status


async def test_tenants_and_their_keys(gateway: RunningGateway, operator: DashboardClient) -> None:
    token = await operator.form_token("/dashboard/console")
    page = await operator.post(
        "/dashboard/console/tenants", {"name": "Acme", "key_label": "first"}, csrf=token
    )
    assert page.status == 201, page.text
    first = NEW_KEY.search(page.text)
    assert first is not None and first.group(1).startswith("pk_live_")
    assert await keys_status(gateway, first.group(1)) == 200
    status, tenants = await gateway.operator("GET", "/v1/tenants")
    assert status == 200
    acme = next(t for t in tenants if t["name"] == "Acme")
    listed = await operator.get("/dashboard/console")
    assert acme["id"] in listed.text and first.group(1) not in listed.text
    path = f"/dashboard/console/tenants/{acme['id']}"
    page = await operator.post(path + "/keys", {"label": "second"}, csrf=token)
    assert page.status == 201, page.text
    second = NEW_KEY.search(page.text)
    assert second is not None and await keys_status(gateway, second.group(1)) == 200
    status, keys = await gateway.operator("GET", f"/v1/tenants/{acme['id']}/keys")
    first_id = next(k["id"] for k in keys if k["label"] == "first")
    assert (await operator.post(f"{path}/keys/{first_id}/revoke", {})).status == 403
    page = await operator.post(f"{path}/keys/{first_id}/revoke", {}, csrf=token)
    assert page.status == 200 and "revoked" in page.text
    assert await keys_status(gateway, first.group(1)) == 401
    assert await keys_status(gateway, second.group(1)) == 200
    assert (await operator.get("/dashboard/console/tenants/ten_nosuchtenant")).status == 404
    bad = await operator.post("/dashboard/console/tenants", {"name": ""}, csrf=token)
    assert bad.status == 400 and "name" in bad.text


async def test_the_charts_count_every_tenants_deliveries_and_processes_are_listed(
    gateway: RunningGateway, operator: DashboardClient, sim: Simulator, receiver: Receiver
) -> None:
    await add_destination(gateway, receiver)
    before = await operator.get("/dashboard/console")
    total = TOTAL.search(before.text)
    assert total is not None and total.group(1) == "0"
    for n in range(3):
        assert (await sim.send(sim.user(f"1555126000{n}", "Ann"), "text", body="hi")).ok
    await eventually(lambda: _delivered(receiver, 3))

    async def counted() -> bool:
        page = await operator.get("/dashboard/console")
        found = TOTAL.search(page.text)
        return found is not None and found.group(1) == "3"

    await eventually(counted)
    page = await operator.get("/dashboard/console")
    peers = gateway.gateway.peers
    assert peers is not None and peers.me.id in page.text and "this one" in page.text


async def _delivered(receiver: Receiver, n: int) -> bool:
    return len(receiver.accepted()) >= n


async def test_the_console_is_the_operators_only(gateway: RunningGateway) -> None:
    tenant = DashboardClient.open(gateway.url)
    try:
        await tenant.sign_in(gateway.api_key)
        assert (await tenant.get("/dashboard/console")).status == 403
        assert (await tenant.get(f"/dashboard/console/tenants/{gateway.tenant_id}")).status == 403
        token = await tenant.form_token("/dashboard/apps")
        page = await tenant.post("/dashboard/console/tenants", {"name": "x"}, csrf=token)
        assert page.status == 403
    finally:
        await tenant.close()
