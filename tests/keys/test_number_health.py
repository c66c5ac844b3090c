"""Number health from Graph API checks of each number's token, through the simulator:
on demand (POST /v1/numbers/{id}/health-check) and by the periodic job."""

import re

import pytest

from tests.api.helpers import assert_error, number_body, other_tenant
from tests.conftest import RunningGateway, eventually, gateway_with_sim, when
from wahooks.sim import Simulator

ISO = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")


async def _check(gateway: RunningGateway, number_id: str) -> dict[str, object]:
    status, body = await gateway.api("POST", f"/v1/numbers/{number_id}/health-check")
    assert status == 200, body
    assert isinstance(body, dict)
    return body


async def test_a_health_check_finds_healthy_down_and_degraded_numbers(
    gateway: RunningGateway, sim: Simulator
) -> None:
    number_id: str = sim.number_id  # type: ignore[attr-defined]
    checked = await _check(gateway, number_id)
    assert checked["health"] == "healthy", checked
    assert "Wahooks Simulator" in str(checked["healthDetail"])
    assert "GREEN" in str(checked["healthDetail"])
    assert ISO.match(str(checked["healthCheckedAt"]))
    status, listed = await gateway.api("GET", f"/v1/numbers/{number_id}")
    assert listed["health"] == "healthy" and listed["healthCheckedAt"] == checked["healthCheckedAt"]

    # The token expires at Meta: down, saying so.
    sim.set_token_valid(False)
    checked = await _check(gateway, number_id)
    assert checked["health"] == "down", checked
    assert "invalid or expired" in str(checked["healthDetail"])
    assert "190" in str(checked["healthDetail"])
    sim.set_token_valid(True)
    assert (await _check(gateway, number_id))["health"] == "healthy"

    # Meta failing for now (5xx, throttling): degraded, not down.
    for http_status in (503, 429):
        sim.fail_next_number_reads(1, http_status)
        checked = await _check(gateway, number_id)
        assert checked["health"] == "degraded", checked
        assert str(http_status) in str(checked["healthDetail"])
    assert (await _check(gateway, number_id))["health"] == "healthy"

    # A wrong token set through the API: unknown until checked, then down.
    status, changed = await gateway.api(
        "PATCH", f"/v1/numbers/{number_id}", {"accessToken": "not-the-right-token"}
    )
    assert status == 200 and changed["health"] == "unknown" and changed["healthDetail"] is None
    checked = await _check(gateway, number_id)
    assert checked["health"] == "down" and "invalid or expired" in str(checked["healthDetail"])


async def test_an_unreachable_graph_api_is_degraded(gateway: RunningGateway) -> None:
    status, number = await gateway.api("POST", "/v1/numbers", number_body(gateway))
    assert status == 201
    # The proof at registration needs the Graph API; the URL changed later is not checked.
    closed = {"graphApiBaseUrl": "http://127.0.0.1:9/v21.0"}  # port 9: nothing listens
    status, _ = await gateway.api("PATCH", f"/v1/numbers/{number['id']}", closed)
    assert status == 200
    checked = await _check(gateway, number["id"])
    assert checked["health"] == "degraded", checked
    assert "unreachable" in str(checked["healthDetail"])


@pytest.mark.e2e
async def test_the_periodic_job_checks_every_number_by_itself(database_url: str) -> None:
    async with gateway_with_sim(database_url, number_health_interval_s=0.2) as (gateway, sim):
        number_id: str = sim.number_id  # type: ignore[attr-defined]

        async def health() -> object:
            status, body = await gateway.api("GET", f"/v1/numbers/{number_id}")
            assert status == 200, body
            return body

        await eventually(lambda: when(health(), lambda n: n["health"] == "healthy"))
        sim.set_token_valid(False)
        down = await eventually(lambda: when(health(), lambda n: n["health"] == "down"))
        assert "invalid or expired" in down["healthDetail"]
        sim.set_token_valid(True)
        await eventually(lambda: when(health(), lambda n: n["health"] == "healthy"))


async def test_health_checks_are_kept_to_who_manages_the_number(
    gateway: RunningGateway, sim: Simulator
) -> None:
    number_id: str = sim.number_id  # type: ignore[attr-defined]
    other = await other_tenant(gateway)
    status, body = await other.api("POST", f"/v1/numbers/{number_id}/health-check")
    assert_error(status, body, 404)
    status, pool = await gateway.operator("POST", "/v1/numbers", number_body(gateway, kind="pool"))
    assert status == 201
    status, body = await gateway.api("POST", f"/v1/numbers/{pool['id']}/health-check")
    assert_error(status, body, 403, "operator")
    gateway.graph.fail_next_number_reads(1, 503)
    status, body = await gateway.operator("POST", f"/v1/numbers/{pool['id']}/health-check")
    assert status == 200 and body["health"] == "degraded", body
    status, body = await gateway.operator("POST", f"/v1/numbers/{number_id}/health-check")
    assert status == 200 and body["health"] == "healthy", body
    status, body = await gateway.operator("POST", "/v1/numbers/num_nope/health-check")
    assert_error(status, body, 404)
