"""Conversations in the dashboard over HTTP, against a real gateway and the simulator: the
list and its filters, the chat (text, a stored image previewed through our own route, a
location, contact cards, a reaction, the status of what we sent), labels and notes, the
24-hour window, replies (text and a file) reaching the simulator; another tenant's
conversation and file are 404 and forms without their token are refused."""

import html
import re
import uuid
from collections.abc import AsyncIterator
from typing import Any

import pytest

from tests.api.helpers import other_tenant
from tests.conftest import RunningGateway, eventually, registered_sim, running_gateway
from tests.dashboard.helpers import DashboardClient, csrf_of
from tests.destinations.helpers import JumpingClock
from wahooks.demo.registration import number_registration
from wahooks.sim import SimSettings, Simulator

MEDIA_LINK = re.compile(r'src="/dashboard/conversations/media/([A-Za-z0-9_-]{21})"')


@pytest.fixture
async def browser(gateway: RunningGateway) -> AsyncIterator[DashboardClient]:
    client = DashboardClient.open(gateway.url)
    await client.sign_in(gateway.api_key)
    yield client
    await client.close()


async def conversation_of(gateway: RunningGateway, wa_id: str) -> Any:
    async def check() -> Any:
        status, body = await gateway.api("GET", "/v1/conversations?limit=200")
        assert status == 200, body
        return next((c for c in body["data"] if c["waId"] == wa_id), None)

    return await eventually(check)


async def messages_of(gateway: RunningGateway, conversation_id: str) -> list[Any]:
    status, body = await gateway.api("GET", f"/v1/conversations/{conversation_id}/messages")
    assert status == 200, body
    return list(body["data"])


async def test_the_chat_shows_every_kind_and_the_window(
    gateway: RunningGateway, sim: Simulator, browser: DashboardClient
) -> None:
    ann = sim.user("15551240001", "Ann Lee")
    assert (await sim.send(ann, "text", body="Where is my order?")).ok
    assert (await sim.send(ann, "image", caption="the box", mime_type="image/png")).ok
    assert (await sim.send(ann, "location", name="Home", address="1 Main St")).ok
    assert (await sim.send(ann, "contacts")).ok
    conv = await conversation_of(gateway, ann.wa_id)

    async def image_stored() -> bool:
        found = await messages_of(gateway, conv["id"])
        return any(m["media"] and not m["media"]["unavailable"] for m in found)

    await eventually(image_stored)
    status, sent = await gateway.api(
        "POST", "/v1/messages/send", {"conversationId": conv["id"], "text": "It ships today"}
    )
    assert status == 200, sent
    assert (await sim.send(ann, "reaction", message_id=sent["messageId"], emoji="👍")).ok

    async def read_status() -> bool:
        found = await messages_of(gateway, conv["id"])
        return any(m["id"] == sent["messageId"] and m["status"] == "read" for m in found)

    await eventually(read_status)
    listed = await browser.get("/dashboard/conversations")
    assert listed.status == 200 and conv["id"] in listed.text and "Ann Lee" in listed.text
    page = await browser.get(f"/dashboard/conversations/{conv['id']}")
    assert page.status == 200, page.text
    text = html.unescape(page.text)
    assert "Where is my order?" in text and "the box" in text
    assert "Home, 1 Main St" in text and 'data-type="contacts"' in text
    assert "Contact: <strong>" in text
    assert "reacted 👍" in text
    assert "It ships today" in text and 'data-status="read"' in text
    assert 'id="window-state">window open' in text
    preview = MEDIA_LINK.search(page.text)
    assert preview is not None
    image = await browser.get(f"/dashboard/conversations/media/{preview.group(1)}")
    assert image.status == 200 and image.headers["Content-Type"].startswith("image/png")
    assert "sandbox" in image.headers["Content-Security-Policy"]


async def test_labels_and_notes_are_edited_through_the_api(
    gateway: RunningGateway, sim: Simulator, browser: DashboardClient
) -> None:
    ann = sim.user("15551240011", "Ann")
    assert (await sim.send(ann, "text", body="hello")).ok
    conv = await conversation_of(gateway, ann.wa_id)
    path = f"/dashboard/conversations/{conv['id']}"
    token = await browser.form_token(path)
    page = await browser.post(path + "/labels", {"labels": "vip, billing"}, csrf=token)
    assert page.status == 200 and "Labels saved" in page.text, page.text
    bad = await browser.post(path + "/labels", {"labels": "x" * 60}, csrf=token)
    assert bad.status == 400 and "labels" in bad.text
    for field, form in (("/notes", {"text": "a\x00b"}), ("/labels", {"labels": "a\x00b"})):
        nul = await browser.post(path + field, form, csrf=token)  # PostgreSQL holds no NUL
        assert nul.status == 400 and "NUL" in nul.text, (field, nul.status)
    page = await browser.post(path + "/notes", {"text": "Call back Monday"}, csrf=token)
    assert page.status == 200 and "Call back Monday" in page.text
    status, detail = await gateway.api("GET", f"/v1/conversations/{conv['id']}")
    assert status == 200 and detail["labels"] == ["vip", "billing"]
    assert [n["text"] for n in detail["notes"]] == ["Call back Monday"]
    note_id = detail["notes"][0]["id"]
    page = await browser.post(f"{path}/notes/{note_id}/delete", {}, csrf=token)
    assert page.status == 200 and "Note deleted" in page.text
    status, detail = await gateway.api("GET", f"/v1/conversations/{conv['id']}")
    assert detail["notes"] == []
    labelled = await browser.get("/dashboard/conversations?label=vip")
    assert conv["id"] in labelled.text
    other = await browser.get("/dashboard/conversations?label=nothing-here")
    assert conv["id"] not in other.text and 'id="no-conversations"' in other.text
    bob = sim.user("15551240012", "Bob")
    assert (await sim.send(bob, "text", body="hi")).ok
    await conversation_of(gateway, bob.wa_id)
    by_phone = await browser.get("/dashboard/conversations?q=%2B1 555-124-0011")
    assert conv["id"] in by_phone.text and "Bob" not in by_phone.text
    found = await browser.get(f"/dashboard/conversations?q={conv['id']}")
    assert found.status == 200 and found.url.endswith(path)


async def test_replies_text_and_a_file_reach_the_simulator(
    gateway: RunningGateway, sim: Simulator, browser: DashboardClient
) -> None:
    ann = sim.user("15551240021", "Ann")
    assert (await sim.send(ann, "text", body="send me the invoice")).ok
    conv = await conversation_of(gateway, ann.wa_id)
    path = f"/dashboard/conversations/{conv['id']}"
    token = await browser.form_token(path)
    page = await browser.post(path + "/reply", {"text": "On its way"}, csrf=token)
    assert page.status == 200 and "Sent (" in page.text, page.text
    assert any(s.type == "text" and s.payload["text"]["body"] == "On its way" for s in sim.sent)
    empty = await browser.post(path + "/reply", {"text": ""}, csrf=token)
    assert empty.status == 400 and "text" in empty.text
    form = {
        "csrf": token,
        "text": "Invoice 1042",
        "file": (b"%PDF-1.4 invoice", "invoice-1042.pdf", "application/pdf"),
    }
    page = await browser.post_multipart(path + "/reply", form)
    assert page.status == 200 and "Sent (" in page.text, page.text
    documents = [s for s in sim.sent if s.type == "document"]
    assert len(documents) == 1
    long_name = {**form, "file": (b"%PDF-1.4", "x" * 241 + ".pdf", "application/pdf")}
    refused = await browser.post_multipart(path + "/reply", long_name)
    assert refused.status == 400 and "fileName" in refused.text, refused.text
    assert len([s for s in sim.sent if s.type == "document"]) == 1
    assert documents[0].payload["document"]["caption"] == "Invoice 1042"
    assert documents[0].payload["document"]["filename"] == "invoice-1042.pdf"


async def test_another_tenants_conversation_and_tokenless_posts_are_refused(
    gateway: RunningGateway, sim: Simulator, browser: DashboardClient
) -> None:
    ann = sim.user("15551240031", "Ann")
    assert (await sim.send(ann, "image", mime_type="image/png")).ok
    conv = await conversation_of(gateway, ann.wa_id)
    path = f"/dashboard/conversations/{conv['id']}"
    page = await eventually(lambda: _with_preview(browser, path))
    media_id = MEDIA_LINK.search(page)
    assert media_id is not None
    token = await browser.form_token(path)
    refused = await browser.post(path + "/reply", {"text": "no token"})
    assert refused.status == 403
    cross = await browser.post(
        path + "/labels", {"labels": "x"}, csrf=token,
        headers={"Sec-Fetch-Site": "cross-site", "Origin": "https://evil.example"},
    )  # fmt: skip
    assert cross.status == 403
    other = await other_tenant(gateway)
    stranger = DashboardClient.open(gateway.url)
    try:
        await stranger.sign_in(other.api_key)
        assert (await stranger.get(path)).status == 404
        assert (await stranger.get(path + "/stream")).status == 404
        assert (
            await stranger.get(f"/dashboard/conversations/media/{media_id.group(1)}")
        ).status == 404
        their_token = await stranger.form_token("/dashboard/conversations")
        for action, form in (("/reply", {"text": "hi"}), ("/labels", {"labels": "x"}),
                             ("/notes", {"text": "x"})):  # fmt: skip
            page = await stranger.post(path + action, form, csrf=their_token)
            assert page.status == 404, (action, page.status)
    finally:
        await stranger.close()
    assert not any(s.type == "text" for s in sim.sent)


async def _with_preview(browser: DashboardClient, path: str) -> str | None:
    page = await browser.get(path)
    return page.text if MEDIA_LINK.search(page.text) else None


async def test_an_app_key_sees_its_numbers_conversations_and_replies_with_a_file(
    gateway: RunningGateway, sim: Simulator
) -> None:
    status, app = await gateway.api("POST", "/v1/apps", {"name": "Bot", "slug": "bot"})
    assert status == 201, app
    settings = SimSettings(
        gateway_url=gateway.ingress_url,
        phone_number_id=str(10**14 + uuid.uuid4().int % 10**13),
    )
    async with Simulator(settings) as app_sim:
        body = {**number_registration(app_sim), "appId": app["id"]}
        status, number = await gateway.api("POST", "/v1/numbers", body)
        assert status == 201, number
        assert (await app_sim.send(app_sim.user("15551240041", "To App"), "text")).ok
        assert (await sim.send(sim.user("15551240042", "To Tenant"), "text")).ok
        mine = await conversation_of(gateway, "15551240041")
        theirs = await conversation_of(gateway, "15551240042")
        client = DashboardClient.open(gateway.url)
        try:
            await client.sign_in(app["apiKey"])
            listed = await client.get("/dashboard/conversations")
            assert mine["id"] in listed.text and theirs["id"] not in listed.text
            assert (await client.get(f"/dashboard/conversations/{theirs['id']}")).status == 404
            path = f"/dashboard/conversations/{mine['id']}"
            form = {
                "csrf": await client.form_token(path),
                "text": "Your receipt",
                "file": (b"receipt bytes", "receipt.pdf", "application/pdf"),
            }
            page = await client.post_multipart(path + "/reply", form)
            assert page.status == 200 and "Sent (" in page.text, page.text
        finally:
            await client.close()
        documents = [s for s in app_sim.sent if s.type == "document"]
        assert len(documents) == 1 and documents[0].payload["document"]["caption"] == "Your receipt"
        assert documents[0].payload["document"]["filename"] == "receipt.pdf"
    assert not [s for s in sim.sent if s.type == "document"]


async def test_the_window_closes_after_24_hours_and_a_reply_is_refused_on_the_page(
    database_url: str,
) -> None:
    clock = JumpingClock()
    async with (
        running_gateway(database_url, clock=clock) as gateway,
        registered_sim(gateway) as sim,
    ):
        ann = sim.user("15551240051", "Ann")
        assert (await sim.send(ann, "text", body="hello")).ok
        conv = await conversation_of(gateway, ann.wa_id)
        path = f"/dashboard/conversations/{conv['id']}"
        clock.jump(25 * 3600)
        client = DashboardClient.open(gateway.url)
        try:
            await client.sign_in(gateway.api_key)  # a session made now, on the moved clock
            page = await client.get(path)
            assert 'id="window-state">window closed' in page.text, page.text
            listed = await client.get("/dashboard/conversations")
            assert "closed" in listed.text
            token = csrf_of(page.text)
            refused = await client.post(path + "/reply", {"text": "too late"}, csrf=token)
            assert refused.status == 422, refused.text
            assert 'id="action-error"' in refused.text and "too late" in refused.text
        finally:
            await client.close()
        assert not [s for s in sim.sent if s.type == "text"]
