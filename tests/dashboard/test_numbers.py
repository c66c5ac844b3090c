"""Numbers and activations in the dashboard over HTTP, against a real gateway and the
simulator: the operator registers a pool number through the form (its token proven through
the simulator's Graph API) and checks its health; a tenant starts an activation (code,
instructions, wa.me link, QR code), sees it turn active when the simulated user sends the
code, relabels and deactivates it; another tenant's activation is 404, an App key has none,
and forms without their token are refused."""

import html
import re
import uuid
from collections.abc import AsyncIterator

import pytest

from tests.api.helpers import other_tenant
from tests.conftest import RunningGateway, eventually
from tests.dashboard.helpers import DashboardClient
from tests.pool.conftest import ACTIVATED, pool_sim, told_eventually
from wahooks.sim import SimSettings, Simulator

ACTIVATION_ID = re.compile(r'<h1>Activation .*?<code class="hint">(act_[A-Za-z0-9]+)</code>')
CODE = re.compile(r'<p class="secret" id="code">([A-Z0-9-]+)</p>')
STATE = re.compile(r'id="activation-state" data-state="([a-z]+)"')


@pytest.fixture
async def browser(gateway: RunningGateway) -> AsyncIterator[DashboardClient]:
    client = DashboardClient.open(gateway.url)
    await client.sign_in(gateway.api_key)
    yield client
    await client.close()


@pytest.fixture
async def pool(gateway: RunningGateway) -> AsyncIterator[Simulator]:
    async with pool_sim(gateway, display_phone_number="15550001234") as simulator:
        yield simulator


def registration_form(sim: Simulator, **fields: str) -> dict[str, str]:
    s = sim.settings
    return {
        "kind": "pool", "phone_number_id": s.phone_number_id, "waba_id": s.waba_id,
        "display_phone_number": s.display_phone_number, "access_token": s.access_token,
        "app_secret": s.app_secret, "verify_token": s.verify_token,
        "graph_api_base_url": sim.graph_base_url, "display_name": "Shared line", **fields,
    }  # fmt: skip


async def start(browser: DashboardClient, number_id: str, label: str = "") -> tuple[int, str]:
    token = await browser.form_token("/dashboard/numbers")
    page = await browser.post(
        "/dashboard/activations", {"number_id": number_id, "label": label}, csrf=token
    )
    return page.status, page.text


async def test_the_operator_registers_a_pool_number_and_checks_its_health(
    gateway: RunningGateway,
) -> None:
    operator = DashboardClient.open(gateway.url)
    settings = SimSettings(
        gateway_url=gateway.ingress_url,
        phone_number_id=str(10**14 + uuid.uuid4().int % 10**13),
        display_phone_number="15550004321",
    )
    try:
        await operator.sign_in(gateway.operator_key)
        async with Simulator(settings) as sim:
            token = await operator.form_token("/dashboard/numbers")
            wrong = registration_form(sim, access_token="not-the-token")
            refused = await operator.post("/dashboard/numbers", wrong, csrf=token)
            assert refused.status in (400, 403), refused.text
            assert (
                "not-the-token" not in refused.text and sim.settings.app_secret not in refused.text
            )
            assert sim.settings.phone_number_id in refused.text  # what was typed, kept
            page = await operator.post("/dashboard/numbers", registration_form(sim), csrf=token)
            assert page.status == 201, page.text
            assert "Registered Shared line" in page.text and "a pool number" in page.text
            status, numbers = await gateway.operator("GET", "/v1/numbers")
            assert status == 200
            number = next(n for n in numbers if n["phoneNumberId"] == settings.phone_number_id)
            assert number["kind"] == "pool" and number["health"] == "unknown"
            checked = await operator.post(
                f"/dashboard/numbers/{number['id']}/health-check", {}, csrf=token
            )
            assert checked.status == 200 and f"{number['id']} is healthy" in checked.text
            assert 'data-health="healthy"' in checked.text
            tokenless = await operator.post(f"/dashboard/numbers/{number['id']}/health-check", {})
            assert tokenless.status == 403
    finally:
        await operator.close()


async def test_an_activation_turns_active_when_the_user_sends_the_code(
    gateway: RunningGateway, pool: Simulator, browser: DashboardClient
) -> None:
    number_id = str(pool.number_id)  # type: ignore[attr-defined]
    listed = await browser.get("/dashboard/numbers")
    assert f'id="activate-{number_id}"' in listed.text
    status, text = await start(browser, number_id, label="work")
    assert status == 201, text
    code = CODE.search(text)
    found = ACTIVATION_ID.search(text)
    assert code is not None and found is not None
    activation_id = found.group(1)
    unescaped = html.unescape(text)
    assert f"send {code.group(1)} to +15550001234" in unescaped
    assert f'href="https://wa.me/15550001234?text={code.group(1)}"' in unescaped
    assert '<svg viewBox="0 0' in text and 'class="qr-code"' in text
    state = STATE.search(text)
    assert state is not None and state.group(1) == "pending"
    path = f"/dashboard/activations/{activation_id}"
    again = await browser.get(path)
    assert again.status == 200 and code.group(1) not in again.text

    user = pool.user("15551250001", "Ann")
    assert (await pool.send(user, "text", body=code.group(1))).ok
    assert (await told_eventually(pool, user.wa_id, 1))[0] == ACTIVATED

    async def active() -> bool:
        page = await browser.get(path)
        state = STATE.search(page.text)
        return state is not None and state.group(1) == "active"

    await eventually(active)
    async with browser.http.get(gateway.url + path + "/stream") as stream:
        assert stream.status == 200
        assert stream.headers["Content-Type"].startswith("text/event-stream")
        first = b""
        while b"event: fragments" not in first:
            first += await stream.content.readline()
        data = await stream.content.readline()
        assert b'data-state=\\"active\\"' in data, data

    token = await browser.form_token(path)
    page = await browser.post(path + "/label", {"label": "personal"}, csrf=token)
    assert page.status == 200 and "Label set to personal" in page.text
    page = await browser.post(path + "/deactivate", {}, csrf=token)
    assert page.status == 200 and 'data-state="deactivated"' in page.text
    status, body = await gateway.api("GET", f"/v1/activations/{activation_id}")
    assert body["state"] == "deactivated" and body["label"] == "personal"


async def test_another_tenants_activation_is_not_found_and_an_app_has_none(
    gateway: RunningGateway, pool: Simulator, browser: DashboardClient
) -> None:
    number_id = str(pool.number_id)  # type: ignore[attr-defined]
    status, text = await start(browser, number_id)
    found = ACTIVATION_ID.search(text)
    assert status == 201 and found is not None
    path = f"/dashboard/activations/{found.group(1)}"
    bad = await start(browser, "num_doesnotexist")
    assert bad[0] == 400 and "numberId" in bad[1]
    tokenless = await browser.post(path + "/deactivate", {})
    assert tokenless.status == 403
    other = await other_tenant(gateway)
    stranger = DashboardClient.open(gateway.url)
    try:
        await stranger.sign_in(other.api_key)
        assert (await stranger.get(path)).status == 404
        assert (await stranger.get(path + "/stream")).status == 404
        token = await stranger.form_token("/dashboard/numbers")
        for action, form in (("/label", {"label": "x"}), ("/deactivate", {})):
            assert (await stranger.post(path + action, form, csrf=token)).status == 404
    finally:
        await stranger.close()
    status, body = await gateway.api("GET", f"/v1/activations/{found.group(1)}")
    assert body["state"] == "pending"
    app = await _app_client(gateway)
    try:
        page = await app.get("/dashboard/numbers")
        assert page.status == 200 and "Start an activation" not in page.text
        token = await app.form_token("/dashboard/numbers")
        refused = await app.post("/dashboard/activations", {"number_id": number_id}, csrf=token)
        assert refused.status == 403
        assert (await app.get(path)).status == 403
    finally:
        await app.close()


async def _app_client(gateway: RunningGateway) -> DashboardClient:
    status, created = await gateway.api("POST", "/v1/apps", {"name": "Bot", "slug": "bot"})
    assert status == 201, created
    client = DashboardClient.open(gateway.url)
    await client.sign_in(created["apiKey"])
    return client
