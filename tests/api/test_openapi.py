"""/openapi.json describes every operation completely: what it does, its tag, its key, its
answer's schema and the errors it can give in the error shape. New routes are covered as
they are added: the tests walk the served document and the app's routes, not a list.

The document does not depend on the database: these run on SQLite only."""

import re
from collections.abc import AsyncIterator
from typing import Any

import pytest
from fastapi.routing import APIRoute
from starlette.routing import Route, WebSocketRoute

from tests.conftest import RunningGateway, running_gateway
from wahooks.app import create_app
from wahooks.config import Settings

ERROR_REF = "#/components/schemas/ErrorBody"
METHODS = ("get", "put", "post", "delete", "patch", "head", "options", "trace")
# Answers without a body: nothing to describe but the status.
BODILESS = {"204", "205", "301", "302", "303", "304", "307", "308"}
# Paths of the API that may go without a key.
PUBLIC_PATHS = {"/health"}

Json = dict[str, Any]


@pytest.fixture
async def document(sqlite_url: str) -> AsyncIterator[Json]:
    async with running_gateway(sqlite_url) as gateway:
        status, body = await gateway.api("GET", "/openapi.json", headers={"Authorization": ""})
        assert status == 200, body
        yield body


def operations(document: Json) -> list[tuple[str, str, Json]]:
    return [
        (method.upper(), path, operation)
        for path, item in document["paths"].items()
        for method, operation in item.items()
        if method in METHODS
    ]


def resolve(document: Json, schema: Json) -> Json:
    while "$ref" in schema:
        name = schema["$ref"].removeprefix("#/components/schemas/")
        schema = document["components"]["schemas"][name]
    return schema


def operation_problems(document: Json, method: str, path: str, operation: Json) -> list[str]:
    """Everything missing from one operation's description, one line each."""
    where = f"{method} {path}"
    found: list[str] = []
    if not operation.get("summary", "").strip():
        found.append(f"{where}: no summary")
    if not operation.get("description", "").strip():
        found.append(f"{where}: no description (the route's docstring)")
    described_tags = {t["name"] for t in document.get("tags", []) if t.get("description")}
    if not operation.get("tags"):
        found.append(f"{where}: no tag")
    found += [
        f"{where}: tag {tag!r} is not described in the document's tags"
        for tag in operation.get("tags", [])
        if tag not in described_tags
    ]
    schemes = document.get("components", {}).get("securitySchemes", {})
    security = operation.get("security", [])
    if path.startswith("/v1") and path not in PUBLIC_PATHS and not security:
        found.append(f"{where}: no security scheme (the bearer key)")
    found += [
        f"{where}: unknown security scheme {name!r}"
        for requirement in security
        for name in requirement
        if name not in schemes
    ]
    responses: Json = operation.get("responses", {})
    successes = [s for s in responses if s.startswith("2")]
    if not successes:
        found.append(f"{where}: no success response")
    for status in successes + [s for s in responses if s.startswith("3")]:
        content = responses[status].get("content", {})
        if status not in BODILESS and not any(media.get("schema") for media in content.values()):
            found.append(f"{where}: response {status} has no schema")
    errors = [s for s in responses if s[0] in "45"]
    takes_input = bool(security or operation.get("parameters") or "requestBody" in operation)
    if takes_input and not any(s.startswith("4") for s in errors):
        found.append(f"{where}: no 4xx error response documented")
    if not errors:  # an operation without input (/health) still says how it fails
        found.append(f"{where}: no error response documented")
    if security and "401" not in responses:
        found.append(f"{where}: takes a key but documents no 401")
    if any(p.get("in") == "path" for p in operation.get("parameters", [])) and (
        "404" not in responses
    ):
        found.append(f"{where}: has a path parameter but documents no 404")
    if "requestBody" in operation and "400" not in responses:
        found.append(f"{where}: takes a body but documents no 400")
    for status in errors:
        schema = responses[status].get("content", {}).get("application/json", {}).get("schema")
        if schema != {"$ref": ERROR_REF}:
            found.append(f"{where}: error {status} is not described by ErrorBody: {schema}")
    return found


async def test_every_operation_is_completely_described(document: Json) -> None:
    listed = operations(document)
    assert len(listed) >= 15, [f"{m} {p}" for m, p, _ in listed]
    problems = [line for m, p, op in listed for line in operation_problems(document, m, p, op)]
    assert not problems, "\n".join(problems)


@pytest.mark.e2e
async def test_the_error_model_is_ours_and_fastapis_422_is_gone(document: Json) -> None:
    schemas = document["components"]["schemas"]
    assert "HTTPValidationError" not in schemas
    error = resolve(document, schemas["ErrorBody"])
    assert error["required"] == ["error"]
    detail = resolve(document, error["properties"]["error"])
    assert set(detail["required"]) == {"code", "message"}
    scheme = document["components"]["securitySchemes"]["apiKey"]
    assert (scheme["type"], scheme["scheme"]) == ("http", "bearer"), scheme
    assert "pk_live_" in scheme["description"], scheme


async def test_routes_that_are_not_operations_are_described_in_the_api_description(
    document: Json, sqlite_url: str
) -> None:
    """The WebSocket and Meta's ingress cannot be OpenAPI operations: the description names
    each of them instead."""
    app = create_app(Settings(database_url=sqlite_url))  # routes only: never started
    description = document["info"]["description"]
    undescribed = []
    for route in app.routes:
        if isinstance(route, APIRoute):
            continue  # an operation, or a docs page
        if isinstance(route, WebSocketRoute | Route) and route.path.startswith(("/ws", "/ingress")):
            if f"{route.path}" not in description:
                undescribed.append(route.path)
    assert {"/ws", "/ingress/meta"} <= {
        r.path for r in app.routes if isinstance(r, Route | WebSocketRoute)
    }
    assert not undescribed, undescribed


def test_the_problem_finder_finds_problems() -> None:
    """The walk above would pass vacuously if it could not see a gap: it sees each kind."""
    document: Json = {"tags": [], "components": {"securitySchemes": {}}}
    bare: Json = {
        "parameters": [{"in": "path", "name": "thing_id"}],
        "requestBody": {},
        "security": [{"nope": []}],
        "responses": {"200": {"description": "ok"}, "422": {"description": "Validation"}},
    }
    problems = "\n".join(operation_problems(document, "POST", "/v1/things/{thing_id}", bare))
    for expected in (
        "no summary",
        "no description",
        "no tag",
        "unknown security scheme 'nope'",
        "response 200 has no schema",
        "documents no 401",
        "documents no 404",
        "documents no 400",
        "error 422 is not described by ErrorBody",
    ):
        assert expected in problems, (expected, problems)
    no_errors: Json = {"responses": {"204": {"description": "done"}}}
    problems = "\n".join(operation_problems(document, "DELETE", "/v1/things", no_errors))
    assert "no error response documented" in problems
    assert "no security scheme" in problems
    only_5xx: Json = {"security": [{"k": []}], "responses": {"503": {}}}
    problems = "\n".join(operation_problems(document, "GET", "/v1/things", only_5xx))
    assert "no 4xx error response documented" in problems


async def test_docs_pages_use_only_this_servers_assets(sqlite_url: str) -> None:
    """No page of the docs names another host: each asset it loads comes from here."""
    async with running_gateway(sqlite_url) as gateway:
        for page in ("/docs", "/redoc"):
            async with gateway.http.get(gateway.url + page) as response:
                status, html = response.status, await response.text()
                policy = response.headers.get("Content-Security-Policy", "")
            assert status == 200, html
            assert policy.startswith("default-src 'self'; script-src 'self' "), policy
            # Swagger UI's page starts it with an inline script: allowed by its hash only.
            assert ("'sha256-" in policy) == (page == "/docs"), policy
            assert "unsafe-inline" not in policy.split("script-src")[1].split(";")[0], policy
            assert "http://" not in html and "https://" not in html, html
            for asset in _assets(html):
                assert asset.startswith("/docs/assets/"), asset
                await _check_served(gateway, asset)


def _assets(html: str) -> list[str]:
    return re.findall(r'(?:src|href)="([^"]+)"', html)


async def _check_served(gateway: RunningGateway, path: str) -> None:
    async with gateway.http.get(gateway.url + path) as response:
        assert response.status == 200, path
        assert len(await response.read()) > 1000, path
