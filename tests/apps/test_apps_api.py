"""/v1/apps and /v1/app: create (key shown once), list, get with numbers and health,
rename (the slug stays), regenerate the key, delete; isolation and bad input."""

import asyncio
from typing import Any

import pytest
from websockets.exceptions import ConnectionClosed

from tests.api.helpers import assert_error, number_body, other_tenant, problem
from tests.apps.helpers import app_sim, create_app, number_id
from tests.conftest import RunningGateway, eventually
from wahooks.api.apps import app_health
from wahooks.models import AppNumber, Number


async def test_create_shows_the_key_once_and_the_app_reads_itself(
    gateway: RunningGateway,
) -> None:
    status, body = await gateway.api("POST", "/v1/apps", {"name": "Support", "slug": "support"})
    assert status == 201, body
    key = body["apiKey"]
    assert key.startswith("ak_live_") and len(key) == len("ak_live_") + 32
    assert key.startswith(body["keyPrefix"]) and body["keyPrefix"] != key
    assert body["slug"] == "support" and body["name"] == "Support"
    assert body["health"] == "unknown" and body["numbers"] == []
    status, listed = await gateway.api("GET", "/v1/apps")
    assert status == 200 and [a["id"] for a in listed] == [body["id"]]
    status, got = await gateway.api("GET", f"/v1/apps/{body['id']}")
    assert status == 200 and "apiKey" not in got and key not in str(got)
    headers = {"Authorization": f"Bearer {key}"}
    status, own = await gateway.api("GET", "/v1/app", headers=headers)
    assert status == 200 and own["id"] == body["id"] and own["slug"] == "support"
    # Its socket destination exists, scoped to the App.
    status, destinations = await gateway.api("GET", "/v1/destinations")
    assert status == 200
    (socket,) = [d for d in destinations if d["id"] == body["socketDestinationId"]]
    assert socket["method"] == "socket" and socket["appId"] == body["id"]


async def test_slugs_are_checked_unique_and_immutable(gateway: RunningGateway) -> None:
    app = await create_app(gateway, slug="order-bot")
    problems = []
    for slug in ("ab", "Order-Bot", "-lead", "trail-", "has space", "under_score", "x" * 41, ""):
        status, body = await gateway.api("POST", "/v1/apps", {"name": "n", "slug": slug})
        problems.append(problem(f"slug {slug!r}", status, body, 400, "slug"))
    for body_in, mentions in (
        ({"slug": "a-slug"}, "name"),
        ({"name": "n"}, "slug"),
        ({"name": "", "slug": "a-slug"}, "name"),
        ({"name": "n" * 101, "slug": "a-slug"}, "name"),
        ({"name": "n", "slug": "a-slug", "extra": 1}, "extra"),
    ):
        status, body = await gateway.api("POST", "/v1/apps", body_in)
        problems.append(problem(f"body {body_in}", status, body, 400, mentions))
    # Taken: by this tenant, or by any other.
    status, body = await gateway.api("POST", "/v1/apps", {"name": "again", "slug": "order-bot"})
    problems.append(problem("same slug", status, body, 409, "order-bot"))
    other = await other_tenant(gateway)
    status, body = await other.api("POST", "/v1/apps", {"name": "mine", "slug": "order-bot"})
    problems.append(problem("other tenant's slug", status, body, 409, "order-bot"))
    # Immutable: PATCH with another slug is refused; the same slug (or none) is fine.
    path = f"/v1/apps/{app.id}"
    status, body = await gateway.api("PATCH", path, {"slug": "new-slug"})
    problems.append(problem("patch slug", status, body, 400, "slug"))
    status, body = await gateway.api("PATCH", path, {"name": None})
    problems.append(problem("null name", status, body, 400, "name"))
    assert [p for p in problems if p] == []
    status, body = await gateway.api("PATCH", path, {"name": "Orders", "slug": "order-bot"})
    assert status == 200 and body["name"] == "Orders" and body["slug"] == "order-bot", body
    status, body = await gateway.api("GET", path)
    assert body["name"] == "Orders" and body["slug"] == "order-bot"


@pytest.mark.e2e
async def test_regenerating_the_key_kills_the_old_one_and_its_sockets(
    gateway: RunningGateway,
) -> None:
    app = await create_app(gateway)
    socket = await app.socket()
    status, body = await gateway.api("POST", f"/v1/apps/{app.id}/key")
    assert status == 200, body
    new_key = body["apiKey"]
    assert new_key != app.key and new_key.startswith("ak_live_")
    status, body = await app.api("GET", "/v1/app")
    assert_error(status, body, 401, "revoked")
    with pytest.raises(ConnectionClosed):  # its socket is closed at once, not left open
        async with asyncio.timeout(5):
            await socket.ws.recv()
    app.key = new_key
    status, body = await app.api("GET", "/v1/app")
    assert status == 200 and body["id"] == app.id
    status, body = await gateway.api("GET", f"/v1/apps/{app.id}")
    assert body["keyPrefix"] == new_key[: len(body["keyPrefix"])]


async def test_numbers_health_and_active_conversations(gateway: RunningGateway) -> None:
    app = await create_app(gateway)
    async with app_sim(app) as sim:
        await sim.send(sim.user("15551231000", "Active"), "text", body="hi")
        await sim.send(sim.user("15551231001", "Also"), "text", body="hi")

        async def counted() -> dict[str, Any] | None:
            status, body = await gateway.api("GET", f"/v1/apps/{app.id}")
            assert status == 200, body
            numbers = body["numbers"]
            return body if numbers and numbers[0]["activeConversations"] == 2 else None

        body = await eventually(counted)
        (number,) = body["numbers"]
        assert number["id"] == number_id(sim)
        assert number["phoneNumberId"] == sim.settings.phone_number_id
        assert number["health"] == "unknown" and body["health"] == "unknown"
        assert number["connectedSince"]
        status, listed = await gateway.api("GET", "/v1/apps")
        assert status == 200
        assert [n["id"] for n in listed[0]["numbers"]] == [number_id(sim)]


def _numbers(*health: str) -> list[AppNumber]:
    return [
        AppNumber(
            number=Number(
                id=f"num_{i}",
                tenant_id="t",
                kind="dedicated",
                phone_number_id=str(i),
                waba_id="w",
                display_phone_number="1",
                access_token="a",
                app_secret="s",
                verify_token="v",
                graph_base_url="http://x",
                created_at=0.0,
                health=h,
            ),
            active_conversations=0,
        )
        for i, h in enumerate(health)
    ]


@pytest.mark.parametrize(
    ("health", "expected"),
    [
        ((), "unknown"),
        (("unknown",), "unknown"),
        (("healthy", "unknown"), "healthy"),
        (("healthy", "healthy"), "healthy"),
        (("healthy", "degraded"), "degraded"),
        (("healthy", "down"), "degraded"),
        (("down", "down"), "down"),
        (("down",), "down"),
    ],
)
def test_app_health_summarises_its_numbers(health: tuple[str, ...], expected: str) -> None:
    assert app_health(_numbers(*health)) == expected


@pytest.mark.e2e
async def test_delete_is_refused_while_numbers_are_connected(gateway: RunningGateway) -> None:
    app = await create_app(gateway, slug="keeps-numbers")
    status, number = await gateway.api("POST", "/v1/numbers", number_body(gateway, appId=app.id))
    assert status == 201, number
    status, body = await gateway.api("DELETE", f"/v1/apps/{app.id}")
    assert_error(status, body, 409, number["id"])
    status, body = await app.api("GET", "/v1/app")
    assert status == 200  # still alive


async def test_delete_kills_the_key_and_frees_the_slug(gateway: RunningGateway) -> None:
    app = await create_app(gateway, slug="short-lived")
    hook = {"url": "http://127.0.0.1:9/hook"}
    status, created = await app.api("POST", "/v1/destinations", hook)
    assert status == 201, created
    status, body = await gateway.api("DELETE", f"/v1/apps/{app.id}")
    assert status == 204, body
    status, body = await app.api("GET", "/v1/app")
    assert_error(status, body, 401)
    for method in ("GET", "PATCH", "DELETE"):
        status, body = await gateway.api(method, f"/v1/apps/{app.id}", {"name": "x"})
        assert_error(status, body, 404, app.id)
    status, body = await gateway.api("POST", f"/v1/apps/{app.id}/key")
    assert_error(status, body, 404, app.id)
    status, destinations = await gateway.api("GET", "/v1/destinations")
    assert {created["id"], app.socket_destination_id}.isdisjoint(d["id"] for d in destinations)
    status, apps = await gateway.api("GET", "/v1/apps")
    assert apps == []
    again = await create_app(gateway, slug="short-lived")
    assert again.id != app.id


async def test_apps_are_invisible_to_other_tenants_and_keys(gateway: RunningGateway) -> None:
    app = await create_app(gateway)
    other = await other_tenant(gateway)
    sibling = await create_app(gateway)
    problems = []
    for method, path in (
        ("GET", f"/v1/apps/{app.id}"),
        ("PATCH", f"/v1/apps/{app.id}"),
        ("POST", f"/v1/apps/{app.id}/key"),
        ("DELETE", f"/v1/apps/{app.id}"),
    ):
        status, body = await other.api(method, path, {"name": "stolen"})
        problems.append(problem(f"other tenant {method} {path}", status, body, 404, app.id))
    status, body = await other.api("GET", "/v1/apps")
    assert status == 200 and body == []
    # App keys cannot manage Apps (their own or others'), the operator has no tenant here.
    for method, path in (("GET", "/v1/apps"), ("POST", f"/v1/apps/{sibling.id}/key")):
        status, body = await app.api(method, path)
        problems.append(problem(f"app key {method} {path}", status, body, 403, "tenant"))
    status, body = await gateway.api("GET", "/v1/app")
    problems.append(problem("tenant key on /v1/app", status, body, 403, "app"))
    status, body = await gateway.operator("GET", "/v1/apps")
    problems.append(problem("operator key on /v1/apps", status, body, 403, "tenant"))
    for key in ("", "ak_live_" + "x" * 32, "nonsense"):
        status, body = await gateway.api(
            "GET", "/v1/app", headers={"Authorization": f"Bearer {key}"}
        )
        problems.append(problem(f"key {key!r}", status, body, 401))
    assert [p for p in problems if p] == []
    # The other tenant's key is not the App's tenant: the App still works for its own.
    status, body = await app.api("GET", "/v1/app")
    assert status == 200 and body["id"] == app.id


@pytest.mark.e2e
async def test_numbers_register_for_an_app_only_with_its_key_or_its_tenant(
    gateway: RunningGateway,
) -> None:
    first, second = await create_app(gateway), await create_app(gateway)
    other = await other_tenant(gateway)
    status, body = await first.api("POST", "/v1/numbers", number_body(gateway, appId=second.id))
    assert_error(status, body, 403, "own App")
    status, body = await other.api("POST", "/v1/numbers", number_body(gateway, appId=first.id))
    assert_error(status, body, 404, first.id)
    status, body = await first.api("POST", "/v1/numbers", number_body(gateway))
    assert status == 201 and body["appId"] == first.id, body


async def test_an_app_key_manages_only_its_own_destinations(
    gateway: RunningGateway, receiver: Any
) -> None:
    first, second = await create_app(gateway), await create_app(gateway)
    status, tenants = await gateway.api("POST", "/v1/destinations", {"url": receiver.url})
    assert status == 201 and tenants["appId"] is None, tenants
    status, mine = await first.api("POST", "/v1/destinations", {"url": receiver.url})
    assert status == 201 and mine["appId"] == first.id and mine["retrySchedule"] == [0, 10, 60, 300]
    status, by_tenant = await gateway.api(
        "POST", "/v1/destinations", {"url": receiver.url, "appId": second.id}
    )
    assert status == 201 and by_tenant["appId"] == second.id, by_tenant
    status, listed = await first.api("GET", "/v1/destinations")
    assert status == 200
    assert {d["id"] for d in listed} == {mine["id"], first.socket_destination_id}
    problems = []
    for other in (tenants["id"], by_tenant["id"], second.socket_destination_id):
        for method in ("GET", "PATCH", "DELETE"):
            status, body = await first.api(method, f"/v1/destinations/{other}", {"label": "x"})
            problems.append(problem(f"{method} {other}", status, body, 404, other))
    status, body = await first.api(
        "POST", "/v1/destinations", {"url": receiver.url, "appId": second.id}
    )
    problems.append(problem("appId of another App", status, body, 403, "appId"))
    status, body = await gateway.api(
        "POST", "/v1/destinations", {"url": receiver.url, "appId": "app_nope"}
    )
    problems.append(problem("unknown appId", status, body, 400, "app_nope"))
    other = await other_tenant(gateway)
    status, body = await other.api(
        "POST", "/v1/destinations", {"url": receiver.url, "appId": first.id}
    )
    problems.append(problem("another tenant's App", status, body, 400, first.id))
    status, number = await gateway.api("POST", "/v1/numbers", number_body(gateway))
    assert status == 201, number
    status, body = await first.api(
        "POST", "/v1/destinations", {"url": receiver.url, "numberId": number["id"]}
    )
    problems.append(problem("the tenant's number", status, body, 400, "numberId"))
    assert [p for p in problems if p] == []
    status, body = await first.api("PATCH", f"/v1/destinations/{mine['id']}", {"label": "ops"})
    assert status == 200 and body["label"] == "ops" and body["appId"] == first.id, body
    status, result = await first.api("POST", f"/v1/destinations/{mine['id']}/test")
    assert status == 200 and result["success"] is True, result
    status, body = await first.api("DELETE", f"/v1/destinations/{mine['id']}")
    assert status == 204, body
