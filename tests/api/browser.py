"""Debian's chromium, headless, driven by selenium through Debian's chromedriver.

Nothing is downloaded: both programs come from apt (.ci/run installs them). The browser
cannot leave the machine: every address but loopback goes to a proxy at 127.0.0.1:9, where
nothing listens, so a page that tried to load something from elsewhere fails to, and the
performance log records the attempt for the test to see.
"""

import json
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from urllib.parse import urlsplit

from selenium import webdriver
from selenium.webdriver.chrome.service import Service

CHROMIUM_NAMES = ("chromium", "chromium-browser")
CHROMEDRIVER_NAMES = ("chromedriver",)
DEAD_PROXY = "127.0.0.1:9"
LOCAL_HOSTS = {"127.0.0.1", "localhost", "[::1]", "::1"}
# Schemes that are not network requests.
LOCAL_SCHEMES = {"data", "blob", "about", "chrome", "devtools"}


def _find(names: tuple[str, ...]) -> str | None:
    """The first of ``names`` on PATH or in /usr/bin (Debian's place for both)."""
    for name in names:
        found = shutil.which(name) or shutil.which(name, path="/usr/bin")
        if found:
            return found
    return None


def missing_browser() -> str | None:
    """Why the browser tests cannot run here, or None when they can."""
    if _find(CHROMIUM_NAMES) is None:
        return "chromium not found (apt-get install chromium chromium-driver)"
    if _find(CHROMEDRIVER_NAMES) is None:
        return "chromedriver not found (apt-get install chromium-driver)"
    return None


@contextmanager
def headless_chromium() -> Iterator[webdriver.Chrome]:
    options = webdriver.ChromeOptions()
    options.binary_location = str(_find(CHROMIUM_NAMES))
    for argument in (
        "--headless=new",
        "--no-sandbox",  # CI runs as root, where chromium's sandbox cannot start
        "--disable-dev-shm-usage",
        "--disable-gpu",
        "--window-size=1400,1000",
        f"--proxy-server=http://{DEAD_PROXY}",
        "--proxy-bypass-list=127.0.0.1;localhost;[::1]",
        # Quiet chromium's own background requests (they would only hit the dead proxy).
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-default-apps",
        "--no-first-run",
        "--disable-domain-reliability",
    ):
        options.add_argument(argument)
    options.set_capability("goog:loggingPrefs", {"performance": "ALL", "browser": "ALL"})
    service = Service(executable_path=str(_find(CHROMEDRIVER_NAMES)))
    driver = webdriver.Chrome(options=options, service=service)
    try:
        yield driver
    finally:
        driver.quit()


@dataclass(frozen=True)
class Request:
    url: str
    blocked: str | None  # why the browser refused to send it (e.g. "csp"), if it did


def requested_urls(driver: webdriver.Chrome) -> list[Request]:
    """Every request the pages made since the last call (the performance log drains)."""
    events = [json.loads(e["message"])["message"] for e in driver.get_log("performance")]
    blocked = {
        str(e["params"]["requestId"]): str(e["params"]["blockedReason"])
        for e in events
        if e.get("method") == "Network.loadingFailed" and e["params"].get("blockedReason")
    }
    return [
        Request(str(e["params"]["request"]["url"]), blocked.get(str(e["params"]["requestId"])))
        for e in events
        if e.get("method") == "Network.requestWillBeSent"
    ]


def off_machine(requests: list[Request]) -> list[str]:
    """The URLs of ``requests`` sent anywhere but this machine (refused ones were not sent)."""
    far = []
    for request in requests:
        parts = urlsplit(request.url)
        if parts.scheme in LOCAL_SCHEMES or request.blocked:
            continue
        if parts.hostname not in LOCAL_HOSTS:
            far.append(request.url)
    return far
