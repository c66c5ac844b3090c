"""What the API tests share: valid request bodies, the error shape, a second tenant."""

import uuid
from dataclasses import dataclass
from typing import Any

from tests.conftest import RunningGateway
from wahooks.accounts import issue_tenant_key
from wahooks.ids import new_id

Json = dict[str, Any]
RECEIVER_URL = "http://127.0.0.1:9/webhook"  # never called by these tests


def number_body(gateway: RunningGateway, **fields: Any) -> Json:
    """A valid POST /v1/numbers body with a fresh phone-number id and token, which the test
    gateway's Graph API (``gateway.graph``, a simulator) knows: the token owns the number,
    in WABA 200000000000001 (or ``wabaId``), so the registration proves ownership."""
    body: Json = {
        "phoneNumberId": str(10**14 + uuid.uuid4().int % 10**13),
        "wabaId": "200000000000001",
        "displayPhoneNumber": "15550000001",
        "accessToken": "EAAG-access-token-" + uuid.uuid4().hex,
        "appSecret": "app-secret-" + uuid.uuid4().hex,
        "verifyToken": "verify-token-" + uuid.uuid4().hex,
        "graphApiBaseUrl": gateway.graph.graph_base_url,
    }
    body.update(fields)
    if all(isinstance(body[k], str) for k in ("phoneNumberId", "wabaId", "accessToken")):
        gateway.graph.add_number(
            body["phoneNumberId"], waba_id=body["wabaId"], access_token=body["accessToken"]
        )
    return body


def assert_error(status: int, body: Any, expected: int, mentions: str | None = None) -> None:
    """A ``expected`` 4xx with ``{"error": {"code", "message"}}`` naming the problem."""
    assert status == expected, (status, body)
    assert 400 <= status < 500
    assert isinstance(body, dict) and set(body) == {"error"}, body
    error = body["error"]
    assert set(error) == {"code", "message"}, body
    assert isinstance(error["code"], str) and error["code"], body
    assert isinstance(error["message"], str) and error["message"], body
    if mentions is not None:
        assert mentions.lower() in error["message"].lower(), body


def problem(
    what: str, status: int, body: Any, expected: int, mentions: str | None = None
) -> str | None:
    """``assert_error`` as a report line, so one run lists every broken case."""
    try:
        assert_error(status, body, expected, mentions)
    except AssertionError:
        return f"{what}: expected {expected} mentioning {mentions!r}, got {status} {body}"
    return None


@dataclass
class OtherTenant:
    """A second tenant of the same gateway, calling with its own key."""

    gateway: RunningGateway
    tenant_id: str
    api_key: str

    async def api(self, method: str, path: str, json: Any = None) -> tuple[int, Any]:
        headers = {"Authorization": f"Bearer {self.api_key}"}
        return await self.gateway.api(method, path, json, headers=headers)


async def other_tenant(gateway: RunningGateway) -> OtherTenant:
    store = gateway.gateway.store
    tenant = await store.tenants.create_tenant(new_id("ten"), "another tenant")
    key = (await issue_tenant_key(store, tenant.id)).key
    return OtherTenant(gateway, tenant.id, key)
