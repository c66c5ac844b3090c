"""The REST API refuses bad input with a 4xx, the JSON error shape and a message naming the
problem, never a 500; keys are checked; one tenant cannot reach another's resources.

Tables of cases run in one test each (one gateway per database), and every broken case is
listed in the failure, not only the first."""

import json
import re
from typing import Any

import aiohttp
import pytest

from tests.api.helpers import (
    RECEIVER_URL,
    Json,
    assert_error,
    number_body,
    other_tenant,
    problem,
)
from tests.conftest import RunningGateway

# (what, body) → expected status, a word the message must contain
Case = tuple[str, Any, int, str | None]


async def _run(gateway: RunningGateway, method: str, path: str, cases: list[Case]) -> list[str]:
    problems = []
    for what, body, expected, mentions in cases:
        if isinstance(body, bytes):
            headers = {"Content-Type": "application/json"}
            status, answer = await gateway.api(method, path, data=body, headers=headers)
        else:
            status, answer = await gateway.api(method, path, body)
        found = problem(what, status, answer, expected, mentions)
        if found:
            problems.append(found)
    return problems


def _without(body: Json, key: str) -> Json:
    return {k: v for k, v in body.items() if k != key}


def _raw(body: Json, **raw_values: str) -> bytes:
    """``body`` as JSON with some values written verbatim (NaN, Infinity: not JSON, but
    Python's parser takes them)."""
    text = json.dumps({**body, **{k: f"@@{k}@@" for k in raw_values}})
    for key, raw in raw_values.items():
        text = text.replace(f'"@@{key}@@"', raw)
    return text.encode()


# --- numbers ----------------------------------------------------------------------------


@pytest.mark.e2e
async def test_number_bodies_are_validated(gateway: RunningGateway) -> None:
    valid = number_body(gateway)
    cases: list[Case] = [
        ("bad JSON", b'{"phoneNumberId": ', 400, "JSON"),
        ("empty body", b"", 400, None),
        ("a list", [valid], 400, None),
        ("a string", "number", 400, None),
        ("unknown field", {**valid, "colour": "green"}, 400, "colour"),
        ("phoneNumberId a number", {**valid, "phoneNumberId": 123}, 400, "phoneNumberId"),
        ("phoneNumberId empty", {**valid, "phoneNumberId": ""}, 400, "phoneNumberId"),
        ("appSecret null", {**valid, "appSecret": None}, 400, "appSecret"),
        ("kind unknown", {**valid, "kind": "shared"}, 400, "kind"),
        ("wabaId too long", {**valid, "wabaId": "1" * 257}, 400, "wabaId"),
        ("graph URL ftp", {**valid, "graphApiBaseUrl": "ftp://graph.example/v21.0"}, 400,
         "graphApiBaseUrl"),
        ("graph URL javascript", {**valid, "graphApiBaseUrl": "javascript:alert(1)"}, 400,
         "graphApiBaseUrl"),
        ("graph URL no host", {**valid, "graphApiBaseUrl": "https:///v21.0"}, 400,
         "graphApiBaseUrl"),
        ("graph URL a number", {**valid, "graphApiBaseUrl": 42}, 400, "graphApiBaseUrl"),
        # It goes in a header: a line break made every Graph API call of the number a 500.
        ("accessToken with CR LF", {**valid, "accessToken": "EAAG\r\nX-Evil: 1"}, 400,
         "accessToken"),
        ("accessToken with a space", {**valid, "accessToken": "EAAG token"}, 400,
         "accessToken"),
    ]  # fmt: skip
    for field in (
        "phoneNumberId",
        "wabaId",
        "displayPhoneNumber",
        "accessToken",
        "appSecret",
        "verifyToken",
    ):
        cases.append((f"{field} missing", _without(valid, field), 400, field))
    problems = await _run(gateway, "POST", "/v1/numbers", cases)
    assert problems == []
    status, listed = await gateway.api("GET", "/v1/numbers")
    assert (status, listed) == (200, [])


async def test_a_number_s_new_access_token_must_fit_in_a_header(gateway: RunningGateway) -> None:
    status, number = await gateway.api("POST", "/v1/numbers", number_body(gateway))
    assert status == 201, number
    path = f"/v1/numbers/{number['id']}"
    status, answer = await gateway.api("PATCH", path, {"accessToken": "EAAG\nX-Evil: 1"})
    assert_error(status, answer, 400, "accessToken")
    status, answer = await gateway.api("POST", path + "/health-check")
    assert status < 500, answer


async def test_a_phone_number_id_registered_twice_is_a_409(gateway: RunningGateway) -> None:
    first = number_body(gateway)
    status, _ = await gateway.api("POST", "/v1/numbers", first)
    assert status == 201
    again = number_body(gateway, phoneNumberId=first["phoneNumberId"])
    status, body = await gateway.api("POST", "/v1/numbers", again)
    assert_error(status, body, 409, first["phoneNumberId"])
    # Another tenant is refused too, but without learning that the number is registered
    # (tests/api/test_number_ownership.py compares that answer with the others).
    other = await other_tenant(gateway)
    status, body = await other.api("POST", "/v1/numbers", again)
    assert_error(status, body, 403)
    assert body["error"]["code"] == "number_not_verified"
    status, listed = await gateway.api("GET", "/v1/numbers")
    assert len(listed) == 1


# --- destinations -----------------------------------------------------------------------


def _destination_cases(valid: Json) -> list[Case]:
    """Invalid values, as a POST body (complete) or a PATCH body (only the field)."""
    return [
        ("bad JSON", b'{"url": "http://x', 400, "JSON"),
        ("a list", [valid], 400, None),
        ("unknown field", {**valid, "filters": ["*"]}, 400, "filters"),
        ("method unknown", {**valid, "method": "email"}, 400, "method"),
        ("method a number", {**valid, "method": 1}, 400, "method"),
        ("events empty", {**valid, "events": []}, 400, "events"),
        ("events wildcard", {**valid, "events": ["*"]}, 400, "events"),
        ("events unknown", {**valid, "events": ["message:in:new", "nope"]}, 400, "nope"),
        ("events a string", {**valid, "events": "message:in:new"}, 400, "events"),
        ("events test", {**valid, "events": ["test"]}, 400, "events"),
        ("url ftp", {**valid, "url": "ftp://example.com/hook"}, 400, "url"),
        ("url javascript", {**valid, "url": "javascript:alert(1)"}, 400, "url"),
        ("url without host", {**valid, "url": "http:///hook"}, 400, "url"),
        ("url without scheme", {**valid, "url": "example.com/hook"}, 400, "url"),
        ("url relative", {**valid, "url": "/hook"}, 400, "url"),
        ("url empty", {**valid, "url": ""}, 400, "url"),
        ("url with CR/LF", {**valid, "url": "https://example.com/a\r\nX-Injected: 1"}, 400, "url"),
        ("url with a tab", {**valid, "url": "https://example.com/a\tb"}, 400, "url"),
        ("url a number", {**valid, "url": 8080}, 400, "url"),
        ("url too long", {**valid, "url": "http://example.com/" + "a" * 2100}, 400, "url"),
        ("secret of 15", {**valid, "secret": "s" * 15}, 400, "secret"),
        ("secret of 257", {**valid, "secret": "s" * 257}, 400, "secret"),
        ("secret a number", {**valid, "secret": 1234567890123456789}, 400, "secret"),
        ("label too long", {**valid, "label": "l" * 101}, 400, "label"),
        ("format unknown", {**valid, "format": "xml"}, 400, "format"),
        ("format a number", {**valid, "format": 1}, 400, "format"),
        ("timeout 0", {**valid, "timeoutSeconds": 0}, 400, "timeoutSeconds"),
        ("timeout 0.5", {**valid, "timeoutSeconds": 0.5}, 400, "timeoutSeconds"),
        ("timeout 31", {**valid, "timeoutSeconds": 31}, 400, "timeoutSeconds"),
        ("timeout negative", {**valid, "timeoutSeconds": -5}, 400, "timeoutSeconds"),
        ("timeout a word", {**valid, "timeoutSeconds": "ten"}, 400, "timeoutSeconds"),
        ("timeout a boolean", {**valid, "timeoutSeconds": True}, 400, "timeoutSeconds"),
        ("timeout a numeric string", {**valid, "timeoutSeconds": "5"}, 400, "timeoutSeconds"),
        ("timeout NaN", _raw(valid, timeoutSeconds="NaN"), 400, "timeoutSeconds"),
        ("timeout Infinity", _raw(valid, timeoutSeconds="Infinity"), 400, "timeoutSeconds"),
        ("schedule empty", {**valid, "retrySchedule": []}, 400, "retrySchedule"),
        ("schedule of 51", {**valid, "retrySchedule": [1] * 51}, 400, "retrySchedule"),
        ("schedule negative", {**valid, "retrySchedule": [0, -1]}, 400, "retrySchedule"),
        ("schedule of a year", {**valid, "retrySchedule": [0, 31_536_000]}, 400,
         "retrySchedule"),
        ("schedule not a list", {**valid, "retrySchedule": "0,5,60"}, 400, "retrySchedule"),
        ("schedule of words", {**valid, "retrySchedule": ["soon"]}, 400, "retrySchedule"),
        # Numbers in the document, so not booleans (false was taken as 0: schemathesis).
        ("schedule of booleans", {**valid, "retrySchedule": [False]}, 400, "retrySchedule"),
        ("schedule NaN", _raw(valid, retrySchedule="[0, NaN]"), 400, "retrySchedule"),
        ("schedule Infinity", _raw(valid, retrySchedule="[0, Infinity]"), 400,
         "retrySchedule"),
        ("numberId unknown", {**valid, "numberId": "num_doesnotexist"}, 400, "numberId"),
        ("numberId a number", {**valid, "numberId": 7}, 400, "numberId"),
    ]  # fmt: skip


async def test_destination_bodies_are_validated(gateway: RunningGateway) -> None:
    valid: Json = {"url": RECEIVER_URL}
    cases = [
        *_destination_cases(valid),
        ("empty body", b"", 400, None),
        ("url missing", {"label": "support"}, 400, "url"),
        ("url null", {"url": None}, 400, "url"),
    ]
    problems = await _run(gateway, "POST", "/v1/destinations", cases)
    assert problems == []
    status, listed = await gateway.api("GET", "/v1/destinations")
    assert (status, listed) == (200, [])


async def test_destination_patches_are_validated(gateway: RunningGateway) -> None:
    status, created = await gateway.api(
        "POST", "/v1/destinations", {"url": RECEIVER_URL, "label": "before"}
    )
    assert status == 201
    path = f"/v1/destinations/{created['id']}"
    cases = _destination_cases({})
    # In a PATCH, null means "no value": refused where a value is required.
    for field in (
        "url", "secret", "format", "timeoutSeconds", "retrySchedule", "enabled", "method",
        "events",
    ):  # fmt: skip
        cases.append((f"{field} null", {field: None}, 400, field))
    cases.append(("enabled a word", {"enabled": "perhaps"}, 400, "enabled"))
    problems = await _run(gateway, "PATCH", path, cases)
    assert problems == []
    # Nothing above changed the destination.
    status, after = await gateway.api("GET", path)
    assert status == 200
    assert {k: v for k, v in after.items() if k != "secret"} == {
        k: v for k, v in created.items() if k != "secret"
    }


async def test_socket_destinations_need_no_url_and_webhooks_keep_one(
    gateway: RunningGateway,
) -> None:
    status, socket = await gateway.api("POST", "/v1/destinations", {"method": "socket"})
    assert status == 201, socket
    assert socket["url"] is None and socket["method"] == "socket"
    assert socket["events"] == ["message:in:new", "message:update", "message:reaction"]
    path = f"/v1/destinations/{socket['id']}"
    status, answer = await gateway.api("PATCH", path, {"method": "webhook"})
    assert_error(status, answer, 400, "url")
    status, answer = await gateway.api("POST", path + "/test")
    assert_error(status, answer, 400, "webhook")
    status, switched = await gateway.api("PATCH", path, {"method": "webhook", "url": RECEIVER_URL})
    assert status == 200 and switched["url"] == RECEIVER_URL, switched
    status, answer = await gateway.api("POST", "/v1/destinations", {"method": "webhook"})
    assert_error(status, answer, 400, "url")


async def test_secrets_of_16_and_256_characters_are_accepted(gateway: RunningGateway) -> None:
    for length in (16, 256):
        secret = "k" * length
        status, body = await gateway.api(
            "POST", "/v1/destinations", {"url": RECEIVER_URL, "secret": secret}
        )
        assert status == 201, body
        assert body["secret"] == secret


# --- bodies too large, unknown things ---------------------------------------------------


async def test_a_body_over_one_megabyte_is_a_413(gateway: RunningGateway) -> None:
    big: Json = {"url": RECEIVER_URL, "label": "x" * 1_000_000}
    for method, path in (("POST", "/v1/destinations"), ("POST", "/v1/numbers")):
        status, body = await gateway.api(method, path, big)
        assert_error(status, body, 413, "bytes")
        assert body["error"]["code"] == "payload_too_large"

    # Without Content-Length (chunked), the limit holds as the body streams in.
    raw = json.dumps(big).encode()

    async def chunks() -> Any:
        for i in range(0, len(raw), 65536):
            yield raw[i : i + 65536]

    headers = {"Authorization": f"Bearer {gateway.api_key}", "Content-Type": "application/json"}
    async with gateway.http.post(
        gateway.url + "/v1/destinations", data=chunks(), headers=headers
    ) as response:
        assert_error(response.status, await response.json(), 413, "bytes")
    status, listed = await gateway.api("GET", "/v1/destinations")
    assert listed == []
    # Just under the limit is an ordinary (here: invalid) request.
    status, body = await gateway.api(
        "POST", "/v1/destinations", {"url": RECEIVER_URL, "label": "x" * 900_000}
    )
    assert_error(status, body, 400, "label")


async def test_unknown_ids_and_routes_are_404(gateway: RunningGateway) -> None:
    requests: list[tuple[str, str, Json | None, str | None]] = [
        ("GET", "/v1/destinations/dst_nope", None, "dst_nope"),
        ("PATCH", "/v1/destinations/dst_nope", {"label": "x"}, "dst_nope"),
        ("DELETE", "/v1/destinations/dst_nope", None, "dst_nope"),
        ("POST", "/v1/destinations/dst_nope/test", None, "dst_nope"),
        ("GET", "/v1/numbers/num_nope", None, "num_nope"),
        ("GET", "/v1/deliveries/dlv_nope", None, "dlv_nope"),
        ("POST", "/v1/deliveries/dlv_nope/resend", None, "dlv_nope"),
        ("GET", "/v1/nothing-here", None, None),
    ]
    problems = []
    for method, path, body, mentions in requests:
        status, answer = await gateway.api(method, path, body)
        if found := problem(f"{method} {path}", status, answer, 404, mentions):
            problems.append(found)
    assert problems == []
    async with gateway.http.delete(gateway.url + "/v1/numbers") as response:
        assert_error(response.status, await response.json(), 405)
        # RFC 9110: a 405 names the methods the resource has.
        allowed = set(response.headers["Allow"].replace(" ", "").split(","))
        assert allowed == {"GET", "POST"}, allowed
    # An empty id is no resource: 404, not a redirect to the collection.
    status, answer = await gateway.api("GET", "/v1/destinations/", allow_redirects=False)
    assert_error(status, answer, 404)


async def test_delivery_list_parameters_are_validated(gateway: RunningGateway) -> None:
    problems = []
    for query, mentions in [
        ("status=lost", "status"),
        ("limit=0", "limit"),
        ("limit=201", "limit"),
        ("limit=many", "limit"),
        ("cursor=abc", "cursor"),
        ("cursor=-1", "cursor"),
        # Digits to str.isdigit, not to int(); past SQLite's and PostgreSQL's 64 bits;
        # past Python's 4300-digit limit for int(): each was a 500 (found by schemathesis).
        ("cursor=%C2%B2", "cursor"),
        ("cursor=9223372036854775808", "cursor"),
        ("cursor=" + "1" * 5000, "cursor"),
    ]:
        status, answer = await gateway.api("GET", f"/v1/deliveries?{query}")
        if found := problem(query, status, answer, 400, mentions):
            problems.append(found)
    assert problems == []
    status, page = await gateway.api("GET", "/v1/deliveries?status=failed&limit=1")
    assert (status, page) == (200, {"data": [], "nextCursor": None})


async def test_a_body_that_is_not_utf8_is_an_invalid_request(gateway: RunningGateway) -> None:
    headers = {"Content-Type": "application/json"}
    status, answer = await gateway.api("POST", "/v1/numbers", data=b"\xc5t\xe3", headers=headers)
    assert_error(status, answer, 400)
    assert answer["error"]["code"] == "invalid_request", answer


# --- API keys ---------------------------------------------------------------------------


async def test_missing_malformed_and_unknown_keys_are_401(gateway: RunningGateway) -> None:
    key = gateway.api_key
    unknown = key[:8] + ("A" if key[8] != "A" else "B") + key[9:]  # well formed, never issued
    same_prefix = key[:-1] + ("A" if key[-1] != "A" else "B")  # right lookup part, wrong key
    attempts: list[tuple[str, dict[str, str], str]] = [
        ("no header", {}, "missing"),
        ("empty bearer", {"Authorization": "Bearer "}, "missing"),
        ("basic scheme", {"Authorization": "Basic dXNlcjpwYXNz"}, "missing"),
        ("key without scheme", {"Authorization": key}, "missing"),
        ("short key", {"Authorization": "Bearer pk_live_abc"}, "malformed"),
        ("long key", {"Authorization": f"Bearer {key}x"}, "malformed"),
        ("other prefix", {"Authorization": "Bearer sk_live_" + key[8:]}, "malformed"),
        ("unknown key", {"Authorization": f"Bearer {unknown}"}, "unknown"),
        ("wrong tail", {"Authorization": f"Bearer {same_prefix}"}, "unknown"),
    ]
    endpoints = [
        ("GET", "/v1/numbers", None),
        ("POST", "/v1/numbers", number_body(gateway)),
        ("GET", "/v1/destinations", None),
        ("POST", "/v1/destinations", {"url": RECEIVER_URL}),
        ("PATCH", "/v1/destinations/dst_x", {"label": "x"}),
        ("GET", "/v1/deliveries", None),
    ]
    problems = []
    for method, path, body in endpoints:
        for what, headers, mentions in attempts:
            async with gateway.http.request(
                method, gateway.url + path, json=body, headers=headers
            ) as response:
                answer = await response.json(content_type=None)
                if found := problem(f"{what} {method} {path}", response.status, answer, 401,
                                    mentions):  # fmt: skip
                    problems.append(found)
                elif response.headers.get("WWW-Authenticate", "").lower() != "bearer":
                    problems.append(f"{what} {method} {path}: no WWW-Authenticate: Bearer")
    assert problems == []
    # Nothing was created by the refused requests.
    assert (await gateway.api("GET", "/v1/numbers"))[1] == []
    assert (await gateway.api("GET", "/v1/destinations"))[1] == []


async def test_health_and_openapi_need_no_key(gateway: RunningGateway) -> None:
    async with gateway.http.get(gateway.url + "/health") as response:
        assert response.status == 200
        assert (await response.json())["status"] == "ok"
    async with gateway.http.get(gateway.url + "/openapi.json") as response:
        assert response.status == 200
        document = await response.json()
    assert document["openapi"].startswith("3.")
    for path in ("/v1/numbers", "/v1/destinations", "/v1/destinations/{destinationId}",
                 "/v1/deliveries", "/health"):  # fmt: skip
        assert path in document["paths"], path
    # The ingress is Meta's, not part of our API document.
    assert "/ingress/meta" not in document["paths"]


# --- tenants are kept apart -------------------------------------------------------------


async def test_another_tenant_cannot_see_or_change_our_resources(gateway: RunningGateway) -> None:
    status, number = await gateway.api("POST", "/v1/numbers", number_body(gateway))
    assert status == 201
    status, destination = await gateway.api(
        "POST", "/v1/destinations", {"url": RECEIVER_URL, "numberId": number["id"]}
    )
    assert status == 201
    other = await other_tenant(gateway)

    # Lists show only one's own.
    assert await other.api("GET", "/v1/numbers") == (200, [])
    assert await other.api("GET", "/v1/destinations") == (200, [])
    assert await other.api("GET", "/v1/deliveries") == (200, {"data": [], "nextCursor": None})
    # Ours are not found, whatever is asked.
    dst = f"/v1/destinations/{destination['id']}"
    for method, path, body in [
        ("GET", f"/v1/numbers/{number['id']}", None),
        ("GET", dst, None),
        ("PATCH", dst, {"url": "http://127.0.0.1:9/stolen", "enabled": False}),
        ("POST", f"{dst}/test", None),
        ("DELETE", dst, None),
    ]:
        status, answer = await other.api(method, path, body)
        assert_error(status, answer, 404)
    # Nor can they point a destination of theirs at our number.
    status, answer = await other.api(
        "POST", "/v1/destinations", {"url": RECEIVER_URL, "numberId": number["id"]}
    )
    assert_error(status, answer, 400, "numberId")
    status, theirs = await other.api("POST", "/v1/destinations", {"url": RECEIVER_URL})
    assert status == 201
    status, answer = await other.api(
        "PATCH", f"/v1/destinations/{theirs['id']}", {"numberId": number["id"]}
    )
    assert_error(status, answer, 400, "numberId")

    # Ours is untouched.
    status, still = await gateway.api("GET", dst)
    assert status == 200
    assert still["url"] == RECEIVER_URL and still["enabled"] is True
    assert still["numberId"] == number["id"]
    # And they stay invisible to us.
    status, answer = await gateway.api("GET", f"/v1/destinations/{theirs['id']}")
    assert_error(status, answer, 404)


async def test_strings_the_database_cannot_hold_are_refused(gateway: RunningGateway) -> None:
    """A NUL character is valid JSON but PostgreSQL text cannot store it."""
    status, body = await gateway.api("POST", "/v1/destinations", {"url": RECEIVER_URL,
                                                                  "label": "a\u0000b"})  # fmt: skip
    assert_error(status, body, 400, "label")
    status, body = await gateway.api("POST", "/v1/numbers", number_body(gateway, wabaId="1\u00002"))
    assert_error(status, body, 400, "wabaId")


# --- NUL characters ---------------------------------------------------------------------


async def test_nul_in_a_path_or_query_is_a_400_on_every_route(gateway: RunningGateway) -> None:
    """PostgreSQL text cannot hold NUL: a lookup by such an id was a 500 there. Every
    operation of the document, with each path parameter or string query parameter NUL."""
    status, document = await gateway.api("GET", "/openapi.json")
    assert status == 200
    requests: list[tuple[str, str]] = [
        ("GET", "/ingress/meta?hub.mode=subscribe&hub.verify_token=%00&hub.challenge=1"),
    ]
    for template, item in document["paths"].items():
        for method, operation in item.items():
            parameters = operation.get("parameters", [])
            path = template
            for parameter in parameters:
                if parameter["in"] == "path":
                    path = path.replace("{" + parameter["name"] + "}", "a%00b")
            if path != template:
                requests.append((method.upper(), path))
            requests += [
                (method.upper(), f"{template}?{p['name']}=%00".replace("{", "").replace("}", ""))
                for p in parameters
                if p["in"] == "query"
            ]
    problems = []
    for method, path in requests:
        status, answer = await gateway.api(method, path, headers={"Connection": "close"})
        if found := problem(f"{method} {path}", status, answer, 400, "NUL"):
            problems.append(found)
    assert problems == [], "\n".join(problems)
    assert len(requests) >= 14


async def test_nul_in_the_socket_query_is_refused_before_the_upgrade(
    gateway: RunningGateway,
) -> None:
    url = gateway.url.replace("http", "ws") + f"/ws?apiKey={gateway.api_key}&conversationId=%00"
    with pytest.raises(aiohttp.WSServerHandshakeError) as refused:
        async with gateway.http.ws_connect(url):
            pass
    assert refused.value.status == 400


async def test_every_cursor_parameter_refuses_what_is_not_a_cursor(
    gateway: RunningGateway,
) -> None:
    """ "²" is a digit to str.isdigit() and not to int(); 5000 digits are past int(): each
    was a 500 on a list's cursor (found by schemathesis). Every list of the document (in
    one of an unknown resource, a 404 will do too)."""
    status, document = await gateway.api("GET", "/openapi.json")
    assert status == 200
    lists = [
        path
        for path, item in document["paths"].items()
        if any(p["name"] == "cursor" for p in item.get("get", {}).get("parameters", []))
    ]
    assert "/v1/deliveries" in lists, lists
    problems = []
    for template in lists:
        path = re.sub(r"\{[^}]+\}", "unknown", template)
        for cursor in ("%C2%B2", "1" * 5000, "9223372036854775808"):
            status, answer = await gateway.api("GET", f"{path}?cursor={cursor}")
            expected = 404 if path != template and status == 404 else 400
            mentions = "cursor" if expected == 400 else None
            what = f"GET {path}?cursor={cursor[:20]}"
            if found := problem(what, status, answer, expected, mentions):
                problems.append(found)
    assert problems == [], "\n".join(problems)
