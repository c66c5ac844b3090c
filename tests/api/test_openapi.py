"""/openapi.json describes every operation completely: what it does, its tag, its key, its
answer's schema and the errors it can give in the error shape. New routes are covered as
they are added: the tests walk the served document and the app's routes, not a list.

The document does not depend on the database: these run on SQLite only."""

import re
from collections.abc import AsyncIterator
from typing import Any

import jsonschema
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
# The signed media link: its signature, not a key, is the permission.
PUBLIC_PATHS = {"/health", "/v1/media/file/{mediaId}"}

Json = dict[str, Any]

# operationIds are lowerCamelCase and start with a verb (listDeliveries, getDelivery,
# rotateDestinationSecret): stable names for generated clients, unlike FastAPI's
# list_deliveries_v1_deliveries_get, which changes with the path.
LOWER_CAMEL = re.compile(r"^[a-z]+(?:[A-Z][a-z0-9]*)*$")
VERBS = {
    "add", "check", "create", "deactivate", "delete", "download", "get", "list", "mark", "recover",
    "regenerate", "remove", "replace", "resend", "revoke", "rotate", "send", "test", "update",
    "upload",
}  # fmt: skip
PLACEHOLDER = re.compile(r"{([^}]*)}")


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
    found += naming_problems(where, path, operation)
    found += example_problems(document, where, operation)
    return found


def naming_problems(where: str, path: str, operation: Json) -> list[str]:
    """The operationId is explicit, lowerCamelCase and verb-first; path parameters are
    lowerCamelCase (one style across the document: {destinationId}, {mediaId})."""
    found: list[str] = []
    operation_id = operation.get("operationId", "")
    if not operation_id:
        found.append(f"{where}: no operationId")
    elif not LOWER_CAMEL.match(operation_id):
        found.append(f"{where}: operationId {operation_id!r} is not lowerCamelCase (generated?)")
    elif re.split("(?=[A-Z])", operation_id)[0] not in VERBS:
        found.append(f"{where}: operationId {operation_id!r} does not start with a verb")
    names = set(PLACEHOLDER.findall(path)) | {
        p["name"] for p in operation.get("parameters", []) if p.get("in") == "path"
    }
    found += [
        f"{where}: path parameter {name!r} is not lowerCamelCase"
        for name in sorted(names)
        if not LOWER_CAMEL.match(name)
    ]
    return found


def _schema_examples(document: Json, schema: Json) -> list[Any]:
    """The examples a body's schema carries, through $ref and a nullable anyOf."""
    schema = resolve(document, schema)
    found = list(schema.get("examples", [])) + ([schema["example"]] if "example" in schema else [])
    for choice in schema.get("anyOf", []):
        found += _schema_examples(document, choice)
    return found


def example_problems(document: Json, where: str, operation: Json) -> list[str]:
    """Every request body shows an example, and each JSON example is valid for its schema
    (an example the server would refuse teaches the wrong thing)."""
    found: list[str] = []
    for media_type, content in operation.get("requestBody", {}).get("content", {}).items():
        schema = content.get("schema", {})
        listed = _schema_examples(document, schema)
        if "example" in content:
            listed.append(content["example"])
        listed += [e.get("value") for e in content.get("examples", {}).values()]
        if not listed:
            found.append(f"{where}: request body ({media_type}) has no example")
        if media_type != "application/json":
            continue
        rooted = {**schema, "components": document.get("components", {})}
        for example in listed:
            error = jsonschema.exceptions.best_match(
                jsonschema.Draft202012Validator(rooted).iter_errors(example)
            )
            if error is not None:
                found.append(f"{where}: example {example!r} does not fit: {error.message}")
    return found


def document_problems(document: Json) -> list[str]:
    """What no single operation shows: an operationId given twice."""
    seen: dict[str, str] = {}
    found: list[str] = []
    for method, path, operation in operations(document):
        operation_id = operation.get("operationId")
        if operation_id in seen:
            found.append(
                f"{method} {path}: operationId {operation_id!r} is {seen[operation_id]}'s too"
            )
        elif operation_id:
            seen[operation_id] = f"{method} {path}"
    return found


async def test_every_operation_is_completely_described(document: Json) -> None:
    listed = operations(document)
    assert len(listed) >= 15, [f"{m} {p}" for m, p, _ in listed]
    problems = [line for m, p, op in listed for line in operation_problems(document, m, p, op)]
    problems += document_problems(document)
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
        "operationId": "post_thing_v1_things__thing_id__post",
        "parameters": [{"in": "path", "name": "thing_id"}],
        "requestBody": {"content": {"application/json": {"schema": {"type": "object"}}}},
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
        "is not lowerCamelCase (generated?)",
        "path parameter 'thing_id' is not lowerCamelCase",
        "request body (application/json) has no example",
    ):
        assert expected in problems, (expected, problems)
    nouns: Json = {"operationId": "thingCreate", "responses": {}}
    problems = "\n".join(operation_problems(document, "POST", "/v1/things/{thingId}", nouns))
    assert "does not start with a verb" in problems
    assert "path parameter" not in problems
    bad_example: Json = {
        "requestBody": {
            "content": {
                "application/json": {
                    "schema": {"type": "object", "required": ["name"], "examples": [{}]}
                }
            }
        },
        "responses": {},
    }
    problems = "\n".join(operation_problems(document, "POST", "/v1/things", bad_example))
    assert "does not fit: 'name' is a required property" in problems
    assert "no operationId" in problems
    twice: Json = {"paths": {p: {"get": {"operationId": "getThing"}} for p in ("/a", "/b")}}
    assert document_problems(twice) == ["GET /b: operationId 'getThing' is GET /a's too"]
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
