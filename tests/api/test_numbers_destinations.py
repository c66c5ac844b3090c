"""/v1/numbers and /v1/destinations doing their job, on both databases."""

import re
from datetime import UTC, datetime

import pytest

from tests.api.helpers import RECEIVER_URL, Json, assert_error, number_body, other_tenant
from tests.conftest import RunningGateway, add_destination
from wahooks.demo.receiver import Receiver
from wahooks.demo.registration import number_registration
from wahooks.sim import SimSettings, Simulator

ISO = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")
SECRET_FIELDS = ("accessToken", "appSecret", "verifyToken")


def _recent(timestamp: str) -> bool:
    moment = datetime.strptime(timestamp, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=UTC)
    return abs((datetime.now(UTC) - moment).total_seconds()) < 60


# --- numbers ----------------------------------------------------------------------------


async def test_a_number_is_registered_listed_and_read_without_its_secrets(
    gateway: RunningGateway,
) -> None:
    body = number_body(gateway, graphApiBaseUrl=gateway.graph.graph_base_url + "/")
    status, created = await gateway.api("POST", "/v1/numbers", body)
    assert status == 201, created
    assert created["id"].startswith("num_")
    assert created["phoneNumberId"] == body["phoneNumberId"]
    assert created["wabaId"] == body["wabaId"]
    assert created["displayPhoneNumber"] == body["displayPhoneNumber"]
    assert created["graphApiBaseUrl"] == gateway.graph.graph_base_url
    assert created["kind"] == "dedicated"
    assert ISO.match(created["createdAt"]) and _recent(created["createdAt"])

    status, pool = await gateway.operator(
        "POST", "/v1/numbers", number_body(gateway, kind="pool", graphApiBaseUrl=None)
    )
    assert status == 400  # null is not "use the default"
    # Without a URL, Meta's (test_the_default_graph_url_is_meta_s): here the simulator's.
    pool_body = number_body(gateway, kind="pool")
    status, refused = await gateway.api("POST", "/v1/numbers", pool_body)
    assert status == 403 and "operator" in refused["error"]["message"], refused
    status, pool = await gateway.operator("POST", "/v1/numbers", pool_body)
    assert status == 201, pool
    assert pool["kind"] == "pool"

    status, listed = await gateway.api("GET", "/v1/numbers")
    assert status == 200
    assert listed == [created, pool]
    status, one = await gateway.api("GET", f"/v1/numbers/{created['id']}")
    assert (status, one) == (200, created)

    # The access token, app secret and verify token are never answered, in any field.
    for path in ("/v1/numbers", f"/v1/numbers/{created['id']}"):
        async with gateway.http.get(
            gateway.url + path, headers={"Authorization": f"Bearer {gateway.api_key}"}
        ) as response:
            raw = await response.text()
        for field in SECRET_FIELDS:
            assert body[field] not in raw, (path, field)
            assert field not in raw
    for answer in (created, pool):
        assert not set(answer) & set(SECRET_FIELDS)
        assert body["appSecret"] not in str(answer) and body["accessToken"] not in str(answer)


async def test_a_registered_number_receives_at_once(
    gateway: RunningGateway, receiver: Receiver
) -> None:
    """Registering through the API is all it takes for the ingress to accept its traffic."""
    await add_destination(gateway, receiver)
    settings = SimSettings(gateway_url=gateway.ingress_url, phone_number_id="100000000000555")
    async with Simulator(settings) as sim:
        user = sim.user("15551230001", "Ann")
        before = await sim.send(user, "text")
        assert before.ok  # unknown number: acknowledged, ignored
        status, _ = await gateway.api("POST", "/v1/numbers", number_registration(sim))
        assert status == 201
        assert await sim.subscribe()
        after = await sim.send(user, "text", body="now you know me")
        assert after.ok
        await receiver.wait_for(lambda r: len(r.accepted()) == 1)
        payload = receiver.accepted()[0].json()
        assert payload["entry"][0]["changes"][0]["value"]["messages"][0]["id"] == after.wamid


# --- destinations -----------------------------------------------------------------------


async def test_a_destination_is_created_with_defaults_and_a_generated_secret(
    gateway: RunningGateway,
) -> None:
    status, created = await gateway.api("POST", "/v1/destinations", {"url": RECEIVER_URL})
    assert status == 201, created
    assert created["id"].startswith("dst_")
    assert created["url"] == RECEIVER_URL
    assert created["format"] == "pipes"
    assert created["timeoutSeconds"] == 10
    assert created["retrySchedule"][0] == 0 and len(created["retrySchedule"]) > 3
    assert created["enabled"] is True and created["disabledReason"] is None
    assert created["numberId"] is None and created["label"] is None
    assert ISO.match(created["createdAt"])
    # Shown once: generated, Standard Webhooks style, then never again.
    assert re.fullmatch(r"whsec_[A-Za-z0-9+/=]{32,}", created["secret"])
    status, listed = await gateway.api("GET", "/v1/destinations")
    assert status == 200 and len(listed) == 1
    assert listed[0]["secret"] is None
    status, one = await gateway.api("GET", f"/v1/destinations/{created['id']}")
    assert one == {**created, "secret": None}
    # Each destination gets its own secret.
    status, second = await gateway.api("POST", "/v1/destinations", {"url": RECEIVER_URL})
    assert second["secret"] != created["secret"]


async def test_a_destination_is_created_with_every_setting(gateway: RunningGateway) -> None:
    status, number = await gateway.api("POST", "/v1/numbers", number_body(gateway))
    assert status == 201
    body = {
        "url": "https://hooks.example.com/whatsapp?team=support",
        "secret": "s" * 32,
        "label": "support",
        "numberId": number["id"],
        "format": "pipes",
        "timeoutSeconds": 2.5,
        "retrySchedule": [0, 1, 30],
    }
    status, created = await gateway.api("POST", "/v1/destinations", body)
    assert status == 201, created
    for key, value in body.items():
        assert created[key] == value, key
    status, one = await gateway.api("GET", f"/v1/destinations/{created['id']}")
    assert one == {**created, "secret": None}


async def test_a_destination_is_patched_disabled_enabled_and_deleted(
    gateway: RunningGateway,
) -> None:
    status, number = await gateway.api("POST", "/v1/numbers", number_body(gateway))
    status, created = await gateway.api(
        "POST", "/v1/destinations", {"url": RECEIVER_URL, "label": "before"}
    )
    assert status == 201
    path = f"/v1/destinations/{created['id']}"

    # An empty patch changes nothing.
    status, same = await gateway.api("PATCH", path, {})
    assert (status, same) == (200, {**created, "secret": None})

    changes = {
        "url": "http://127.0.0.1:9/other",
        "label": "after",
        "timeoutSeconds": 30,
        "retrySchedule": [0, 5],
        "numberId": number["id"],
    }
    status, patched = await gateway.api("PATCH", path, changes)
    assert status == 200, patched
    for key, value in changes.items():
        assert patched[key] == value, key
    assert patched["secret"] is None  # not set by this patch: not shown
    status, read = await gateway.api("GET", path)
    assert read == patched

    # A new secret is shown in the answer that set it.
    status, rotated = await gateway.api("PATCH", path, {"secret": "n" * 20})
    assert rotated["secret"] == "n" * 20
    # Label and numberId may be cleared with null.
    status, cleared = await gateway.api("PATCH", path, {"label": None, "numberId": None})
    assert (cleared["label"], cleared["numberId"]) == (None, None)

    status, disabled = await gateway.api("PATCH", path, {"enabled": False})
    assert disabled["enabled"] is False and disabled["disabledReason"]
    status, enabled = await gateway.api("PATCH", path, {"enabled": True})
    assert enabled["enabled"] is True and enabled["disabledReason"] is None

    status, nothing = await gateway.api("DELETE", path)
    assert (status, nothing) == (204, None)
    status, gone = await gateway.api("GET", path)
    assert_error(status, gone, 404, created["id"])
    status, gone = await gateway.api("DELETE", path)
    assert_error(status, gone, 404)
    status, gone = await gateway.api("PATCH", path, {"label": "zombie"})
    assert_error(status, gone, 404)
    assert await gateway.api("GET", "/v1/destinations") == (200, [])


@pytest.mark.e2e
async def test_a_test_send_reports_how_the_receiver_answered(
    gateway: RunningGateway, receiver: Receiver
) -> None:
    destination = await add_destination(gateway, receiver, label="support")
    path = f"/v1/destinations/{destination['id']}/test"
    status, result = await gateway.api("POST", path)
    assert status == 200, result
    assert result["success"] is True and result["statusCode"] == 200
    assert result["webhookId"]
    (arrival,) = receiver.arrivals
    assert arrival.verified
    assert arrival.webhook_id == result["webhookId"]
    payload = arrival.json()
    assert payload["pipes"]["test"] is True and payload["pipes"]["label"] == "support"

    receiver.always = 503
    status, result = await gateway.api("POST", path)
    assert status == 200
    assert result["success"] is False and result["statusCode"] == 503
    # A test send is not a delivery.
    assert (await gateway.api("GET", "/v1/deliveries"))[1]["data"] == []


async def test_a_destination_for_one_number_gets_only_that_numbers_messages(
    gateway: RunningGateway, receiver: Receiver
) -> None:
    a = SimSettings(gateway_url=gateway.ingress_url, phone_number_id="100000000000101")
    b = SimSettings(gateway_url=gateway.ingress_url, phone_number_id="100000000000202")
    async with Simulator(a) as sim_a, Simulator(b) as sim_b:
        status, number_a = await gateway.api("POST", "/v1/numbers", number_registration(sim_a))
        assert status == 201
        status, _ = await gateway.api("POST", "/v1/numbers", number_registration(sim_b))
        assert status == 201
        await add_destination(gateway, receiver, numberId=number_a["id"])
        user = sim_a.user("15551230001", "Ann")
        on_b = await sim_b.send(user, "text", body="to b")
        on_a = await sim_a.send(user, "text", body="to a")
        assert on_a.ok and on_b.ok
        status, page = await gateway.api("GET", "/v1/deliveries")
        assert [d["wamid"] for d in page["data"]] == [on_a.wamid]
        await receiver.wait_for(lambda r: len(r.accepted()) == 1)


# --- deliveries of one tenant are not another's -----------------------------------------


async def test_another_tenant_cannot_see_or_resend_our_deliveries(
    gateway: RunningGateway, receiver: Receiver
) -> None:
    destination = await add_destination(gateway, receiver)
    settings = SimSettings(gateway_url=gateway.ingress_url, phone_number_id="100000000000303")
    async with Simulator(settings) as sim:
        status, _ = await gateway.api("POST", "/v1/numbers", number_registration(sim))
        assert status == 201
        sent = await sim.send(sim.user("15551230001", "Ann"), "text")
        assert sent.ok
    await receiver.wait_for(lambda r: len(r.accepted()) == 1)
    status, page = await gateway.api("GET", "/v1/deliveries")
    (delivery,) = page["data"]
    assert delivery["wamid"] == sent.wamid

    other = await other_tenant(gateway)
    empty: Json = {"data": [], "nextCursor": None}
    assert await other.api("GET", "/v1/deliveries") == (200, empty)
    query = f"/v1/deliveries?destinationId={destination['id']}"
    assert await other.api("GET", query) == (200, empty)
    for method, path in (
        ("GET", f"/v1/deliveries/{delivery['id']}"),
        ("POST", f"/v1/deliveries/{delivery['id']}/resend"),
    ):
        status, answer = await other.api(method, path)
        assert_error(status, answer, 404, delivery["id"])
    # Still ours, untouched: one attempt, never re-sent.
    status, detail = await gateway.api("GET", f"/v1/deliveries/{delivery['id']}")
    assert status == 200
    assert len(detail["attemptLog"]) == 1
    assert len(receiver.arrivals) == 1


# --- health and the API document --------------------------------------------------------


async def test_health_answers(gateway: RunningGateway) -> None:
    async with gateway.http.get(gateway.url + "/health") as response:
        assert response.status == 200
        assert await response.json() == {"status": "ok", "pendingDeliveries": 0}


@pytest.mark.e2e
async def test_the_openapi_document_describes_numbers_without_secrets(
    gateway: RunningGateway,
) -> None:
    async with gateway.http.get(gateway.url + "/openapi.json") as response:
        assert response.status == 200
        assert response.content_type == "application/json"
        document = await response.json()
    assert document["info"]["title"] == "wahooks"
    paths = document["paths"]
    assert {"post", "get"} <= set(paths["/v1/numbers"])
    assert {"get", "patch", "delete"} <= set(paths["/v1/destinations/{destinationId}"])
    schemas = document["components"]["schemas"]
    number_in = set(schemas["NumberIn"]["properties"])
    assert set(SECRET_FIELDS) <= number_in
    assert not set(SECRET_FIELDS) & set(schemas["NumberOut"]["properties"])
    assert "secret" in schemas["DestinationIn"]["properties"]
