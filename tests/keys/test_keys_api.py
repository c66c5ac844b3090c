"""Tenants, tenant keys and operator keys through the API, on both databases: shown once,
listed without secrets, revoked keys refused at once, and each key kept to its own side."""

import asyncio
import re
from typing import Any

import pytest

from tests.api.helpers import assert_error, other_tenant
from tests.conftest import RunningGateway
from tests.ingress.helpers import table

KEY = re.compile(r"^pk_live_[A-Za-z0-9]{32}$")
OP_KEY = re.compile(r"^op_live_[A-Za-z0-9]{32}$")
ISO = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")


async def _with_key(gateway: RunningGateway, key: str | None, method: str, path: str,
                    json: Any = None) -> tuple[int, Any]:  # fmt: skip
    if key is None:
        async with gateway.http.request(method, gateway.url + path, json=json) as response:
            return response.status, await response.json()
    return await gateway.api(method, path, json, headers={"Authorization": f"Bearer {key}"})


async def test_the_operator_creates_a_tenant_whose_first_key_works_once_shown(
    gateway: RunningGateway,
) -> None:
    status, made = await gateway.operator("POST", "/v1/tenants", {"name": "Acme", "keyLabel": "ci"})
    assert status == 201, made
    assert made["id"].startswith("ten_") and made["name"] == "Acme"
    assert ISO.match(made["createdAt"])
    key = made["apiKey"]
    assert KEY.match(key["key"]), key
    assert key["prefix"] == key["key"][:16] and key["label"] == "ci" and key["revokedAt"] is None

    # The new key is the tenant's: it sees the tenant's (empty) resources.
    status, numbers = await _with_key(gateway, key["key"], "GET", "/v1/numbers")
    assert (status, numbers) == (200, [])
    status, keys = await _with_key(gateway, key["key"], "GET", "/v1/keys")
    assert status == 200 and [k["id"] for k in keys] == [key["id"]]
    assert "key" not in keys[0] and key["key"] not in str(keys)

    status, listed = await gateway.operator("GET", "/v1/tenants")
    assert status == 200
    shown = {"id": made["id"], "name": "Acme", "createdAt": made["createdAt"],
             "alertEmail": None, "alertWebhookUrl": None}  # fmt: skip
    assert shown in listed
    assert gateway.tenant_id in {t["id"] for t in listed}
    status, one = await gateway.operator("GET", f"/v1/tenants/{made['id']}")
    assert (status, one) == (
        200,
        shown,
    )
    status, body = await gateway.operator("GET", "/v1/tenants/ten_nope")
    assert_error(status, body, 404, "ten_nope")

    # Stored hashed: the database never holds the key itself.
    rows = await table(gateway.gateway.settings.database_url, "api_keys")
    assert key["key"] not in str(rows)
    assert any(r["prefix"] == key["prefix"] and r["label"] == "ci" for r in rows)

    for bad in ({}, {"name": ""}, {"name": "x" * 201}, {"name": "ok", "extra": 1}, [1]):
        status, body = await gateway.operator("POST", "/v1/tenants", bad)
        assert_error(status, body, 400)


async def test_a_tenant_creates_lists_and_revokes_its_keys_and_a_revoked_key_is_refused_at_once(
    gateway: RunningGateway,
) -> None:
    status, second = await gateway.api("POST", "/v1/keys", {"label": "worker"})
    assert status == 201, second
    assert KEY.match(second["key"]) and second["label"] == "worker"
    status, unlabeled = await gateway.api("POST", "/v1/keys", {})
    assert status == 201 and unlabeled["label"] is None

    status, keys = await gateway.api("GET", "/v1/keys")
    assert status == 200
    assert [k["id"] for k in keys][-2:] == [second["id"], unlabeled["id"]]
    assert set(keys[0]) == {"id", "prefix", "label", "createdAt", "revokedAt"}
    raw = str(keys)
    assert gateway.api_key not in raw and second["key"] not in raw

    # The new key works, then is revoked: its very next request is a 401.
    status, _ = await _with_key(gateway, second["key"], "GET", "/v1/numbers")
    assert status == 200
    status, revoked = await gateway.api("DELETE", f"/v1/keys/{second['id']}")
    assert status == 200, revoked
    assert revoked["id"] == second["id"] and ISO.match(revoked["revokedAt"])
    for method, path in (("GET", "/v1/numbers"), ("GET", "/v1/keys"), ("POST", "/v1/keys")):
        status, body = await _with_key(gateway, second["key"], method, path, {})
        assert_error(status, body, 401, "revoked")
    # Revoking again answers it as it is; the other keys still work.
    status, again = await gateway.api("DELETE", f"/v1/keys/{second['id']}")
    assert (status, again) == (200, revoked)
    status, _ = await _with_key(gateway, unlabeled["key"], "GET", "/v1/keys")
    assert status == 200

    status, body = await gateway.api("DELETE", "/v1/keys/key_nope")
    assert_error(status, body, 404, "key_nope")
    for bad in ({"label": ""}, {"label": 5}, {"label": "x" * 201}, {"key": "pk_live_x"}):
        status, body = await gateway.api("POST", "/v1/keys", bad)
        assert_error(status, body, 400)


async def test_a_tenant_cannot_revoke_its_last_live_key(gateway: RunningGateway) -> None:
    status, keys = await gateway.api("GET", "/v1/keys")
    assert status == 200 and len(keys) == 1
    status, body = await gateway.api("DELETE", f"/v1/keys/{keys[0]['id']}")
    assert_error(status, body, 409, "last live key")
    status, _ = await gateway.api("GET", "/v1/keys")
    assert status == 200  # still in

    # With a second key, the first may go, even the one making the request.
    status, second = await gateway.api("POST", "/v1/keys", {"label": "next"})
    assert status == 201
    status, body = await gateway.api("DELETE", f"/v1/keys/{keys[0]['id']}")
    assert status == 200, body
    status, body = await gateway.api("GET", "/v1/keys")
    assert_error(status, body, 401)
    status, listed = await _with_key(gateway, second["key"], "GET", "/v1/keys")
    assert status == 200 and listed[0]["revokedAt"] is not None and listed[1]["revokedAt"] is None


async def test_keys_of_another_tenant_are_not_found_and_the_operator_manages_any_tenants_keys(
    gateway: RunningGateway,
) -> None:
    other = await other_tenant(gateway)
    status, mine = await gateway.api("POST", "/v1/keys", {"label": "mine"})
    assert status == 201
    status, body = await other.api("DELETE", f"/v1/keys/{mine['id']}")
    assert_error(status, body, 404)
    status, theirs = await other.api("GET", "/v1/keys")
    assert status == 200 and mine["id"] not in {k["id"] for k in theirs}

    # The operator issues, lists and revokes a tenant's keys (even its last one).
    path = f"/v1/tenants/{other.tenant_id}/keys"
    status, issued = await gateway.operator("POST", path, {"label": "by operator"})
    assert status == 201 and KEY.match(issued["key"])
    status, listed = await gateway.operator("GET", path)
    assert status == 200 and [k["id"] for k in listed][-1] == issued["id"]
    assert issued["key"] not in str(listed)
    status, body = await gateway.operator("DELETE", f"{path}/{mine['id']}")
    assert_error(status, body, 404)  # a key of another tenant under this one
    for key in listed:
        status, body = await gateway.operator("DELETE", f"{path}/{key['id']}")
        assert status == 200 and body["revokedAt"], body
    status, body = await other.api("GET", "/v1/keys")
    assert_error(status, body, 401)
    status, body = await gateway.operator("POST", "/v1/tenants/ten_nope/keys", {})
    assert_error(status, body, 404, "ten_nope")
    status, body = await gateway.operator("GET", "/v1/tenants/ten_nope/keys")
    assert_error(status, body, 404, "ten_nope")


async def test_operator_keys_are_created_listed_revoked_and_the_last_one_is_kept(
    gateway: RunningGateway,
) -> None:
    status, keys = await gateway.operator("GET", "/v1/operator/keys")
    assert status == 200 and len(keys) == 1 and keys[0]["label"] == "tests"
    first = keys[0]
    status, body = await gateway.operator("DELETE", f"/v1/operator/keys/{first['id']}")
    assert_error(status, body, 409, "last live")

    status, second = await gateway.operator("POST", "/v1/operator/keys", {"label": "ops"})
    assert status == 201 and OP_KEY.match(second["key"]) and second["id"].startswith("opk_")
    status, listed = await gateway.operator("GET", "/v1/operator/keys")
    assert [k["id"] for k in listed] == [first["id"], second["id"]]
    assert second["key"] not in str(listed) and gateway.operator_key not in str(listed)

    # The second key revokes the first (the one the fixture uses): refused at once.
    status, revoked = await _with_key(
        gateway, second["key"], "DELETE", f"/v1/operator/keys/{first['id']}"
    )
    assert status == 200 and revoked["revokedAt"], revoked
    status, body = await gateway.operator("GET", "/v1/tenants")
    assert_error(status, body, 401, "revoked")
    status, body = await _with_key(
        gateway, second["key"], "DELETE", f"/v1/operator/keys/{second['id']}"
    )
    assert_error(status, body, 409)
    status, body = await _with_key(gateway, second["key"], "DELETE", "/v1/operator/keys/opk_x")
    assert_error(status, body, 404, "opk_x")
    rows = await table(gateway.gateway.settings.database_url, "operator_keys")
    assert second["key"] not in str(rows)


@pytest.mark.e2e
async def test_concurrent_revocations_leave_one_live_operator_key(gateway: RunningGateway) -> None:
    """Two revocations at once cannot both pass the last-key check (row locks on PostgreSQL,
    one writer on SQLite)."""
    store = gateway.gateway.store
    status, _ = await gateway.operator("POST", "/v1/operator/keys", {"label": "b"})
    assert status == 201
    ids = [k.id for k in await store.tenants.operator_keys()]
    assert len(ids) == 2
    outcomes = await asyncio.gather(
        *(store.tenants.revoke_operator_key(key_id) for key_id in ids), return_exceptions=True
    )
    assert sorted(type(o).__name__ for o in outcomes) == ["KeyRecord", "LastKey"], outcomes
    rows = await table(gateway.gateway.settings.database_url, "operator_keys")
    assert sum(r["revoked_at"] is None for r in rows) == 1


async def test_each_key_kind_is_kept_to_its_side(gateway: RunningGateway) -> None:
    """Tenant keys cannot do operator things and the operator key is not a tenant's;
    missing, malformed and unknown keys are 401 everywhere."""
    operator_only = [
        ("POST", "/v1/tenants", {"name": "x"}),
        ("GET", "/v1/tenants", None),
        ("GET", f"/v1/tenants/{gateway.tenant_id}", None),
        ("POST", f"/v1/tenants/{gateway.tenant_id}/keys", {}),
        ("GET", f"/v1/tenants/{gateway.tenant_id}/keys", None),
        ("DELETE", f"/v1/tenants/{gateway.tenant_id}/keys/key_x", None),
        ("POST", "/v1/operator/keys", {}),
        ("GET", "/v1/operator/keys", None),
        ("DELETE", "/v1/operator/keys/opk_x", None),
    ]
    tenant_only = [
        ("POST", "/v1/keys", {}),
        ("GET", "/v1/keys", None),
        ("DELETE", "/v1/keys/key_x", None),
    ]
    for method, path, body in operator_only:
        status, answer = await gateway.api(method, path, body)
        assert_error(status, answer, 403, "operator")
    for method, path, body in tenant_only:
        status, answer = await gateway.operator(method, path, body)
        assert_error(status, answer, 403, "tenant")
    unknown = "pk_live_" + "A" * 32
    for method, path, body in operator_only + tenant_only:
        for key in (None, "nope", unknown, "op_live_" + "B" * 32):
            status, answer = await _with_key(gateway, key, method, path, body)
            assert_error(status, answer, 401)


async def test_ids_in_paths_that_cannot_be_ids_are_refused_before_the_database(
    gateway: RunningGateway,
) -> None:
    """A NUL (PostgreSQL text cannot hold one) or other junk in an id is a 400, not a 5xx."""
    for bad in ("%00", "a%00b", "x" * 101, "%F0%9F%98%80", "a.b"):
        for method, path, as_operator in (
            ("GET", f"/v1/tenants/{bad}", True),
            ("GET", f"/v1/tenants/{bad}/keys", True),
            ("DELETE", f"/v1/tenants/{gateway.tenant_id}/keys/{bad}", True),
            ("DELETE", f"/v1/operator/keys/{bad}", True),
            ("DELETE", f"/v1/keys/{bad}", False),
            ("GET", f"/v1/numbers/{bad}", False),
            ("PATCH", f"/v1/numbers/{bad}", False),
            ("DELETE", f"/v1/numbers/{bad}", True),
            ("POST", f"/v1/numbers/{bad}/health-check", True),
        ):
            call = gateway.operator if as_operator else gateway.api
            body = {"displayName": "x"} if method == "PATCH" else None
            status, answer = await call(method, path, body)
            assert_error(status, answer, 400)


async def test_a_tenant_s_alert_webhook_gets_a_secret_shown_once_and_is_cleared(
    gateway: RunningGateway,
) -> None:
    path = f"/v1/tenants/{gateway.tenant_id}"
    status, body = await gateway.operator("PATCH", path, {})
    assert_error(status, body, 400, "nothing to change")
    hook = "https://acme.example/alerts"
    status, made = await gateway.operator("PATCH", path, {"alertWebhookUrl": hook})
    assert status == 200 and made["alertWebhookUrl"] == hook, made
    secret = made["alertWebhookSecret"]
    assert secret.startswith("whsec_") and made["alertEmail"] is None, made
    # Stored encrypted, never answered again.
    rows = await table(gateway.gateway.settings.database_url, "tenants")
    assert secret not in str(rows)
    status, mail = await gateway.operator("PATCH", path, {"alertEmail": "dev@acme.test"})
    assert status == 200 and mail["alertWebhookUrl"] == hook, mail
    assert mail["alertWebhookSecret"] is None and mail["alertEmail"] == "dev@acme.test"
    for bad in ("ftp://acme.example/x", "https://acme.example/a\r\nX: y", "not a url"):
        status, body = await gateway.operator("PATCH", path, {"alertWebhookUrl": bad})
        assert_error(status, body, 400)
    status, cleared = await gateway.operator("PATCH", path, {"alertWebhookUrl": None})
    assert status == 200 and cleared["alertWebhookUrl"] is None, cleared
    assert cleared["alertEmail"] == "dev@acme.test"
    status, body = await gateway.operator("PATCH", "/v1/tenants/ten_nope", {"alertEmail": None})
    assert_error(status, body, 404)
