"""Driving the dashboard in Debian's chromium (tests/api/browser.py) from a test's thread:
each page checked for console errors and requests leaving the machine, and saved as a
screenshot under tests/dashboard/screenshots/ for a person to look at."""

import asyncio
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Any, TypeVar

from selenium import webdriver
from selenium.common.exceptions import StaleElementReferenceException
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webelement import WebElement
from selenium.webdriver.support.ui import WebDriverWait

from tests.api.browser import off_machine, requested_urls

SCREENSHOTS = Path(__file__).parent / "screenshots"
WAIT_S = 30
T = TypeVar("T")


class Pages:
    """One browser on one gateway; ``run`` does async work on the test's event loop."""

    def __init__(self, driver: webdriver.Chrome, url: str, loop: asyncio.AbstractEventLoop):
        self.driver, self.url, self.loop = driver, url, loop
        SCREENSHOTS.mkdir(exist_ok=True)

    def run(self, coroutine: Coroutine[Any, Any, T]) -> T:
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop).result(timeout=WAIT_S)

    def open(self, path: str) -> None:
        self.driver.get(self.url + path)

    def find(self, css: str) -> WebElement:
        return self.wait(lambda d: d.find_element(By.CSS_SELECTOR, css))

    def wait(self, until: Callable[[webdriver.Chrome], Any]) -> Any:
        return WebDriverWait(self.driver, WAIT_S, ignored_exceptions=(Exception,)).until(until)

    def click(self, css: str) -> None:
        element = self.find(css)
        self.driver.execute_script("arguments[0].scrollIntoView({block: 'center'});", element)
        element.click()

    def type(self, css: str, text: str) -> None:
        element = self.find(css)
        element.clear()
        element.send_keys(text)

    def text(self, css: str) -> str:
        """The element's text; found again if the page replaced it meanwhile (a form's
        answer still loading, a live update)."""
        found: list[str] = []

        def read(_: object) -> bool:
            try:
                found.append(str(self.find(css).text))
            except StaleElementReferenceException:
                return False
            return True

        self.wait(read)
        return found[-1]

    def checked_page(self, name: str, *, allow: tuple[str, ...] = ()) -> None:
        """The page so far: no console error (but those naming one of ``allow``), nothing
        requested off this machine, nothing refused by the CSP; saved as ``name``.png."""
        self.wait(lambda d: d.execute_script("return document.readyState") == "complete")
        self.driver.save_screenshot(str(SCREENSHOTS / f"{name}.png"))
        errors = [
            e["message"]
            for e in self.driver.get_log("browser")
            if e["level"] == "SEVERE" and not any(a in e["message"] for a in allow)
        ]
        assert errors == [], (name, errors)
        requested = requested_urls(self.driver)
        assert off_machine(requested) == [], name
        assert [r for r in requested if r.blocked] == [], name
