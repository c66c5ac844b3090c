"""Conversations, numbers and activations, Apps and keys and the operator's console in a
real browser (Debian's chromium, tests/api/browser.py), against a real gateway and the
simulator: an activation turns active on the open page (SSE) when the simulated user sends
the code; a reply typed in a conversation reaches the simulator; each page loads with no
console error and no request leaving this machine. A screenshot of each page is saved
under tests/dashboard/screenshots/ for a person to look at.

The pages do not depend on the database: SQLite only."""

import asyncio
from collections.abc import Callable
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import pytest
from selenium import webdriver
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from tests.api.browser import headless_chromium, missing_browser, off_machine, requested_urls
from tests.conftest import RunningGateway, eventually, registered_sim, running_gateway
from tests.pool.conftest import pool_sim

pytestmark = [
    pytest.mark.e2e,  # a real browser
    pytest.mark.skipif(missing_browser() is not None, reason=str(missing_browser())),
]
WAIT_S = 30
SCREENSHOTS = Path(__file__).parent / "screenshots"
FILLERS = 12


class Browser:
    """One chromium, driven step by step from threads (it blocks; the gateway answers
    from the test's event loop), checking every page it loads."""

    def __init__(self, driver: webdriver.Chrome, url: str) -> None:
        self.driver, self.url = driver, url

    def wait_for(self, find: Callable[[webdriver.Chrome], Any]) -> Any:
        return WebDriverWait(self.driver, WAIT_S).until(find)

    def open(self, path: str, shot: str | None = None) -> None:
        self.driver.get(self.url + path)
        self.wait_for(lambda d: d.execute_script("return document.readyState") == "complete")
        if shot is not None:
            self.screenshot(shot)

    def screenshot(self, name: str) -> None:
        SCREENSHOTS.mkdir(exist_ok=True)
        self.driver.save_screenshot(str(SCREENSHOTS / f"{name}.png"))

    def sign_in(self, key: str) -> None:
        self.open("/dashboard/sign-in")
        self.driver.find_element(By.ID, "key").send_keys(key)
        self.driver.find_element(By.ID, "sign-in").click()
        self.wait_for(lambda d: "/dashboard/overview" in d.current_url)

    def sign_out(self) -> None:
        self.driver.find_element(By.ID, "sign-out").click()
        self.wait_for(lambda d: "/dashboard/sign-in" in d.current_url)

    def text_of(self, element_id: str) -> str:
        """Read in one script: a live update may replace the element between two of
        selenium's calls (a stale element)."""
        script = "const e = document.getElementById(arguments[0]); return e ? e.innerText : '';"
        return str(self.driver.execute_script(script, element_id)).strip()

    def click(self, element_id: str) -> None:
        element = self.driver.find_element(By.ID, element_id)
        self.driver.execute_script("arguments[0].scrollIntoView({block: 'center'});", element)
        element.click()

    def check_clean(self) -> None:
        """No console error, nothing requested off this machine, nothing refused."""
        severe = [e for e in self.driver.get_log("browser") if e["level"] == "SEVERE"]
        assert severe == [], severe
        requested = requested_urls(self.driver)
        assert requested, "the performance log recorded no request"
        assert off_machine(requested) == []
        assert [r for r in requested if r.blocked] == []


def tenant_pages(browser: Browser, conversation_id: str) -> None:
    """The tenant's conversations; a reply sent from the chat, which stays open."""
    browser.open("/dashboard/conversations", shot="conversations")
    assert conversation_id in browser.driver.page_source
    browser.open(f"/dashboard/conversations/{conversation_id}")
    browser.wait_for(
        lambda d: d.execute_script(
            "const i = document.querySelector('img.preview'); return i && i.complete;"
        )
    )
    browser.screenshot("conversation")
    assert "window open" in browser.text_of("window")
    browser.driver.find_element(By.ID, "reply-text").send_keys("Typed in the browser")
    browser.click("send-reply")
    browser.wait_for(lambda d: d.find_elements(By.ID, "action-notice"))
    assert "Sent (" in browser.text_of("action-notice")
    browser.wait_for(lambda d: "Typed in the browser" in browser.text_of("messages"))
    browser.screenshot("conversation-replied")
    browser.driver.execute_script("document.body.dataset.marker = 'before';")


def sees_inbound_live(browser: Browser, pool_number_id: str) -> str:
    """A message that arrived while the chat was open shows up without a reload, at the
    end of the chat in view; then on to the other pages. Returns the activation code."""
    browser.wait_for(lambda d: "Arrived while open" in browser.text_of("messages"))
    assert browser.driver.execute_script("return document.body.dataset.marker;") == "before"
    overflows, at_end = browser.driver.execute_script(
        "const b = document.getElementById('messages');"
        "return [b.scrollHeight > b.clientHeight,"
        " b.scrollTop + b.clientHeight >= b.scrollHeight - 8];"
    )
    assert overflows and at_end
    browser.open("/dashboard/apps", shot="apps")
    browser.open("/dashboard/numbers", shot="numbers")
    browser.driver.find_element(By.ID, f"label-{pool_number_id}").send_keys("from the browser")
    browser.click(f"activate-{pool_number_id}")
    browser.wait_for(lambda d: d.find_elements(By.ID, "code"))
    assert browser.driver.find_element(By.CSS_SELECTOR, "#qr svg.qr-code").is_displayed()
    assert browser.text_of("activation-state") == "pending"
    browser.screenshot("activation-pending")
    return browser.text_of("code")


def turns_active(browser: Browser) -> None:
    """The open activation page shows active once the code arrived, with no reload."""
    marker = "the page before any update"
    browser.driver.execute_script("document.body.dataset.marker = arguments[0];", marker)
    browser.wait_for(lambda d: browser.text_of("activation-state") == "active")
    assert browser.driver.execute_script("return document.body.dataset.marker;") == marker
    assert browser.driver.find_elements(By.ID, "activation-conversation")
    browser.screenshot("activation-active")
    browser.check_clean()


def operator_pages(browser: Browser, tenant_id: str, operator_key: str) -> None:
    browser.sign_out()
    browser.sign_in(operator_key)
    browser.open("/dashboard/console")
    browser.wait_for(lambda d: d.find_elements(By.ID, "chart-outcomes"))
    assert "this one" in browser.text_of("processes")
    browser.screenshot("console")
    browser.open(f"/dashboard/console/tenants/{tenant_id}", shot="tenant")
    browser.open("/dashboard/numbers", shot="numbers-operator")
    assert browser.driver.find_elements(By.ID, "register-number")
    browser.check_clean()


async def _seed(gateway: RunningGateway, sim: Any) -> str:
    """A conversation with a text, a stored image, a location and more texts; its id."""
    ann = sim.user("15551270001", "Ann Lee")
    assert (await sim.send(ann, "text", body="Hello from the simulator")).ok
    assert (await sim.send(ann, "image", caption="the box", mime_type="image/png")).ok
    assert (await sim.send(ann, "location", name="Home", address="1 Main St")).ok
    for n in range(FILLERS):  # more than the chat's box shows at once
        assert (await sim.send(ann, "text", body=f"and one more thing, number {n}")).ok

    async def stored() -> Any:
        status, page = await gateway.api("GET", "/v1/conversations")
        assert status == 200
        if not page["data"]:
            return None
        conv = page["data"][0]["id"]
        status, found = await gateway.api("GET", f"/v1/conversations/{conv}/messages")
        ready = [m for m in found["data"] if m["media"] and not m["media"]["unavailable"]]
        return conv if ready and len(found["data"]) == 3 + FILLERS else None

    return str(await eventually(stored))


async def test_the_pages_work_offline_live_and_end_to_end(sqlite_url: str) -> None:
    async with (
        running_gateway(sqlite_url, dashboard_refresh_s=0.2) as gateway,
        registered_sim(gateway) as sim,
        pool_sim(gateway) as pool,
    ):
        conversation_id = await _seed(gateway, sim)
        with ExitStack() as stack:
            driver = await asyncio.to_thread(lambda: stack.enter_context(headless_chromium()))
            browser = Browser(driver, gateway.url)
            await asyncio.to_thread(browser.sign_in, gateway.api_key)
            pool_id = str(pool.number_id)  # type: ignore[attr-defined]
            await asyncio.to_thread(tenant_pages, browser, conversation_id)
            replies = [s for s in sim.sent if s.type == "text"]
            assert [s.payload["text"]["body"] for s in replies] == ["Typed in the browser"]
            ann = sim.user("15551270001", "Ann Lee")
            assert (await sim.send(ann, "text", body="Arrived while open")).ok
            code = await asyncio.to_thread(sees_inbound_live, browser, pool_id)
            user = pool.user("15551270002", "Bob")
            assert (await pool.send(user, "text", body=code)).ok
            await asyncio.to_thread(turns_active, browser)
            await asyncio.to_thread(
                operator_pages, browser, gateway.tenant_id, gateway.operator_key
            )
            await asyncio.to_thread(stack.close)  # quit chromium off the event loop
