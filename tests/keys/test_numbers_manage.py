"""Numbers managed through the API: the operator sees and changes every number, tenants and
Apps their own; a disconnected number is unknown to the ingress and can be registered again."""

import sqlite3
from typing import Any

import asyncpg

from tests.api.helpers import assert_error, number_body, other_tenant
from tests.conftest import RunningGateway, add_destination
from tests.ingress.helpers import table
from wahooks.demo.receiver import Receiver
from wahooks.demo.registration import number_registration
from wahooks.keys import new_key
from wahooks.models import KeyKind
from wahooks.sim import SimSettings, Simulator


async def test_the_operator_lists_every_number_and_tenants_their_own_and_the_pool(
    gateway: RunningGateway,
) -> None:
    other = await other_tenant(gateway)
    status, mine = await gateway.api(
        "POST", "/v1/numbers", number_body(gateway, displayName="Sales")
    )
    assert status == 201, mine
    status, theirs = await other.api("POST", "/v1/numbers", number_body(gateway))
    assert status == 201, theirs
    status, pool = await gateway.operator("POST", "/v1/numbers", number_body(gateway, kind="pool"))
    assert status == 201, pool
    status, for_other = await gateway.operator(
        "POST", "/v1/numbers", number_body(gateway, tenantId=other.tenant_id)
    )
    assert status == 201, for_other
    assert mine["tenantId"] == gateway.tenant_id and pool["tenantId"] is None
    assert mine["health"] == "unknown" and mine["healthDetail"] is None
    assert mine["healthCheckedAt"] is None and mine["displayName"] == "Sales"

    status, everything = await gateway.operator("GET", "/v1/numbers")
    assert status == 200
    assert [n["id"] for n in everything] == [n["id"] for n in (mine, theirs, pool, for_other)]
    status, listed = await gateway.api("GET", "/v1/numbers")
    assert [n["id"] for n in listed] == [mine["id"], pool["id"]]
    status, listed = await other.api("GET", "/v1/numbers")
    assert [n["id"] for n in listed] == [theirs["id"], pool["id"], for_other["id"]]

    for number in (mine, theirs, pool):
        status, one = await gateway.operator("GET", f"/v1/numbers/{number['id']}")
        assert (status, one) == (200, number)
    status, body = await gateway.api("GET", f"/v1/numbers/{theirs['id']}")
    assert_error(status, body, 404, theirs["id"])
    status, body = await gateway.operator("GET", "/v1/numbers/num_nope")
    assert_error(status, body, 404, "num_nope")


async def test_patch_changes_the_connection_and_the_ingress_uses_the_new_app_secret(
    gateway: RunningGateway, receiver: Receiver
) -> None:
    await add_destination(gateway, receiver)
    settings = SimSettings(gateway_url=gateway.ingress_url, phone_number_id="100000000000931")
    async with Simulator(settings) as sim:
        registration = {**number_registration(sim), "appSecret": "an-old-secret-that-meta-forgot"}
        status, number = await gateway.api("POST", "/v1/numbers", registration)
        assert status == 201, number
        user = sim.user("15551239001", "Ann")
        refused = await sim.send(user, "text")
        assert refused.status == 401  # signed with the simulator's secret, not the old one

        status, changed = await gateway.api(
            "PATCH",
            f"/v1/numbers/{number['id']}",
            {"appSecret": sim.settings.app_secret, "displayName": "Support"},
        )
        assert status == 200, changed
        assert changed["displayName"] == "Support"
        assert {k: v for k, v in changed.items() if k != "displayName"} == {
            k: v for k, v in number.items() if k != "displayName"
        }
        accepted = await sim.send(user, "text", body="after the change")
        assert accepted.ok, accepted.statuses
        await receiver.wait_for(lambda r: len(r.accepted()) == 1)
        assert receiver.accepted()[0].verified

        # displayName null clears it; a new token makes the health unknown again.
        status, changed = await gateway.operator(
            "PATCH",
            f"/v1/numbers/{number['id']}",
            {
                "displayName": None,
                "accessToken": "new-token",
                "graphApiBaseUrl": sim.graph_base_url + "/",
            },
        )
        assert status == 200, changed
        assert changed["displayName"] is None and changed["health"] == "unknown"
        assert changed["graphApiBaseUrl"] == sim.graph_base_url
        rows = await table(gateway.gateway.settings.database_url, "numbers")
        assert "new-token" not in str(rows)

        # The verify-token handshake finds the number by its new token only.
        status, _ = await gateway.api(
            "PATCH", f"/v1/numbers/{number['id']}", {"verifyToken": "fresh-verify-token"}
        )
        assert status == 200
        for token, expected in ((sim.settings.verify_token, 403), ("fresh-verify-token", 200)):
            params = {"hub.mode": "subscribe", "hub.verify_token": token, "hub.challenge": "42"}
            async with gateway.http.get(gateway.ingress_url, params=params) as response:
                assert response.status == expected, token


async def test_patch_validates_its_input_and_who_may_change_what(gateway: RunningGateway) -> None:
    other = await other_tenant(gateway)
    status, mine = await gateway.api("POST", "/v1/numbers", number_body(gateway))
    status, pool = await gateway.operator("POST", "/v1/numbers", number_body(gateway, kind="pool"))
    path = f"/v1/numbers/{mine['id']}"
    bad: list[tuple[Any, str]] = [
        ({}, "nothing to change"),
        ({"accessToken": None}, "accessToken"),
        ({"appSecret": ""}, "appSecret"),
        ({"graphApiBaseUrl": "ftp://x"}, "graphApiBaseUrl"),
        ({"displayName": "x" * 257}, "displayName"),
        ({"kind": "pool"}, "kind"),
        ({"phoneNumberId": "1"}, "phoneNumberId"),
        ([], ""),
    ]
    for body, mentions in bad:
        status, answer = await gateway.api("PATCH", path, body)
        assert_error(status, answer, 400, mentions)
    status, answer = await other.api("PATCH", path, {"displayName": "mine now"})
    assert_error(status, answer, 404)
    status, answer = await gateway.api("PATCH", f"/v1/numbers/{pool['id']}", {"displayName": "x"})
    assert_error(status, answer, 403, "operator")
    status, answer = await gateway.operator(
        "PATCH", f"/v1/numbers/{pool['id']}", {"displayName": "Pool A"}
    )
    assert status == 200 and answer["displayName"] == "Pool A"
    status, answer = await gateway.operator("PATCH", "/v1/numbers/num_nope", {"displayName": "x"})
    assert_error(status, answer, 404)


async def test_a_deleted_number_is_unknown_to_the_ingress_and_can_be_registered_again(
    gateway: RunningGateway, receiver: Receiver
) -> None:
    await add_destination(gateway, receiver)
    other = await other_tenant(gateway)
    settings = SimSettings(gateway_url=gateway.ingress_url, phone_number_id="100000000000932")
    async with Simulator(settings) as sim:
        status, number = await gateway.api("POST", "/v1/numbers", number_registration(sim))
        assert status == 201, number
        user = sim.user("15551239002", "Bob")
        assert (await sim.send(user, "text", body="before")).ok
        await receiver.wait_for(lambda r: len(r.accepted()) == 1)
        conversation_id = receiver.accepted()[0].json()["pipes"]["conversationId"]

        status, body = await other.api("DELETE", f"/v1/numbers/{number['id']}")
        assert_error(status, body, 404)
        status, gone = await gateway.api("DELETE", f"/v1/numbers/{number['id']}")
        assert (status, gone) == (200, number)
        status, body = await gateway.api("GET", f"/v1/numbers/{number['id']}")
        assert_error(status, body, 404)
        status, body = await gateway.api("DELETE", f"/v1/numbers/{number['id']}")
        assert_error(status, body, 404)
        status, listed = await gateway.operator("GET", "/v1/numbers")
        assert number["id"] not in {n["id"] for n in listed}
        # Its conversations stay, but nothing is sent from a disconnected number.
        status, body = await gateway.api(
            "POST", "/v1/messages/send", {"conversationId": conversation_id, "text": "hi"}
        )
        assert_error(status, body, 404)
        assert sim.sent == []

        # Meta still sends: acknowledged, stored nowhere, delivered to nobody.
        messages_before = len(await table(gateway.gateway.settings.database_url, "messages"))
        assert (await sim.send(user, "text", body="after")).ok
        assert (
            len(await table(gateway.gateway.settings.database_url, "messages")) == messages_before
        )
        params = {"hub.mode": "subscribe", "hub.verify_token": sim.settings.verify_token,
                  "hub.challenge": "7"}  # fmt: skip
        async with gateway.http.get(gateway.ingress_url, params=params) as response:
            assert response.status == 403

        # The same phone-number id registers again (another tenant, even) and receives.
        status, again = await other.api("POST", "/v1/numbers", number_registration(sim))
        assert status == 201, again
        assert again["id"] != number["id"]
        rows = await table(gateway.gateway.settings.database_url, "numbers")
        old = next(r for r in rows if r["id"] == number["id"])
        assert old["deleted_at"] is not None
        assert old["phone_number_id"] == f"deleted:{number['id']}:{settings.phone_number_id}"
        assert (await sim.send(user, "text", body="on the new registration")).ok
        messages = await table(gateway.gateway.settings.database_url, "messages")
        assert len(messages) == messages_before + 1
        assert messages[-1]["number_id"] == again["id"]


async def test_pool_numbers_are_deleted_by_the_operator_only(gateway: RunningGateway) -> None:
    status, pool = await gateway.operator("POST", "/v1/numbers", number_body(gateway, kind="pool"))
    assert status == 201
    status, body = await gateway.api("DELETE", f"/v1/numbers/{pool['id']}")
    assert_error(status, body, 403, "operator")
    status, body = await gateway.operator("DELETE", f"/v1/numbers/{pool['id']}")
    assert status == 200 and body["id"] == pool["id"]
    status, body = await gateway.api("GET", f"/v1/numbers/{pool['id']}")
    assert_error(status, body, 404)


async def test_number_routes_refuse_missing_malformed_unknown_and_revoked_keys(
    gateway: RunningGateway,
) -> None:
    status, number = await gateway.api("POST", "/v1/numbers", number_body(gateway))
    status, extra = await gateway.api("POST", "/v1/keys", {"label": "to revoke"})
    assert status == 201
    status, _ = await gateway.api("DELETE", f"/v1/keys/{extra['id']}")
    assert status == 200
    routes = [
        ("GET", "/v1/numbers", None),
        ("POST", "/v1/numbers", number_body(gateway)),
        ("GET", f"/v1/numbers/{number['id']}", None),
        ("PATCH", f"/v1/numbers/{number['id']}", {"displayName": "x"}),
        ("DELETE", f"/v1/numbers/{number['id']}", None),
        ("POST", f"/v1/numbers/{number['id']}/health-check", None),
    ]
    for method, path, body in routes:
        for key in ("", "pk_live_short", "pk_live_" + "Z" * 32, extra["key"]):
            headers = {"Authorization": f"Bearer {key}"} if key else {}
            async with gateway.http.request(
                method, gateway.url + path, json=body, headers=headers
            ) as response:
                assert_error(response.status, await response.json(), 401)
    status, still = await gateway.api("GET", f"/v1/numbers/{number['id']}")
    assert (status, still) == (200, number)


async def _app_key(gateway: RunningGateway, app_id: str) -> str:
    """An App of the gateway's tenant, written straight to the database (the Apps API is
    not part of this area); its ak_live_ key."""
    made = new_key(KeyKind.APP)
    url = gateway.gateway.settings.database_url
    row = (app_id, gateway.tenant_id, "Bot", app_id, made.prefix, made.key_hash, 1.0, 1.0)
    sql = (
        "INSERT INTO apps (id, tenant_id, name, slug, key_prefix, key_hash, created_at, "
        "updated_at) VALUES ({})"
    )
    if url.startswith("sqlite:///"):
        conn = sqlite3.connect(url.removeprefix("sqlite:///"))
        try:
            conn.execute(sql.format(", ".join("?" * 8)), row)
            conn.commit()
        finally:
            conn.close()
    else:
        pg = await asyncpg.connect(url)
        try:
            await pg.execute(sql.format(", ".join(f"${i}" for i in range(1, 9))), *row)
        finally:
            await pg.close()
    return made.key


async def test_an_app_sees_and_manages_only_its_own_numbers(gateway: RunningGateway) -> None:
    app_key = await _app_key(gateway, "app_bot1")
    as_app = {"Authorization": f"Bearer {app_key}"}
    status, apps = await gateway.api("POST", "/v1/numbers", number_body(gateway), headers=as_app)
    assert status == 201 and apps["appId"] == "app_bot1", apps
    status, tenants = await gateway.api("POST", "/v1/numbers", number_body(gateway))
    assert status == 201 and tenants["appId"] is None
    status, listed = await gateway.api("GET", "/v1/numbers", headers=as_app)
    assert status == 200 and [n["id"] for n in listed] == [apps["id"]]
    status, body = await gateway.api("GET", f"/v1/numbers/{tenants['id']}", headers=as_app)
    assert_error(status, body, 404)
    status, body = await gateway.api(
        "PATCH", f"/v1/numbers/{tenants['id']}", {"displayName": "x"}, headers=as_app
    )
    assert_error(status, body, 404)
    status, body = await gateway.api(
        "PATCH", f"/v1/numbers/{apps['id']}", {"displayName": "Bot line"}, headers=as_app
    )
    assert status == 200 and body["displayName"] == "Bot line"
    # The tenant owns its App's numbers too.
    status, body = await gateway.api("PATCH", f"/v1/numbers/{apps['id']}", {"displayName": "T"})
    assert status == 200 and body["displayName"] == "T"
    status, body = await gateway.api("DELETE", f"/v1/numbers/{apps['id']}", headers=as_app)
    assert status == 200 and body["id"] == apps["id"]
    status, listed = await gateway.api("GET", "/v1/numbers", headers=as_app)
    assert (status, listed) == (200, [])
