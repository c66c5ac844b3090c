"""Deliveries in the dashboard over HTTP: filtered and paged, one with its attempts, re-sent
after its receiver recovered, a time range recovered with the job's progress; another
tenant's are 404."""

import html
import re
import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import orjson
import pytest

from tests.api.helpers import other_tenant
from tests.conftest import RunningGateway, add_destination, eventually, when
from tests.dashboard.helpers import DashboardClient
from wahooks.demo.receiver import Receiver
from wahooks.sim import Simulator


def rows(text: str) -> list[str]:
    return re.findall(r'<tr data-id="([^"]+)">', text)


def local(ts: float) -> str:
    """A time as the browser's datetime-local field sends it (UTC here)."""
    return datetime.fromtimestamp(ts, tz=UTC).strftime("%Y-%m-%dT%H:%M:%S")


@pytest.fixture
async def browser(gateway: RunningGateway) -> AsyncIterator[DashboardClient]:
    client = DashboardClient.open(gateway.url)
    await client.sign_in(gateway.api_key)
    yield client
    await client.close()


async def failed_deliveries(gateway: RunningGateway, n: int) -> list[dict[str, object]]:
    async def all_failed() -> list[dict[str, object]] | None:
        _, page = await gateway.api("GET", "/v1/deliveries?status=failed")
        return page["data"] if len(page["data"]) >= n else None

    return list(await eventually(all_failed))


async def test_a_failed_delivery_is_resent_after_its_receiver_recovers(
    gateway: RunningGateway, sim: Simulator, receiver: Receiver, browser: DashboardClient
) -> None:
    receiver.always = 500
    receiver.response_body = b"down for maintenance"
    await add_destination(gateway, receiver, retrySchedule=[0])
    assert (await sim.send(sim.user("15551230001", "Jane"), "text", body="hi")).ok
    [failed] = await failed_deliveries(gateway, 1)
    listed = await browser.get("/dashboard/deliveries?status=failed")
    assert rows(listed.text)[0] == failed["id"]
    path = f"/dashboard/deliveries/{failed['id']}"
    page = await browser.get(path)
    assert page.status == 200 and '<td class="status">500</td>' in page.text
    assert "down for maintenance" in page.text and "webhook" in page.text
    receiver.always = None
    resent = await browser.post(path + "/resend", {}, csrf=await browser.form_token(path))
    assert resent.status == 200 and "Queued again" in resent.text
    await receiver.wait_for(lambda r: len(r.accepted()) == 1)

    async def succeeded() -> str | None:
        shown = await browser.get(path)
        return shown.text if 'id="delivery-status">succeeded' in shown.text else None

    text = await eventually(succeeded)
    assert '<td class="status">200</td>' in text and text.count('class="attempt"') == 2


async def test_resending_what_is_still_pending_is_a_conflict(
    gateway: RunningGateway, sim: Simulator, receiver: Receiver, browser: DashboardClient
) -> None:
    receiver.always = 500
    await add_destination(gateway, receiver, retrySchedule=[0, 3600])
    assert (await sim.send(sim.user("15551230001", "Jane"), "text", body="hi")).ok

    async def attempted() -> list[dict[str, object]] | None:
        _, page = await gateway.api("GET", "/v1/deliveries")
        data = page["data"]
        return data if data and data[0]["attempts"] >= 1 else None

    [pending] = await eventually(attempted)
    path = f"/dashboard/deliveries/{pending['id']}"
    page = await browser.post(path + "/resend", {}, csrf=await browser.form_token(path))
    assert page.status == 200 and "nothing to re-send" in page.text
    assert page.url.endswith("?outcome=busy")  # a reload shows it again, re-sends nothing


async def test_filters_and_pages(
    gateway: RunningGateway, sim: Simulator, receiver: Receiver, browser: DashboardClient
) -> None:
    shared = "one-secret-for-both-destinations"  # the receiver checks one
    one = await add_destination(gateway, receiver, secret=shared)
    two = await add_destination(gateway, receiver, label="second", secret=shared)
    start = time.time()
    for n in range(3):
        assert (await sim.send(sim.user(f"1555123000{n}", "Jane"), "text", body="hi")).ok
    await receiver.wait_for(lambda r: len(r.accepted()) == 6)
    _, everything = await gateway.api("GET", "/v1/deliveries?limit=200")
    assert len(everything["data"]) == 6
    # Newest first, two per page, by the API's cursor.
    seen: list[str] = []
    page = await browser.get("/dashboard/deliveries?limit=2")
    while True:
        seen += rows(page.text)
        older = re.search(r'href="/dashboard/deliveries(\?[^"]+)" id="older"', page.text)
        if older is None:
            break
        page = await browser.get("/dashboard/deliveries" + html.unescape(older.group(1)))
    assert seen == [d["id"] for d in everything["data"]]
    mine = await browser.get(f"/dashboard/deliveries?destination={two['id']}")
    assert set(rows(mine.text)) == {
        d["id"] for d in everything["data"] if d["destinationId"] == two["id"]
    }
    conversation = everything["data"][0]["conversationId"]
    theirs = await browser.get(f"/dashboard/deliveries?conversation={conversation}")
    assert len(rows(theirs.text)) == 2
    later = await browser.get(f"/dashboard/deliveries?since={local(time.time() + 120)}")
    assert rows(later.text) == [] and 'id="no-deliveries"' in later.text
    window = await browser.get(
        f"/dashboard/deliveries?since={local(start - 5)}&until={local(time.time() + 120)}"
        f"&status=succeeded&destination={one['id']}"
    )
    assert len(rows(window.text)) == 3
    assert (await browser.get("/dashboard/deliveries?status=lost")).status == 400
    assert (await browser.get("/dashboard/deliveries?since=yesterday")).status == 400


async def test_recovering_a_range_shows_the_jobs_progress(
    gateway: RunningGateway, sim: Simulator, receiver: Receiver, browser: DashboardClient
) -> None:
    receiver.always = 500
    await add_destination(gateway, receiver, retrySchedule=[0])
    start = time.time()
    for n in range(2):
        assert (await sim.send(sim.user(f"1555123000{n}", "Jane"), "text", body="hi")).ok
    await failed_deliveries(gateway, 2)
    receiver.always = None
    token = await browser.form_token("/dashboard/deliveries")
    form = {"since": local(start - 5), "until": local(time.time() + 1)}
    page = await browser.post("/dashboard/deliveries/recover", form, csrf=token)
    assert page.status == 200 and "/dashboard/deliveries/recoveries/rcv_" in page.url
    await receiver.wait_for(lambda r: len(r.accepted()) == 2)

    async def done() -> str | None:
        shown = await browser.get(page.url.removeprefix(gateway.url))
        return shown.text if 'id="recovery-state">done' in shown.text else None

    text = await eventually(done)
    assert '<strong id="recovery-count">2</strong> of 2' in text
    stream = page.url.removeprefix(gateway.url) + "/stream"
    async with browser.http.get(gateway.url + stream) as r:
        async for line in r.content:
            if line.startswith(b"data: "):
                assert "recovery-state" in orjson.loads(line[6:])["progress"]
                break
    bad = await browser.post("/dashboard/deliveries/recover", {"since": "x"}, csrf=token)
    assert bad.status == 400


async def test_another_tenants_delivery_is_404(
    gateway: RunningGateway, sim: Simulator, receiver: Receiver, browser: DashboardClient
) -> None:
    other = await other_tenant(gateway)
    await add_destination(gateway, receiver)
    assert (await sim.send(sim.user("15551230001", "Jane"), "text", body="hi")).ok
    await receiver.wait_for(lambda r: len(r.accepted()) == 1)
    delivery = await eventually(
        lambda: when(gateway.api("GET", "/v1/deliveries"), lambda got: got[1]["data"])
    )
    delivery_id = delivery[1]["data"][0]["id"]
    stranger = DashboardClient.open(gateway.url)
    try:
        await stranger.sign_in(other.api_key)
        path = f"/dashboard/deliveries/{delivery_id}"
        assert (await stranger.get(path)).status == 404
        token = await stranger.form_token("/dashboard/deliveries")
        assert (await stranger.post(path + "/resend", {}, csrf=token)).status == 404
        listed = await stranger.get("/dashboard/deliveries")
        assert delivery_id not in listed.text
    finally:
        await stranger.close()
