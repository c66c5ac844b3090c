"""Apps and keys in the dashboard over HTTP: an App created with its key shown once (and
working), its key regenerated (the old one, and its session, dead), tenant keys created
(shown once) and revoked (refused by the API at once, the last one kept); another tenant's
App is 404, an App key has no such page, and forms without their token are refused."""

import re
from collections.abc import AsyncIterator

import pytest

from tests.api.helpers import other_tenant
from tests.conftest import RunningGateway
from tests.dashboard.helpers import DashboardClient

NEW_KEY = re.compile(r'<p class="secret" id="new-key">([^<]+)</p>')


@pytest.fixture
async def browser(gateway: RunningGateway) -> AsyncIterator[DashboardClient]:
    client = DashboardClient.open(gateway.url)
    await client.sign_in(gateway.api_key)
    yield client
    await client.close()


async def status_with(gateway: RunningGateway, key: str, path: str) -> int:
    status, _ = await gateway.api("GET", path, headers={"Authorization": f"Bearer {key}"})
    return status


async def test_an_app_is_created_and_its_key_regenerated(
    gateway: RunningGateway, browser: DashboardClient
) -> None:
    token = await browser.form_token("/dashboard/apps")
    page = await browser.post(
        "/dashboard/apps", {"name": "Support bot", "slug": "support"}, csrf=token
    )
    assert page.status == 201, page.text
    key = NEW_KEY.search(page.text)
    assert key is not None and key.group(1).startswith("ak_live_")
    assert await status_with(gateway, key.group(1), "/v1/app") == 200
    again = await browser.get("/dashboard/apps")
    assert "Support bot" in again.text and key.group(1) not in again.text
    taken = await browser.post("/dashboard/apps", {"name": "Again", "slug": "support"}, csrf=token)
    assert taken.status == 409, taken.text
    bad = await browser.post("/dashboard/apps", {"name": "Bad", "slug": "Not A Slug"}, csrf=token)
    assert bad.status == 400 and "slug" in bad.text

    app_session = DashboardClient.open(gateway.url)
    try:
        await app_session.sign_in(key.group(1))
        assert (await app_session.get("/dashboard/apps")).status == 403
        status, apps = await gateway.api("GET", "/v1/apps")
        assert status == 200
        app_id = apps[0]["id"]
        page = await browser.post(f"/dashboard/apps/{app_id}/regenerate-key", {}, csrf=token)
        assert page.status == 200, page.text
        fresh = NEW_KEY.search(page.text)
        assert fresh is not None and fresh.group(1) != key.group(1)
        assert await status_with(gateway, key.group(1), "/v1/app") == 401
        assert await status_with(gateway, fresh.group(1), "/v1/app") == 200
        signed_out = await app_session.get("/dashboard/overview")
        assert "/dashboard/sign-in" in signed_out.url
    finally:
        await app_session.close()

    other = await other_tenant(gateway)
    stranger = DashboardClient.open(gateway.url)
    try:
        await stranger.sign_in(other.api_key)
        their = await stranger.form_token("/dashboard/apps")
        page = await stranger.post(f"/dashboard/apps/{app_id}/regenerate-key", {}, csrf=their)
        assert page.status == 404
        assert "Support bot" not in (await stranger.get("/dashboard/apps")).text
    finally:
        await stranger.close()
    assert await status_with(gateway, fresh.group(1), "/v1/app") == 200


async def test_tenant_keys_are_created_once_and_revoked(
    gateway: RunningGateway, browser: DashboardClient
) -> None:
    token = await browser.form_token("/dashboard/apps")
    page = await browser.post("/dashboard/keys", {"label": "ci"}, csrf=token)
    assert page.status == 201, page.text
    key = NEW_KEY.search(page.text)
    assert key is not None and key.group(1).startswith("pk_live_")
    assert await status_with(gateway, key.group(1), "/v1/keys") == 200
    status, keys = await gateway.api("GET", "/v1/keys")
    ci = next(k for k in keys if k["label"] == "ci")
    assert key.group(1) not in (await browser.get("/dashboard/apps")).text
    tokenless = await browser.post(f"/dashboard/keys/{ci['id']}/revoke", {})
    assert tokenless.status == 403
    assert await status_with(gateway, key.group(1), "/v1/keys") == 200
    page = await browser.post(f"/dashboard/keys/{ci['id']}/revoke", {}, csrf=token)
    assert page.status == 200 and "revoked" in page.text
    assert await status_with(gateway, key.group(1), "/v1/keys") == 401

    other = await other_tenant(gateway)
    stranger = DashboardClient.open(gateway.url)
    try:
        await stranger.sign_in(other.api_key)
        their = await stranger.form_token("/dashboard/apps")
        mine = next(k for k in keys if k["label"] != "ci")
        page = await stranger.post(f"/dashboard/keys/{mine['id']}/revoke", {}, csrf=their)
        assert page.status == 404
        status, their_keys = await other.api("GET", "/v1/keys")
        assert status == 200
        page = await stranger.post(f"/dashboard/keys/{their_keys[0]['id']}/revoke", {}, csrf=their)
        assert page.status == 409, page.text  # their last live key is kept
    finally:
        await stranger.close()
    assert await status_with(gateway, gateway.api_key, "/v1/keys") == 200
