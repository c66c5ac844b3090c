"""Signing in and out of the dashboard: the session cookie's flags, its expiry, its end when
the key is revoked, and the refusal of forms without their token or from another site.

Plain HTTP against a real gateway (the browser tests are test_pages_browser.py)."""

import time
from collections.abc import AsyncIterator

import pytest

from tests.conftest import RunningGateway, running_gateway
from tests.dashboard.helpers import DashboardClient, csrf_of
from wahooks.dashboard.headers import CONTENT_SECURITY_POLICY


class Clock:
    def __init__(self) -> None:
        self.now = time.time()

    def __call__(self) -> float:
        return self.now


@pytest.fixture
async def browser(gateway: RunningGateway) -> AsyncIterator[DashboardClient]:
    client = DashboardClient.open(gateway.url)
    yield client
    await client.close()


async def test_a_tenant_key_signs_in_to_an_httponly_strict_cookie(
    gateway: RunningGateway, browser: DashboardClient
) -> None:
    first = await browser.get("/dashboard/overview", allow_redirects=False)
    assert first.status == 303
    assert first.headers["Location"].startswith("/dashboard/sign-in?next=")
    page = await browser.sign_in(gateway.api_key)
    assert "test tenant" in page.text and 'id="sign-out"' in page.text
    cookie = browser.cookie("wahooks_session")
    assert cookie is not None and cookie["httponly"] and cookie["samesite"].lower() == "strict"
    assert cookie["path"] == "/dashboard" and not cookie["secure"]  # http here
    assert gateway.api_key not in cookie.value  # sealed, not the key in clear


async def test_an_unknown_key_is_refused_on_the_form(
    gateway: RunningGateway, browser: DashboardClient
) -> None:
    form = await browser.get("/dashboard/sign-in")
    wrong = "pk_live_" + "x" * 32
    page = await browser.post("/dashboard/sign-in", {"key": wrong}, csrf=csrf_of(form.text))
    assert page.status == 401 and "unknown or revoked API key" in page.text
    assert browser.cookie("wahooks_session") is None


async def test_app_and_operator_keys_sign_in_too(
    gateway: RunningGateway, browser: DashboardClient
) -> None:
    page = await browser.sign_in(gateway.operator_key)
    assert "operator" in page.text
    assert 'href="/dashboard/deliveries"' not in page.text  # a tenant's page
    status, app = await gateway.api(
        "POST", "/v1/apps", {"name": "bot", "slug": "bot-" + gateway.tenant_id[-6:].lower()}
    )
    assert status == 201, app
    other = DashboardClient.open(gateway.url)
    try:
        page = await other.sign_in(app["apiKey"])
        assert f"App {app['id']}" in page.text
        assert 'href="/dashboard/destinations"' in page.text
        assert 'href="/dashboard/deliveries"' not in page.text
        refused = await other.get("/dashboard/deliveries")
        assert refused.status in (403, 404), refused.text
    finally:
        await other.close()


async def test_revoking_the_key_ends_its_sessions(
    gateway: RunningGateway, browser: DashboardClient
) -> None:
    status, made = await gateway.api("POST", "/v1/keys", {"label": "browser"})
    assert status == 201, made
    await browser.sign_in(made["key"])
    assert (await browser.get("/dashboard/overview")).status == 200
    status, _ = await gateway.api("DELETE", f"/v1/keys/{made['id']}")
    assert status in (200, 204)
    after = await browser.get("/dashboard/overview", allow_redirects=False)
    assert after.status == 303 and "/dashboard/sign-in" in after.headers["Location"]


async def test_a_session_expires(sqlite_url: str) -> None:
    clock = Clock()
    async with running_gateway(sqlite_url, clock=clock, dashboard_session_ttl_s=600) as gw:
        browser = DashboardClient.open(gw.url)
        try:
            await browser.sign_in(gw.api_key)
            clock.now += 599
            assert (await browser.get("/dashboard/overview")).status == 200
            clock.now += 2
            after = await browser.get("/dashboard/overview", allow_redirects=False)
            assert after.status == 303
        finally:
            await browser.close()


async def test_sign_out_clears_the_cookie(
    gateway: RunningGateway, browser: DashboardClient
) -> None:
    page = await browser.sign_in(gateway.api_key)
    out = await browser.post("/dashboard/sign-out", {}, csrf=csrf_of(page.text))
    assert out.status == 200 and "/dashboard/sign-in" in out.url
    assert browser.cookie("wahooks_session") is None or not browser.cookie("wahooks_session").value
    after = await browser.get("/dashboard/overview", allow_redirects=False)
    assert after.status == 303


async def test_posts_without_the_token_or_from_another_site_are_refused(
    gateway: RunningGateway, browser: DashboardClient
) -> None:
    page = await browser.sign_in(gateway.api_key)
    token = csrf_of(page.text)
    no_token = await browser.post("/dashboard/sign-out", {})
    assert no_token.status == 403 and "CSRF" in no_token.text
    wrong = await browser.post("/dashboard/sign-out", {}, csrf="not-the-token")
    assert wrong.status == 403
    evil = {"Origin": "https://evil.example", "Sec-Fetch-Site": "same-origin"}
    cross = await browser.post("/dashboard/sign-out", {}, csrf=token, headers=evil)
    assert cross.status == 403 and "cross-site" in cross.text
    site = {"Origin": gateway.url, "Sec-Fetch-Site": "cross-site"}
    cross = await browser.post("/dashboard/sign-out", {}, csrf=token, headers=site)
    assert cross.status == 403
    # Still signed in: none of them did anything.
    assert (await browser.get("/dashboard/overview")).status == 200


async def test_a_sign_in_post_without_its_double_submit_token_is_refused(
    gateway: RunningGateway, browser: DashboardClient
) -> None:
    form = await browser.get("/dashboard/sign-in")
    token = csrf_of(form.text)
    fresh = DashboardClient.open(gateway.url)  # no sign-in cookie: a forged form elsewhere
    try:
        page = await fresh.post("/dashboard/sign-in", {"key": gateway.api_key}, csrf=token)
        assert page.status == 403
        assert fresh.cookie("wahooks_session") is None
    finally:
        await fresh.close()


async def test_every_answer_carries_a_strict_content_security_policy(
    gateway: RunningGateway, browser: DashboardClient
) -> None:
    for path in ("/dashboard/sign-in", "/dashboard/static/dashboard.js", "/dashboard/nowhere"):
        page = await browser.get(path)
        assert page.headers["Content-Security-Policy"] == CONTENT_SECURITY_POLICY, path
        assert page.headers["X-Frame-Options"] == "DENY"
    assert "default-src 'self'" in CONTENT_SECURITY_POLICY
    assert "unsafe-inline" not in CONTENT_SECURITY_POLICY
    missing = await browser.get("/dashboard/nowhere")
    assert missing.status == 404 and "<html" in missing.text


async def test_sign_in_goes_back_to_the_page_asked_for_but_never_elsewhere(
    gateway: RunningGateway, browser: DashboardClient
) -> None:
    for target, lands in (
        ("/dashboard/overview?x=1", "/dashboard/overview?x=1"),
        ("https://evil.example/", "/dashboard/overview"),
        ("//evil.example/dashboard/", "/dashboard/overview"),
    ):
        client = DashboardClient.open(gateway.url)
        try:
            form = await client.get("/dashboard/sign-in")
            page = await client.post(
                "/dashboard/sign-in",
                {"key": gateway.api_key, "next": target},
                csrf=csrf_of(form.text),
                allow_redirects=False,
            )
            assert page.status == 303 and page.headers["Location"] == lands, target
        finally:
            await client.close()
