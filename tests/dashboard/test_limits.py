"""The dashboard's request bodies are limited as the API's are: a form past
WAHOOKS_API_MAX_BODY_BYTES is refused (413) before it is parsed, told by its length or
counted as it streams, the sign-in form (read before anyone is known) included; a reply's
file may be as large as an upload to POST /v1/media."""

from collections.abc import AsyncIterator

from tests.conftest import RunningGateway, eventually
from tests.dashboard.helpers import DashboardClient
from wahooks.sim import Simulator

LIMIT = 1_000_000  # the default WAHOOKS_API_MAX_BODY_BYTES


async def _chunks(total: int) -> AsyncIterator[bytes]:
    sent = 0
    while sent < total:
        yield b"k=" + b"x" * 65534
        sent += 65536


async def test_a_form_past_the_limit_is_refused_before_it_is_read(
    gateway: RunningGateway,
) -> None:
    client = DashboardClient.open(gateway.url)
    try:
        big = {"key": "x" * (LIMIT + 1)}
        page = await client.post("/dashboard/sign-in", big)
        assert page.status == 413 and "payload_too_large" in page.text
        headers = {"Origin": gateway.url, "Sec-Fetch-Site": "same-origin",
                   "Content-Type": "application/x-www-form-urlencoded"}  # fmt: skip
        async with client.http.post(
            gateway.url + "/dashboard/sign-in", data=_chunks(2 * LIMIT), headers=headers
        ) as streamed:  # no Content-Length: counted as it arrives
            assert streamed.status == 413
        await client.sign_in(gateway.api_key)  # a form of ordinary size still works
    finally:
        await client.close()


async def test_a_reply_takes_a_file_past_the_form_limit(
    gateway: RunningGateway, sim: Simulator
) -> None:
    ann = sim.user("15551280001", "Ann")
    assert (await sim.send(ann, "text", body="the contract, please")).ok

    async def conversation() -> str | None:
        status, body = await gateway.api("GET", "/v1/conversations")
        return body["data"][0]["id"] if status == 200 and body["data"] else None

    conversation_id = await eventually(conversation)
    client = DashboardClient.open(gateway.url)
    try:
        await client.sign_in(gateway.api_key)
        path = f"/dashboard/conversations/{conversation_id}"
        form = {
            "csrf": await client.form_token(path),
            "file": (b"%PDF" + b"0" * (2 * LIMIT), "contract.pdf", "application/pdf"),
        }
        page = await client.post_multipart(path + "/reply", form)
        assert page.status == 200 and "Sent (" in page.text, page.text[:500]
    finally:
        await client.close()
    assert [s.payload["document"]["filename"] for s in sim.sent] == ["contract.pdf"]
