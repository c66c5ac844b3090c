"""/docs and /redoc in a real browser: they render every operation of /openapi.json, Swagger
UI's "Try it out" reaches the API with the key given in "Authorize", and no request leaves
this machine (the pages work on a closed network).

The pages do not depend on the database: SQLite only."""

import asyncio
from collections.abc import Callable
from typing import Any

import pytest
from selenium import webdriver
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webelement import WebElement
from selenium.webdriver.support.ui import WebDriverWait

from tests.api.browser import headless_chromium, missing_browser, off_machine, requested_urls
from tests.conftest import running_gateway

pytestmark = [
    pytest.mark.e2e,  # a real browser
    pytest.mark.skipif(missing_browser() is not None, reason=str(missing_browser())),
]
WAIT_S = 30
METHODS = ("get", "put", "post", "delete", "patch")


def operations_of(document: dict[str, Any]) -> set[tuple[str, str]]:
    return {
        (method.upper(), path)
        for path, item in document["paths"].items()
        for method in item
        if method in METHODS
    }


def wait_for(driver: webdriver.Chrome, find: Callable[[webdriver.Chrome], Any]) -> Any:
    return WebDriverWait(driver, WAIT_S).until(find)


def rendered_operations(driver: webdriver.Chrome) -> set[tuple[str, str]]:
    blocks = driver.find_elements(By.CSS_SELECTOR, ".opblock")
    return {
        (
            block.find_element(By.CSS_SELECTOR, ".opblock-summary-method").text,
            str(block.find_element(By.CSS_SELECTOR, ".opblock-summary-path").get_attribute(
                "data-path"
            )),
        )
        for block in blocks
    }  # fmt: skip


def operation_block(driver: webdriver.Chrome, method: str, path: str) -> WebElement:
    return driver.find_element(
        By.XPATH,
        f"//div[contains(@class, 'opblock-{method.lower()}')]"
        f"[.//*[contains(@class, 'opblock-summary-path') and @data-path='{path}']]",
    )


def click(driver: webdriver.Chrome, element: WebElement) -> None:
    """Scrolled to the middle first: Swagger UI's sticky parts cover an element at an edge."""
    driver.execute_script("arguments[0].scrollIntoView({block: 'center'});", element)
    element.click()


def try_it_out(driver: webdriver.Chrome, method: str, path: str) -> str:
    """Execute an operation without parameters from its block; the status it shows."""
    block = operation_block(driver, method, path)
    click(driver, block.find_element(By.CSS_SELECTOR, ".opblock-summary-control"))
    click(
        driver, wait_for(driver, lambda _: block.find_elements(By.CSS_SELECTOR, ".try-out__btn"))[0]
    )
    click(driver, wait_for(driver, lambda _: block.find_elements(By.CSS_SELECTOR, ".execute"))[0])
    cell = ".live-responses-table tbody .response-col_status"
    status = wait_for(driver, lambda _: block.find_elements(By.CSS_SELECTOR, cell))
    return str(status[0].text.strip())


def authorize(driver: webdriver.Chrome, key: str) -> None:
    click(driver, driver.find_element(By.CSS_SELECTOR, ".auth-wrapper .authorize"))
    field = wait_for(driver, lambda d: d.find_elements(By.CSS_SELECTOR, ".modal-ux input"))[0]
    field.send_keys(key)
    click(driver, driver.find_element(By.CSS_SELECTOR, ".modal-ux .auth-btn-wrapper .authorize"))
    click(driver, driver.find_element(By.CSS_SELECTOR, ".modal-ux .close-modal"))


def use_swagger_ui(url: str, key: str, document: dict[str, Any]) -> None:
    with headless_chromium() as driver:
        driver.get(url + "/docs")
        expected = operations_of(document)
        wait_for(driver, lambda d: rendered_operations(d) >= expected)
        assert rendered_operations(driver) == expected
        severe = [e for e in driver.get_log("browser") if e["level"] == "SEVERE"]
        assert severe == [], severe
        summary = operation_block(driver, "POST", "/v1/destinations").text
        assert "Create a destination" in summary, summary
        # Try it out, first without a key, then with it: the page talks to this gateway.
        assert try_it_out(driver, "GET", "/v1/numbers") == "401"
        driver.get(url + "/docs")
        wait_for(driver, lambda d: rendered_operations(d) >= expected)
        authorize(driver, key)
        assert try_it_out(driver, "GET", "/v1/numbers") == "200"
        requested = requested_urls(driver)
        urls = [r.url for r in requested]
        assert any(u.endswith("/docs/assets/swagger-ui-bundle.js") for u in urls), urls
        assert url + "/v1/numbers" in urls, urls
        assert off_machine(requested) == []
        assert [r for r in requested if r.blocked] == []  # nothing even tried
        errors = [e["message"] for e in driver.get_log("browser") if e["level"] == "SEVERE"]
        # The one error: the call made without a key, as intended.
        assert all("/v1/numbers" in e and "401" in e for e in errors), errors


def use_redoc(url: str, document: dict[str, Any]) -> None:
    with headless_chromium() as driver:
        driver.get(url + "/redoc")
        summaries = [op["summary"] for item in document["paths"].values() for op in item.values()]
        wait_for(driver, lambda d: "Create a destination" in d.page_source)
        page = driver.find_element(By.TAG_NAME, "body").text
        missing = [s for s in summaries if s not in driver.page_source]
        assert missing == [], missing
        assert "Self-hosted WhatsApp gateway" in page
        requested = requested_urls(driver)
        assert off_machine(requested) == []
        # ReDoc's sidebar asks for a logo from its CDN (no option turns it off); the page's
        # Content-Security-Policy makes the browser refuse it before any request is made.
        for request in requested:
            if request.blocked:
                assert request.blocked == "csp", request
                assert request.url.startswith("https://cdn.redoc.ly/"), request
        for entry in driver.get_log("browser"):
            if entry["level"] == "SEVERE":
                assert "violates the following Content Security Policy" in entry["message"]
                assert "cdn.redoc.ly" in entry["message"], entry


async def test_swagger_ui_renders_every_operation_and_tries_them_offline(
    sqlite_url: str,
) -> None:
    async with running_gateway(sqlite_url) as gateway:
        status, document = await gateway.api("GET", "/openapi.json")
        assert status == 200
        # The browser blocks its thread; the gateway answers it from this event loop.
        await asyncio.to_thread(use_swagger_ui, gateway.url, gateway.api_key, document)


async def test_redoc_renders_every_operation_offline(sqlite_url: str) -> None:
    async with running_gateway(sqlite_url) as gateway:
        status, document = await gateway.api("GET", "/openapi.json")
        assert status == 200
        await asyncio.to_thread(use_redoc, gateway.url, document)
