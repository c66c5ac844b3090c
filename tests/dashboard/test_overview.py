"""The overview over HTTP: its charts count what the simulator sent through the gateway,
its live stream pushes the same fragments, and it shows only what the key may see."""

from collections.abc import AsyncIterator

import orjson
import pytest

from tests.api.helpers import other_tenant
from tests.conftest import RunningGateway, add_destination, eventually
from tests.dashboard.helpers import DashboardClient
from wahooks.demo.receiver import Receiver
from wahooks.sim import Simulator

CHART = 'id="chart-outcomes" data-chart="bars" data-total="{}"'


@pytest.fixture
async def browser(gateway: RunningGateway) -> AsyncIterator[DashboardClient]:
    client = DashboardClient.open(gateway.url)
    await client.sign_in(gateway.api_key)
    yield client
    await client.close()


async def test_the_charts_count_the_deliveries_that_flowed(
    gateway: RunningGateway, sim: Simulator, receiver: Receiver, browser: DashboardClient
) -> None:
    empty = await browser.get("/dashboard/overview")
    assert empty.status == 200 and CHART.format(0) in empty.text
    destination = await add_destination(gateway, receiver)
    for n in range(3):
        sent = await sim.send(sim.user(f"1555123000{n}", "Jane"), "text", body=f"hi {n}")
        assert sent.ok
    await receiver.wait_for(lambda r: len(r.accepted()) == 3)

    async def counted() -> str | None:
        page = await browser.get("/dashboard/overview")
        return page.text if 'data-succeeded="3"' in page.text else None

    page = await eventually(counted)
    assert CHART.format(3) in page
    assert destination["id"] in page and 'id="chart-latency"' in page
    one = await browser.get(f"/dashboard/overview?window=day&destination={destination['id']}")
    assert one.status == 200 and CHART.format(3) in one.text


async def test_the_stream_pushes_the_live_fragments(
    gateway: RunningGateway, browser: DashboardClient
) -> None:
    async with browser.http.get(gateway.url + "/dashboard/overview/stream?window=hour") as r:
        assert r.status == 200 and r.headers["Content-Type"].startswith("text/event-stream")
        data = None
        async for line in r.content:
            if line.startswith(b"data: "):
                data = orjson.loads(line[len(b"data: ") :])
                break
    assert data is not None and set(data) == {"charts", "queues", "attention"}
    assert 'data-chart="bars"' in data["charts"]


async def test_bad_filters_and_other_tenants_destinations_are_refused(
    gateway: RunningGateway, receiver: Receiver, browser: DashboardClient
) -> None:
    other = await other_tenant(gateway)
    status, theirs = await other.api("POST", "/v1/destinations", {"url": receiver.url})
    assert status == 201, theirs
    page = await browser.get(f"/dashboard/overview?destination={theirs['id']}")
    assert page.status == 404 and theirs["id"] in page.text  # named only as asked for
    assert (await browser.get("/dashboard/overview?window=week")).status == 400
    mine = await browser.get("/dashboard/overview")
    assert theirs["id"] not in mine.text


async def test_an_attention_list_names_a_disabled_destination_and_its_reason(
    gateway: RunningGateway, receiver: Receiver, browser: DashboardClient
) -> None:
    destination = await add_destination(gateway, receiver)
    status, _ = await gateway.api(
        "PATCH", f"/v1/destinations/{destination['id']}", {"enabled": False}
    )
    assert status == 200
    page = await browser.get("/dashboard/overview")
    assert "disabled through the API" in page.text and 'class="badge disabled"' in page.text


async def test_a_stream_of_a_revoked_keys_session_answers_no_more(
    gateway: RunningGateway,
) -> None:
    status, made = await gateway.api("POST", "/v1/keys", {"label": "to revoke"})
    assert status == 201, made
    client = DashboardClient.open(gateway.url)
    try:
        await client.sign_in(made["key"])
        status, _ = await gateway.api("DELETE", f"/v1/keys/{made['id']}")
        assert status in (200, 204)
        # 204: the browser's EventSource stops reconnecting (and the script reloads).
        page = await client.get("/dashboard/overview/stream", allow_redirects=False)
        assert page.status == 204
    finally:
        await client.close()
