"""Destinations in the dashboard over HTTP: created with a secret shown once, tested against
a real receiver, switched between webhook and socket, rotated, disabled and enabled; another
tenant's are 404 and forms without their token are refused."""

import html
import re
from collections.abc import AsyncIterator

import pytest

from tests.api.helpers import other_tenant
from tests.conftest import RunningGateway, add_destination, eventually
from tests.dashboard.helpers import DashboardClient
from wahooks.demo.receiver import Receiver
from wahooks.sim import Simulator

SECRET = re.compile(r'<p class="secret" id="secret">([^<]+)</p>')
DESTINATION_ID = re.compile(r'<h1>.*?<code class="hint">(dst_[A-Za-z0-9]+)</code>')


@pytest.fixture
async def browser(gateway: RunningGateway) -> AsyncIterator[DashboardClient]:
    client = DashboardClient.open(gateway.url)
    await client.sign_in(gateway.api_key)
    yield client
    await client.close()


async def create(browser: DashboardClient, **fields: str) -> tuple[int, str]:
    token = await browser.form_token("/dashboard/destinations/new")
    form = {"method": "webhook", "format": "pipes", "ordered": "on", **fields}
    page = await browser.post("/dashboard/destinations", form, csrf=token)
    return page.status, page.text


async def test_a_webhook_is_created_with_its_secret_shown_once(
    gateway: RunningGateway, receiver: Receiver, browser: DashboardClient
) -> None:
    status, text = await create(
        browser, url=receiver.url, label="support", events="message:in:new",
        timeout_seconds="7", retry_schedule="0, 5, 30", max_rate="20", max_in_flight="4",
    )  # fmt: skip
    assert status == 201, text
    secret = SECRET.search(text)
    assert secret is not None and 16 <= len(secret.group(1)) <= 256
    found = DESTINATION_ID.search(text)
    assert found is not None
    destination_id = found.group(1)
    status, api = await gateway.api("GET", f"/v1/destinations/{destination_id}")
    assert status == 200
    assert api["label"] == "support" and api["events"] == ["message:in:new"]
    assert api["timeoutSeconds"] == 7 and api["retrySchedule"] == [0, 5, 30]
    assert api["maxRate"] == 20 and api["maxInFlight"] == 4 and api["ordered"] is True
    again = await browser.get(f"/dashboard/destinations/{destination_id}")
    assert again.status == 200 and secret.group(1) not in again.text
    listed = await browser.get("/dashboard/destinations")
    assert destination_id in listed.text and "support" in listed.text


async def test_an_own_secret_and_bad_fields_are_checked_as_the_api_checks_them(
    gateway: RunningGateway, receiver: Receiver, browser: DashboardClient
) -> None:
    status, text = await create(browser, url=receiver.url, secret="short")
    assert status == 400 and "secret" in text and "16" in text, text
    status, text = await create(browser, url="ftp://example.com/x")
    assert status == 400 and "url" in text
    status, text = await create(browser, url=receiver.url, timeout_seconds="99")
    assert status == 400 and "timeoutSeconds" in text
    own = "my-own-secret-of-enough-length"
    status, text = await create(browser, url=receiver.url, secret=own)
    assert status == 201 and own in text


async def test_a_socket_destination_is_created_and_switched_to_a_webhook_and_back(
    gateway: RunningGateway, receiver: Receiver, browser: DashboardClient
) -> None:
    status, text = await create(browser, method="socket")
    assert status == 201, text
    found = DESTINATION_ID.search(text)
    assert found is not None
    path = f"/dashboard/destinations/{found.group(1)}"
    token = await browser.form_token(path)
    no_url = await browser.post(path + "/method", {"method": "webhook"}, csrf=token)
    assert no_url.status == 400 and "url" in no_url.text
    page = await browser.post(
        path + "/method", {"method": "webhook", "url": receiver.url}, csrf=token
    )
    assert page.status == 200 and "Now delivered by webhook" in page.text
    page = await browser.post(path + "/method", {"method": "socket"}, csrf=token)
    assert page.status == 200 and "Now delivered by socket" in page.text


async def test_test_connection_shows_the_receivers_answer(
    gateway: RunningGateway, receiver: Receiver, browser: DashboardClient
) -> None:
    destination = await add_destination(gateway, receiver)
    receiver.response_body = b'{"hello":"from the receiver"}'
    path = f"/dashboard/destinations/{destination['id']}"
    page = await browser.post(path + "/test", {}, csrf=await browser.form_token(path))
    assert page.status == 200, page.text
    text = html.unescape(page.text)
    assert '<strong id="test-status">200</strong>' in text
    assert '{"hello":"from the receiver"}' in text
    for header in ("webhook-id", "webhook-timestamp", "webhook-signature", "X-Pipes-Signature"):
        assert header in text, header
    assert '"test": true' in text
    assert len(receiver.accepted()) == 1 and receiver.accepted()[0].verified


async def test_rotating_shows_the_new_secret_and_the_grace_period(
    gateway: RunningGateway, receiver: Receiver, browser: DashboardClient
) -> None:
    destination = await add_destination(gateway, receiver)
    path = f"/dashboard/destinations/{destination['id']}"
    token = await browser.form_token(path)
    page = await browser.post(path + "/rotate-secret", {"grace_seconds": "3600"}, csrf=token)
    assert page.status == 200, page.text
    secret = SECRET.search(page.text)
    assert secret is not None and secret.group(1) != destination["secret"]
    assert "Previous secret" in page.text
    bad = await browser.post(path + "/rotate-secret", {"grace_seconds": "-1"}, csrf=token)
    assert bad.status == 400 and "graceSeconds" in bad.text


async def test_disabling_enabling_and_the_gateways_own_reason(
    gateway: RunningGateway, sim: Simulator, receiver: Receiver, browser: DashboardClient
) -> None:
    destination = await add_destination(gateway, receiver)
    path = f"/dashboard/destinations/{destination['id']}"
    token = await browser.form_token(path)
    page = await browser.post(path + "/enabled", {"enabled": "false"}, csrf=token)
    assert page.status == 200 and "badge disabled" in page.text
    page = await browser.post(path + "/enabled", {"enabled": "true"}, csrf=token)
    assert page.status == 200 and "badge enabled" in page.text
    receiver.always = 410  # Gone: the gateway disables the destination itself
    assert (await sim.send(sim.user("15551230009", "Jane"), "text", body="hi")).ok

    async def disabled() -> str | None:
        shown = await browser.get(path)
        return shown.text if "badge disabled" in shown.text else None

    text = await eventually(disabled)
    _, api = await gateway.api("GET", f"/v1/destinations/{destination['id']}")
    assert api["disabledReason"] and html.escape(api["disabledReason"]) in text


async def test_another_tenants_destination_is_404_for_pages_and_actions(
    gateway: RunningGateway, receiver: Receiver, browser: DashboardClient
) -> None:
    other = await other_tenant(gateway)
    status, theirs = await other.api("POST", "/v1/destinations", {"url": receiver.url})
    assert status == 201
    path = f"/dashboard/destinations/{theirs['id']}"
    assert (await browser.get(path)).status == 404
    token = await browser.form_token("/dashboard/destinations")
    for action, form in (
        ("/test", {}), ("/enabled", {"enabled": "false"}), ("/rotate-secret", {}),
        ("/method", {"method": "socket"}),
    ):  # fmt: skip
        page = await browser.post(path + action, form, csrf=token)
        assert page.status == 404, (action, page.status)
    assert receiver.arrivals == []  # no test was sent to their receiver
    status, still = await other.api("GET", f"/v1/destinations/{theirs['id']}")
    assert still["enabled"] is True and still["method"] == "webhook"


async def test_a_create_without_its_token_is_refused(
    gateway: RunningGateway, receiver: Receiver, browser: DashboardClient
) -> None:
    page = await browser.post("/dashboard/destinations", {"method": "webhook", "url": receiver.url})
    assert page.status == 403
    _, listed = await gateway.api("GET", "/v1/destinations")
    assert listed == []
