"""The dashboard in a real browser (Debian's chromium, selenium), against a real gateway,
the simulator and a sample receiver: sign in and out, each page with no console error and
no request leaving 127.0.0.1, a chart updating live as messages flow, Test Connection
showing the receiver's answer, a failed delivery re-sent once its receiver recovered, and
another tenant's destination a 404. Screenshots of each page: tests/dashboard/screenshots/.

SQLite only: the pages are the same on both databases (the HTTP tests run on both)."""

import asyncio
import re
import time

import pytest
from selenium.webdriver.support.ui import Select

from tests.api.browser import headless_chromium, missing_browser
from tests.api.helpers import other_tenant
from tests.conftest import RunningGateway, registered_sim, running_gateway
from tests.dashboard.browser_pages import Pages
from wahooks.demo.receiver import Receiver
from wahooks.sim import Simulator

pytestmark = [
    pytest.mark.e2e,  # a real browser
    pytest.mark.skipif(missing_browser() is not None, reason=str(missing_browser())),
]


def sign_in(pages: Pages, key: str) -> None:
    pages.open("/dashboard/overview")  # not signed in: off to the sign-in page
    pages.find("#key")
    assert "/dashboard/sign-in" in pages.driver.current_url
    pages.checked_page("sign-in")
    pages.type("#key", key)
    pages.click("#sign-in")
    pages.find("#sign-out")
    assert pages.driver.current_url.endswith("/dashboard/overview")


def chart_total(pages: Pages) -> int:
    # Read in one script: the live stream replaces the chart element under our feet.
    pages.find("#chart-outcomes")
    script = "return document.getElementById('chart-outcomes').dataset.total"
    return int(pages.driver.execute_script(script) or 0)


def overview_updates_live(pages: Pages, sim: Simulator, receiver: Receiver) -> None:
    before = chart_total(pages)
    stamp = pages.find("#live").get_attribute("data-updated")
    arrived = len(receiver.accepted())
    for n in range(2):
        pages.run(sim.send(sim.user(f"1555123100{n}", "Jane"), "text", body=f"hi {n}"))
    pages.run(receiver.wait_for(lambda r: len(r.accepted()) == arrived + 2))
    # No reload: the stream swaps the charts in.
    pages.wait(lambda _: chart_total(pages) >= before + 2)
    assert pages.find("#live").get_attribute("data-updated") != stamp
    pages.checked_page("overview")


def create_and_test_destination(pages: Pages, receiver: Receiver) -> str:
    pages.open("/dashboard/destinations/new")
    pages.checked_page("destination-new")
    pages.type("#url", receiver.url)
    pages.type("#label", "browser receiver")
    pages.type("#retry_schedule", "0")
    pages.click("#create-destination")
    secret = pages.text("#secret")
    assert 16 <= len(secret) <= 256
    receiver.secret = secret  # the receiver verifies what the dashboard's destination signs
    pages.checked_page("destination-created")
    destination_id = re.search(r"dst_\w+", pages.text("h1"))
    assert destination_id is not None
    receiver.response_body = b'{"answer":"from the browser test receiver"}'
    pages.click("#test-connection")
    assert pages.text("#test-status") == "200"
    assert "from the browser test receiver" in pages.text("#test-response")
    assert "webhook-signature" in pages.text("#test-headers")
    assert '"test": true' in pages.text("#test-payload")
    pages.checked_page("destination-test")
    pages.open("/dashboard/destinations")
    pages.find("#destinations")
    pages.checked_page("destinations")
    receiver.response_body = b'{"ok":true}'
    return destination_id.group(0)


def resend_after_recovery(pages: Pages, sim: Simulator, receiver: Receiver) -> None:
    receiver.always = 503
    accepted = len(receiver.accepted())
    pages.run(sim.send(sim.user("15551239999", "Jo"), "text", body="while down"))
    pages.open("/dashboard/deliveries")
    Select(pages.find("#status")).select_by_value("failed")
    pages.click("#filter")

    def failed_row(_: object) -> bool:
        pages.driver.refresh()
        return bool(pages.driver.find_elements("css selector", "#deliveries tr[data-id] a"))

    pages.wait(failed_row)
    pages.checked_page("deliveries")
    pages.click("#deliveries tr[data-id] a")
    assert pages.text("#delivery-status") == "failed"
    assert "503" in pages.text("#attempts")
    receiver.always = None
    pages.click("#resend")
    assert "Queued again" in pages.text("#action-notice")
    pages.run(receiver.wait_for(lambda r: len(r.accepted()) > accepted))

    def succeeded(_: object) -> bool:
        pages.driver.refresh()  # a GET: the re-send redirected here
        return pages.text("#delivery-status") == "succeeded"

    pages.wait(succeeded)
    assert pages.driver.find_element("css selector", "#attempts").text.count("webhook") == 2
    pages.checked_page("delivery")


def recover_a_range(pages: Pages) -> None:
    pages.open("/dashboard/deliveries")
    since, until = time.gmtime(time.time() - 3600), time.gmtime(time.time() + 60)
    for css, moment in (("#recover-since", since), ("#recover-until", until)):
        value = time.strftime("%Y-%m-%dT%H:%M:%S", moment)  # as datetime-local holds it
        pages.driver.execute_script("arguments[0].value = arguments[1]", pages.find(css), value)
    pages.click("#recover")
    pages.find("#progress")
    assert "/dashboard/deliveries/recoveries/rcv_" in pages.driver.current_url
    # The job runs in the background and the page follows it over its stream (nothing
    # failed here, so it may be done by the first view).
    pages.wait(lambda _: pages.text("#recovery-state") == "done")
    pages.checked_page("recovery")


def another_tenants_destination_is_404(pages: Pages, theirs: str) -> None:
    pages.open(f"/dashboard/destinations/{theirs}")
    assert pages.text("h1").startswith("404")
    # The one console line: the 404 itself.
    pages.checked_page("not-found", allow=(theirs,))


def sign_out(pages: Pages) -> None:
    pages.click("#sign-out")
    pages.find("#key")
    pages.open("/dashboard/overview")
    pages.find("#key")  # the session is gone
    assert "/dashboard/sign-in" in pages.driver.current_url


def use_the_dashboard(
    url: str, key: str, sim: Simulator, receiver: Receiver, theirs: str,
    loop: asyncio.AbstractEventLoop,
) -> None:  # fmt: skip
    with headless_chromium() as driver:
        pages = Pages(driver, url, loop)
        sign_in(pages, key)
        create_and_test_destination(pages, receiver)
        pages.open("/dashboard/overview")
        overview_updates_live(pages, sim, receiver)
        resend_after_recovery(pages, sim, receiver)
        recover_a_range(pages)
        another_tenants_destination_is_404(pages, theirs)
        sign_out(pages)


async def test_the_dashboard_in_a_browser(sqlite_url: str, receiver: Receiver) -> None:
    async with running_gateway(sqlite_url, dashboard_refresh_s=0.3) as gateway:
        await run_pages(gateway, receiver)


async def run_pages(gateway: RunningGateway, receiver: Receiver) -> None:
    other = await other_tenant(gateway)
    status, theirs = await other.api("POST", "/v1/destinations", {"url": receiver.url})
    assert status == 201, theirs
    async with registered_sim(gateway) as sim:
        loop = asyncio.get_running_loop()
        await asyncio.to_thread(
            use_the_dashboard, gateway.url, gateway.api_key, sim, receiver, theirs["id"], loop
        )
