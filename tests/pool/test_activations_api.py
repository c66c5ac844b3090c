"""/v1/activations: what a tenant may ask, what is refused (4xx naming the problem), and
that one tenant never sees or changes another's activations."""

from typing import Any

from tests.api.helpers import assert_error, number_body, other_tenant, problem
from tests.apps.helpers import create_app
from tests.conftest import RunningGateway, running_gateway
from tests.pool.conftest import activate, new_activation, number_id, pool_sim
from wahooks.pool.codes import ALPHABET, normalize
from wahooks.sim import Simulator


async def test_create_list_get_patch_delete(gateway: RunningGateway, pool: Simulator) -> None:
    first = await new_activation(gateway, pool, label="work")
    second = await new_activation(gateway, pool)
    assert first["code"] != second["code"]
    assert all(c in ALPHABET for c in normalize(first["code"]))
    assert first["label"] == "work" and second["label"] is None
    assert first["expiresAt"].endswith("Z") and first["expiresAt"] > first["createdAt"]

    status, listed = await gateway.api("GET", "/v1/activations")
    assert status == 200
    assert [a["id"] for a in listed] == [second["id"], first["id"]]  # newest first
    assert all("code" not in a for a in listed)
    status, only = await gateway.api("GET", "/v1/activations?limit=1")
    assert [a["id"] for a in only] == [second["id"]]
    status, by_number = await gateway.api("GET", f"/v1/activations?numberId={number_id(pool)}")
    assert len(by_number) == 2
    status, none = await gateway.api("GET", "/v1/activations?numberId=num_elsewhere")
    assert status == 200 and none == []

    status, patched = await gateway.api(
        "PATCH", f"/v1/activations/{first['id']}", {"label": "home"}
    )
    assert status == 200 and patched["label"] == "home", patched
    status, shown = await gateway.api("GET", f"/v1/activations/{first['id']}")
    assert shown["label"] == "home" and shown["state"] == "pending"

    # Cancelling a pending activation: its code stops working at once.
    status, cancelled = await gateway.api("DELETE", f"/v1/activations/{second['id']}")
    assert status == 200 and cancelled["state"] == "expired", cancelled
    assert cancelled["expiresAt"] <= cancelled["updatedAt"]
    status, pending = await gateway.api("GET", "/v1/activations?state=pending")
    assert [a["id"] for a in pending] == [first["id"]]
    status, expired = await gateway.api("GET", "/v1/activations?state=expired")
    assert [a["id"] for a in expired] == [second["id"]]


async def test_cancelled_code_is_answered_as_expired(
    gateway: RunningGateway, pool: Simulator
) -> None:
    from tests.pool.conftest import CODE_EXPIRED, told_eventually

    created = await new_activation(gateway, pool)
    status, _ = await gateway.api("DELETE", f"/v1/activations/{created['id']}")
    assert status == 200
    user = pool.user("4915100000020", "Late")
    await pool.send(user, "text", body=created["code"])
    assert await told_eventually(pool, user.wa_id, 1) == [CODE_EXPIRED]


async def test_bad_requests_are_4xx_naming_the_problem(
    gateway: RunningGateway, pool: Simulator
) -> None:
    status, dedicated = await gateway.api("POST", "/v1/numbers", number_body(gateway))
    assert status == 201, dedicated
    cases: list[tuple[str, str, str, Any, int, str | None]] = [
        ("dedicated number", "POST", "/v1/activations", {"numberId": dedicated["id"]}, 400,
         "dedicated"),
        ("unknown number", "POST", "/v1/activations", {"numberId": "num_nope"}, 400, "num_nope"),
        ("no number", "POST", "/v1/activations", {}, 400, "numberId"),
        ("empty label", "POST", "/v1/activations",
         {"numberId": number_id(pool), "label": ""}, 400, "label"),
        ("long label", "POST", "/v1/activations",
         {"numberId": number_id(pool), "label": "x" * 101}, 400, "label"),
        ("unknown field", "POST", "/v1/activations",
         {"numberId": number_id(pool), "waId": "123"}, 400, "waId"),
        ("not an object", "POST", "/v1/activations", ["numberId"], 400, None),
        ("bad state filter", "GET", "/v1/activations?state=gone", None, 400, "state"),
        ("bad limit", "GET", "/v1/activations?limit=0", None, 400, "limit"),
        ("unknown activation", "GET", "/v1/activations/act_nope", None, 404, "act_nope"),
        ("patch unknown", "PATCH", "/v1/activations/act_nope", {"label": "x"}, 404, "act_nope"),
        ("patch without label", "PATCH", "/v1/activations/act_nope", {}, 400, "label"),
        ("delete unknown", "DELETE", "/v1/activations/act_nope", None, 404, "act_nope"),
        ("NUL in the id", "GET", "/v1/activations/act%00x", None, 400, "NUL"),
        ("NUL in numberId", "GET", "/v1/activations?numberId=num%00x", None, 400, "NUL"),
        ("NUL in a label", "POST", "/v1/activations",
         {"numberId": number_id(pool), "label": "a\u0000b"}, 400, "NUL"),
    ]  # fmt: skip
    problems = []
    for what, method, path, body, expected, mentions in cases:
        status, answer = await gateway.api(method, path, body)
        problems.append(problem(what, status, answer, expected, mentions))
    assert [p for p in problems if p] == []


async def test_only_tenant_keys(gateway: RunningGateway, pool: Simulator) -> None:
    status, refused = await gateway.operator(
        "POST", "/v1/activations", {"numberId": number_id(pool)}
    )
    assert_error(status, refused, 403, mentions="tenant")
    status, refused = await gateway.api(
        "GET", "/v1/activations", headers={"Authorization": "Bearer pk_live_" + "x" * 32}
    )
    assert_error(status, refused, 401)


async def test_too_many_pending_codes(database_url: str) -> None:
    async with running_gateway(database_url, activation_max_pending=2) as gateway:
        async with pool_sim(gateway) as pool:
            first = await new_activation(gateway, pool)
            await new_activation(gateway, pool)
            status, refused = await gateway.api(
                "POST", "/v1/activations", {"numberId": number_id(pool)}
            )
            assert_error(status, refused, 409, mentions="2")
            assert refused["error"]["code"] == "too_many_pending"
            # Another tenant has its own allowance; a cancelled code frees a place.
            other = await other_tenant(gateway)
            await new_activation(other, pool)
            status, _ = await gateway.api("DELETE", f"/v1/activations/{first['id']}")
            assert status == 200
            await new_activation(gateway, pool)


async def test_another_tenants_activations_are_invisible(
    gateway: RunningGateway, pool: Simulator
) -> None:
    other = await other_tenant(gateway)
    user = pool.user("4915100000021", "Mine")
    mine = await activate(gateway, pool, user, label="private")
    theirs = await new_activation(other, pool)
    for method, body in (("GET", None), ("PATCH", {"label": "hijack"}), ("DELETE", None)):
        status, refused = await other.api(method, f"/v1/activations/{mine['id']}", body)
        assert_error(status, refused, 404, mentions=mine["id"])
    status, listed = await other.api("GET", "/v1/activations")
    assert [a["id"] for a in listed] == [theirs["id"]]
    status, shown = await gateway.api("GET", f"/v1/activations/{mine['id']}")
    assert shown["state"] == "active" and shown["label"] == "private", shown
    # Nor their conversation: no sends into it.
    status, refused = await other.api(
        "POST", "/v1/messages/send", {"conversationId": mine["conversationId"], "text": "hi"}
    )
    assert_error(status, refused, 404)


async def test_an_app_destination_cannot_bind_the_tenants_activation(
    gateway: RunningGateway, pool: Simulator
) -> None:
    activation = await new_activation(gateway, pool)
    app = await create_app(gateway, "bound", "bound")
    body = {"url": "https://hooks.example.com/a", "activationId": activation["id"]}
    status, refused = await app.api("POST", "/v1/destinations", body)
    assert status == 400 and "activationId" in refused["error"]["message"], refused
    # Nor through a PATCH of one of the App's own destinations.
    status, own = await app.api("POST", "/v1/destinations", {"url": body["url"]})
    assert status == 201, own
    patch = {"activationId": activation["id"]}
    status, refused = await app.api("PATCH", f"/v1/destinations/{own['id']}", patch)
    assert status == 400 and "activationId" in refused["error"]["message"], refused
    # The tenant's own key still may.
    status, created = await gateway.api("POST", "/v1/destinations", body)
    assert status == 201 and created["activationId"] == activation["id"], created
