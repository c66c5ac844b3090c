"""Registering a number proves it: the access token reads the phone-number node and finds it
in its WABA's phone numbers, through the number's Graph API (here a simulator, which answers
each token with its own rights as Meta does). A refusal never tells a tenant that another
tenant has the number."""

import uuid

from tests.api.helpers import Json, assert_error, number_body, other_tenant
from tests.conftest import RunningGateway, running_gateway
from tests.media.helpers import FixedResolver


def _fresh_id() -> str:
    return str(10**14 + uuid.uuid4().int % 10**13)


async def _numbers(gateway: RunningGateway) -> list[Json]:
    status, listed = await gateway.operator("GET", "/v1/numbers")
    assert status == 200, listed
    return list(listed)


async def test_a_token_that_cannot_read_the_number_or_its_waba_registers_nothing(
    gateway: RunningGateway,
) -> None:
    graph = gateway.graph
    # The number exists at "Meta", but this token was granted another WABA.
    theirs = number_body(gateway)
    mine = number_body(gateway, wabaId="200000000000777")
    attempt = {**mine, "phoneNumberId": theirs["phoneNumberId"]}
    status, body = await gateway.api("POST", "/v1/numbers", attempt)
    assert_error(status, body, 403, theirs["phoneNumberId"])
    assert body["error"]["code"] == "number_not_verified"
    refusal = body
    # A number Meta does not know, with a valid token: the same answer (but for the id).
    unknown = {**mine, "phoneNumberId": _fresh_id()}
    status, body = await gateway.api("POST", "/v1/numbers", unknown)
    assert status == 403
    assert body == _with_id(refusal, theirs["phoneNumberId"], unknown["phoneNumberId"])
    # The token reads the number, but it is not in the WABA named: refused alike.
    elsewhere = {**mine, "wabaId": "200000000000001"}
    graph.add_number("100000000000042", waba_id="200000000000001", access_token="x")
    status, body = await gateway.api("POST", "/v1/numbers", elsewhere)
    assert_error(status, body, 403)
    assert body["error"]["code"] == "number_not_verified"
    assert await _numbers(gateway) == []
    # Its own number and WABA: registered.
    status, created = await gateway.api("POST", "/v1/numbers", mine)
    assert status == 201, created


def _with_id(body: Json, old: str, new: str) -> Json:
    message = body["error"]["message"].replace(old, new)
    return {"error": {**body["error"], "message": message}}


async def test_another_tenant_s_number_is_refused_as_a_number_it_cannot_read(
    gateway: RunningGateway,
) -> None:
    """The squatter's answers before and after the owner registers, with a token that does
    not own the number and with one that does (two tenants given the same token), are one
    and the same: status and body."""
    owner_body = number_body(gateway)
    pnid = owner_body["phoneNumberId"]
    squatter = await other_tenant(gateway)
    foreign_token = {**owner_body, "accessToken": "EAAG-" + uuid.uuid4().hex}
    token = foreign_token["accessToken"]
    gateway.graph.add_number(_fresh_id(), waba_id="200000000000555", access_token=token)
    before = await squatter.api("POST", "/v1/numbers", foreign_token)
    assert before[0] == 403 and before[1]["error"]["code"] == "number_not_verified", before

    status, owned = await gateway.api("POST", "/v1/numbers", owner_body)
    assert status == 201, owned
    after = await squatter.api("POST", "/v1/numbers", foreign_token)
    with_the_owner_s_token = await squatter.api("POST", "/v1/numbers", owner_body)
    assert after == before
    assert with_the_owner_s_token == before
    # The owner itself may be told plainly.
    status, body = await gateway.api("POST", "/v1/numbers", owner_body)
    assert_error(status, body, 409, pnid)
    assert [n["id"] for n in await _numbers(gateway)] == [owned["id"]]
    status, listed = await squatter.api("GET", "/v1/numbers")
    assert (status, listed) == (200, [])


async def test_meta_refusing_the_token_or_not_answering_is_said_plainly(
    gateway: RunningGateway,
) -> None:
    body = number_body(gateway)
    status, answer = await gateway.api(
        "POST", "/v1/numbers", {**body, "accessToken": "never-issued-by-meta"}
    )
    assert_error(status, answer, 400, "access token")
    assert answer["error"]["code"] == "token_refused"
    gateway.graph.set_token_valid(False)  # every token expired at once
    status, answer = await gateway.api("POST", "/v1/numbers", body)
    assert_error(status, answer, 400, "session has expired")
    gateway.graph.set_token_valid(True)
    gateway.graph.fail_next_number_reads(1, 503)
    status, answer = await gateway.api("POST", "/v1/numbers", body)
    assert status == 502 and answer["error"]["code"] == "graph_unavailable", answer
    closed = {**body, "graphApiBaseUrl": "http://127.0.0.1:9/v21.0"}  # nothing listens
    status, answer = await gateway.api("POST", "/v1/numbers", closed)
    assert status == 502 and answer["error"]["code"] == "graph_unavailable", answer
    assert await _numbers(gateway) == []
    status, created = await gateway.api("POST", "/v1/numbers", body)  # Meta is back
    assert status == 201, created


async def test_the_default_graph_url_is_meta_s_and_the_proof_goes_there(sqlite_url: str) -> None:
    """Without graphApiBaseUrl the number is Meta's own API's: the proof asks
    graph.facebook.com (of a resolver that answers nothing, so no test reaches Meta)."""
    resolver = FixedResolver({})
    async with running_gateway(sqlite_url, resolver=resolver) as gateway:
        body = number_body(gateway, kind="pool")
        del body["graphApiBaseUrl"]
        status, answer = await gateway.operator("POST", "/v1/numbers", body)
        assert status == 502 and answer["error"]["code"] == "graph_unavailable", answer
        assert "https://graph.facebook.com/v21.0" in answer["error"]["message"]
        assert resolver.lookups == {"graph.facebook.com": 1}
        assert await _numbers(gateway) == []
