"""The ``whatspie`` format, field by field against seed 003 (copied to
tests/fixtures/formats/whatspie/), and the reply a Whatspie handler returns in its response.

The seed's five webhook examples are rendered back from the Meta message they stand for; the
types the seed does not show, the skips, and the rules follow; then the seed's five reply
examples are parsed, sent through the Graph API client to the simulator, and bad replies
give clear errors. An end-to-end test checks what a real receiver gets from the gateway.
"""

import asyncio
import logging
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import aiohttp
import orjson
import pytest

from tests.conftest import RunningGateway, add_destination, eventually, gateway_with_sim
from tests.formats.seeds import FIXTURES, seed_json
from tests.send.files import FileServer
from wahooks.delivery.webhook import REPLY_MAX_BYTES
from wahooks.demo.receiver import Arrival, Receiver
from wahooks.formats import FORMATS, SPECS, SkipEvent, expresses, whatspie
from wahooks.formats.whatspie import MAX_REPLY_MESSAGES, Reply, parse_reply
from wahooks.models import EventType, MediaInfo, MessageEvent
from wahooks.send.graph import GraphClient
from wahooks.sim import Simulator, changes
from wahooks.sim.graph import SentMessage
from wahooks.sim.media import MediaStore
from wahooks.sim.messages import MessageBuilder, SimUser

SEED = FIXTURES / "whatspie" / "seed_003_81515d6b33642234.txt"
SEED_OBJECTS = seed_json(SEED)
SEED_TEXT, SEED_DOCUMENT, SEED_IMAGE, SEED_CONTACT, SEED_AUDIO = SEED_OBJECTS[:5]
REPLY_TEXT, REPLY_IMAGE, REPLY_DOCUMENT, REPLY_REACTION, REPLY_MANY = SEED_OBJECTS[5:10]
BASE = "https://gw.example.com"
MEDIA_ID = "aBcDeFgHiJkLmNoPqRs1t"
# The signed link the dispatcher puts on the file (media/links.py).
LINK = f"{BASE}/v1/media/file/{MEDIA_ID}?expires=1750000000&signature=abc"


def render(event: MessageEvent) -> Any:
    body = whatspie.render(event)
    assert isinstance(body, bytes)
    return orjson.loads(body)


def event_for(seed: Any, kind: str, content: Any, **overrides: Any) -> MessageEvent:
    """The Meta message a seed example stands for."""
    item = {"from": seed["from"], "id": seed["message_id"], "timestamp": str(seed["timestamp"]),
            "type": kind, kind: content}  # fmt: skip
    fields: dict[str, Any] = {
        "event_type": "message:in:new",
        "number_id": "num_1",
        "display_phone_number": "15550000001",
        "phone_number_id": "106540352242922",
        "waba_id": "102290129340398",
        "conversation_id": "conv_1",
        "label": None,
        "item": item,
        "contact": {
            "profile": {"name": seed["from_user"]["name"]},
            "wa_id": seed["from"],
            "user_id": "US.1",
        },
        "wa_id": seed["from"],
    }
    fields.update(overrides)
    return MessageEvent(**fields)


def media(mime: str, file_name: str | None = None) -> MediaInfo:
    return MediaInfo(
        media_id=MEDIA_ID, mime_type=mime, byte_size=1234, file_name=file_name, url=LINK
    )


def same(got: Any, expected: Any) -> None:
    """Equal, with keys in the seed's order at every level."""
    assert got == expected
    if isinstance(expected, dict):
        assert list(got) == list(expected)
        for key in expected:
            same(got[key], expected[key])
    elif isinstance(expected, list):
        for a, b in zip(got, expected, strict=True):
            same(a, b)


# --- the seed's webhook examples, reproduced -------------------------------------------------


def test_the_seed_has_five_webhook_and_five_reply_examples() -> None:
    assert len(SEED_OBJECTS) == 10
    assert "message" in SEED_TEXT and "type" not in SEED_TEXT
    assert [SEED_DOCUMENT["type"], SEED_IMAGE["type"], SEED_CONTACT["type"],
            SEED_AUDIO["type"]] == ["documentMessage", "imageMessage", "contactMessage",
                                    "audioMessage"]  # fmt: skip


def test_text_is_the_seed_exactly() -> None:
    ev = event_for(SEED_TEXT, "text", {"body": SEED_TEXT["message"]})
    same(render(ev), SEED_TEXT)


def test_document_is_the_seed_with_our_signed_link() -> None:
    content = {"caption": SEED_DOCUMENT["file"]["caption"], "mime_type": "application/pdf",
               "sha256": "abc", "id": "1234567890",
               "filename": SEED_DOCUMENT["file"]["fileName"]}  # fmt: skip
    ev = event_for(SEED_DOCUMENT, "document", content, media=media("application/pdf"))
    expected = {**SEED_DOCUMENT, "file": {**SEED_DOCUMENT["file"],
                "url": LINK}}  # fmt: skip
    same(render(ev), expected)


def test_image_is_the_seed_with_our_signed_link() -> None:
    content = {"caption": SEED_IMAGE["file"]["caption"], "mime_type": "image/jpeg",
               "sha256": "abc", "id": "1234567890"}  # fmt: skip
    ev = event_for(SEED_IMAGE, "image", content, media=media("image/jpeg"))
    expected = {**SEED_IMAGE, "file": {**SEED_IMAGE["file"],
                "url": LINK}}  # fmt: skip
    same(render(ev), expected)


def test_contact_is_the_seed_exactly_vcard_included() -> None:
    card = {
        "name": {"formatted_name": "Tech Support", "first_name": "Tech Support"},
        "phones": [{"phone": "+62 858-4625-5569", "wa_id": "6285846255569", "type": "CELL"}],
    }
    ev = event_for(SEED_CONTACT, "contacts", [card])
    same(render(ev), SEED_CONTACT)


def test_audio_is_the_seed_but_meta_tells_no_duration() -> None:
    content = {"mime_type": "audio/ogg; codecs=opus", "sha256": "abc", "id": "1", "voice": True}
    ev = event_for(SEED_AUDIO, "audio", content, media=media("audio/ogg"))
    expected = {**SEED_AUDIO, "file": {**SEED_AUDIO["file"],
                "url": LINK, "seconds": None}}  # fmt: skip
    same(render(ev), expected)


# --- what the seed does not show ---------------------------------------------------------------

USER = SimUser("628561234456", "Sarah Wilson")


def sim_event(type_: str, **fields: Any) -> MessageEvent:
    builder = MessageBuilder(media=MediaStore(), business_number="15550000001", clock=time.time)
    item = builder.build(USER, type_, **fields)
    kind = {"edit": "message:update", "revoke": "message:update", "reaction": "message:reaction"}
    return MessageEvent(
        event_type=kind.get(item["type"], "message:in:new"), number_id="num_1",
        display_phone_number="15550000001", phone_number_id="1", waba_id="2",
        conversation_id="conv_1", label=None, item=item, contact=USER.contact(),
        wa_id=USER.wa_id,
    )  # fmt: skip


def common(ev: MessageEvent) -> dict[str, Any]:
    return {
        "from": USER.wa_id,
        "participant": None,
        "timestamp": int(ev.item["timestamp"]),
        "message_id": ev.item["id"],
        "from_user": {"name": USER.name, "jid": f"{USER.wa_id}@s.whatsapp.net"},
        "is_forwarded": False,
        "is_broadcast": False,
    }


def test_video_follows_the_audio_and_image_shapes() -> None:
    ev = replace(sim_event("video", caption="Look"), media=media("video/mp4"))
    expected = {"type": "videoMessage",
                "file": {"url": LINK, "caption": "Look",
                         "fileName": None, "seconds": None}, **common(ev)}  # fmt: skip
    same(render(ev), expected)


def test_sticker() -> None:
    ev = replace(sim_event("sticker"), media=media("image/webp"))
    expected = {"type": "stickerMessage",
                "file": {"url": LINK, "caption": None,
                         "fileName": None}, **common(ev)}  # fmt: skip
    same(render(ev), expected)


def test_location_uses_baileys_names() -> None:
    ev = sim_event("location", latitude=-6.2, longitude=106.8, name="Monas", address="Jakarta")
    expected = {"type": "locationMessage",
                "location": {"degreesLatitude": -6.2, "degreesLongitude": 106.8, "name": "Monas",
                             "address": "Jakarta", "url": None}, **common(ev)}  # fmt: skip
    same(render(ev), expected)


@pytest.mark.parametrize(
    ("type_", "fields", "text"),
    [
        ("button_reply", {"title": "Yes please"}, "Yes please"),
        ("list_reply", {"title": "Second option"}, "Second option"),
        ("button", {"text": "Stop promotions"}, "Stop promotions"),
    ],
)
def test_a_tapped_reply_is_the_text_the_user_tapped(
    type_: str, fields: dict[str, Any], text: str
) -> None:
    """The seed's text shape, with Meta's object of the tap unchanged beside it."""
    ev = sim_event(type_, **fields)
    kind = ev.item["type"]
    expected = {"message": text, **common(ev), kind: ev.item[kind]}
    del expected["participant"]
    same(render(ev), expected)


def test_a_document_without_a_meta_filename_takes_the_stored_one() -> None:
    ev = sim_event("document", filename=None)
    ev = replace(ev, media=media("application/pdf", "invoice.pdf"))
    assert render(ev)["file"]["fileName"] == "invoice.pdf"


@pytest.mark.parametrize(
    "info",
    [
        None,
        MediaInfo(media_id=None, mime_type="image/jpeg", byte_size=0, unavailable=True),
        MediaInfo(media_id="leftover", mime_type="image/jpeg", byte_size=9, unavailable=True),
        # Not signed: never a URL that needs our key (handlers have none).
        MediaInfo(media_id=MEDIA_ID, mime_type="image/jpeg", byte_size=9),
    ],
)
def test_no_url_while_the_file_is_unavailable(info: MediaInfo | None) -> None:
    ev = replace(sim_event("image"), media=info)
    assert render(ev)["file"]["url"] is None


@pytest.mark.parametrize("flag", ["forwarded", "frequently_forwarded"])
def test_forwarded(flag: str) -> None:
    assert render(sim_event("text", **{flag: True}))["is_forwarded"] is True
    assert render(sim_event("image", **{flag: True}))["is_forwarded"] is True


def test_a_contact_without_a_name() -> None:
    ev = replace(sim_event("text"), contact=None)
    assert render(ev)["from_user"] == {"name": None, "jid": f"{USER.wa_id}@s.whatsapp.net"}


def test_several_cards_and_every_vcard_field() -> None:
    cards = [
        {
            "name": {
                "formatted_name": "Dr. Ann Lee, PhD",
                "first_name": "Ann",
                "last_name": "Lee",
                "prefix": "Dr.",
                "suffix": "PhD",
            },
            "phones": [
                {"phone": "+1 555-0100", "wa_id": "15550100", "type": "WORK"},
                {"phone": "+1 555-0101"},
            ],
            "emails": [{"email": "ann@example.com", "type": "WORK"}],
            "org": {"company": "Acme; Inc", "department": "R&D", "title": "Chief"},
            "urls": [{"url": "https://acme.example", "type": "WORK"}],
            "birthday": "1980-01-31",
        },
        {"name": {"formatted_name": "Bob"}, "phones": [{"phone": "+1 555-0102", "type": "CELL"}]},
    ]
    got = render(sim_event("contacts", contacts=cards))
    assert got["type"] == "contactMessage"
    assert [c["displayName"] for c in got["contacts"]] == ["Dr. Ann Lee, PhD", "Bob"]
    assert got["contacts"][0]["vcard"].split("\n") == [
        "BEGIN:VCARD",
        "VERSION:3.0",
        "N:Lee;Ann;;Dr.;PhD",
        "FN:Dr. Ann Lee\\, PhD",
        "ORG:Acme\\; Inc;R&D",
        "TITLE:Chief",
        "TEL;type=WORK;waid=15550100:+1 555-0100",
        "TEL:+1 555-0101",
        "EMAIL;type=WORK:ann@example.com",
        "URL;type=WORK:https://acme.example",
        "BDAY:1980-01-31",
        "END:VCARD",
    ]
    assert got["contacts"][1]["vcard"] == (
        "BEGIN:VCARD\nVERSION:3.0\nN:;Bob;;;\nFN:Bob\nTEL;type=CELL:+1 555-0102\nEND:VCARD"
    )


def test_the_test_delivery_is_marked() -> None:
    ev = replace(sim_event("text"), event_type="test", test=True)
    got = render(ev)
    assert got["test"] is True and got["message"] == "Hello from the simulator"
    assert "test" not in render(sim_event("text"))


# --- what is skipped ----------------------------------------------------------------------------

EXPRESSED = ("message:in:new", "message:reaction", "message:update", "test")
SKIPPED_EVENTS = [e.value for e in EventType if e.value not in EXPRESSED]


def test_expressed_event_types() -> None:
    assert SPECS["whatspie"].events == set(EXPRESSED)
    assert FORMATS["whatspie"] is whatspie.render
    assert SPECS["whatspie"].reply is parse_reply
    for kind in SKIPPED_EVENTS:
        assert not expresses("whatspie", kind)


@pytest.mark.parametrize("kind", SKIPPED_EVENTS)
def test_other_event_types_are_skipped(kind: str) -> None:
    with pytest.raises(SkipEvent) as caught:
        whatspie.render(replace(sim_event("text"), event_type=kind))
    assert caught.value.reason == (
        f"whatspie format skips {kind}: Whatspie notifies incoming messages only"
    )


# --- replies -------------------------------------------------------------------------------------

WAMID = "wamid.HBgLMTU1NTEyMzQ1NjcVAgASGBQzQUFERjg0NDEzNDdFODU3MUMxMAA="


def parse(reply: Any) -> Reply:
    return parse_reply(orjson.dumps(reply), WAMID)


TYPING_FIRST = {"type": "typing", "typing": {"message_id": WAMID}}


def test_seed_single_text_reply() -> None:
    """The seed's "simulation": true shows typing on the message delivered first."""
    assert REPLY_TEXT["simulation"] is True
    assert parse(REPLY_TEXT) == Reply(
        messages=(TYPING_FIRST, {"type": "text", "text": {"body": REPLY_TEXT["body"]}})
    )
    assert parse({**REPLY_TEXT, "simulation": False}) == Reply(
        messages=({"type": "text", "text": {"body": REPLY_TEXT["body"]}},)
    )


def test_seed_image_reply_takes_the_params_caption() -> None:
    assert parse(REPLY_IMAGE) == Reply(
        messages=(
            {
                "type": "image",
                "image": {
                    "link": REPLY_IMAGE["params"]["image"]["url"],
                    "caption": "Product catalog 2024",
                },
            },
        )
    )


def test_seed_document_reply_captions_with_the_body() -> None:
    assert parse(REPLY_DOCUMENT) == Reply(
        messages=(
            {
                "type": "document",
                "document": {
                    "link": "https://example.com/files/sample.pdf",
                    "filename": "price_list.pdf",
                    "caption": "Please find the requested document attached:",
                },
            },
        )
    )


def test_seed_reaction_reply_reacts_to_the_message_delivered() -> None:
    assert parse(REPLY_REACTION) == Reply(
        messages=({"type": "reaction", "reaction": {"message_id": WAMID, "emoji": "👍"}},)
    )


def test_seed_multiple_messages_in_order() -> None:
    assert parse(REPLY_MANY) == Reply(
        messages=tuple(
            step
            for r in REPLY_MANY
            for step in (TYPING_FIRST, {"type": "text", "text": {"body": r["body"]}})
        )
    )


@pytest.mark.parametrize("body", [b"", b"  \n", b"[]"])
def test_an_empty_answer_asks_for_nothing(body: bytes) -> None:
    assert parse_reply(body, WAMID) == Reply()


def test_an_image_without_any_caption() -> None:
    reply = {"type": "chat", "body": "", "params": {"image": {"url": "https://x.example/a.png"}}}
    assert parse(reply).messages == (
        {"type": "image", "image": {"link": "https://x.example/a.png"}},
    )


def test_a_removed_reaction() -> None:
    got = parse({"type": "reaction", "body": ""})
    assert got.messages == ({"type": "reaction", "reaction": {"message_id": WAMID, "emoji": ""}},)


@pytest.mark.parametrize(
    ("body", "error"),
    [
        (b"OK", "reply: the response body is not JSON"),
        (b'{"ok": true}', 'reply.type: must be "chat" or "reaction", got None'),
        (b'"hello"', "reply: must be an object with type and body"),
        (b"42", "reply: must be an object with type and body"),
        (b'{"type": "image", "body": "x"}', 'reply.type: must be "chat" or "reaction"'),
        (b'{"type": "chat"}', "reply.body: a string is required"),
        (b'{"type": "chat", "body": 5}', "reply.body: a string is required"),
        (b'{"type": "chat", "body": "  "}', "reply.body: is empty"),
        (b'{"type": "chat", "body": "x", "simulation": "yes"}', "reply.simulation: must be true"),
        (b'{"type": "chat", "body": "x", "params": []}', "reply.params: must be an object"),
        (b'{"type": "chat", "body": "x", "params": {}}', "reply.params: needs exactly one of"),
        (
            b'{"type": "chat", "body": "x", "params": {"image": {"url": "http://a"},'
            b' "document": {"url": "http://b"}}}',
            "reply.params: needs exactly one of image, document",
        ),
        (
            b'{"type": "chat", "body": "x", "params": {"video": {"url": "http://a"}}}',
            "reply.params: needs exactly one of image, document",
        ),
        (
            b'{"type": "chat", "body": "x", "params": {"image": "http://a"}}',
            "reply.params.image: must be an object with a url",
        ),
        (
            b'{"type": "chat", "body": "x", "params": {"image": {"url": "ftp://a"}}}',
            "reply.params.image.url: must be an https URL",
        ),
        (  # we fetch the file, and https only, as for POST /v1/messages/send
            b'{"type": "chat", "body": "x", "params": {"image": {"url": "http://a/b.png"}}}',
            "reply.params.image.url: must be an https URL",
        ),
        (
            b'{"type": "chat", "body": "x", "params": {"image": {}}}',
            "reply.params.image.url: must be an https URL",
        ),
        (
            b'{"type": "chat", "body": "x", "params": {"document": {"url": "https://a"},'
            b' "fileName": 7}}',
            "reply.params.fileName: must be a string",
        ),
        (b'{"type": "reaction"}', "reply.body: the reaction emoji (a string) is required"),
        (b'[{"type": "chat", "body": "fine"}, {"type": "chat"}]', "reply[1].body"),
        (b"[1]", "reply[0]: must be an object"),
    ],
)
def test_invalid_replies_are_clear_errors_and_send_nothing(body: bytes, error: str) -> None:
    got = parse_reply(body, WAMID)
    assert got.messages == ()
    assert got.error is not None and got.error.startswith(error), got.error
    assert got.error.endswith("nothing sent back")


def test_limits() -> None:
    long_text = {"type": "chat", "body": "x" * 4097}
    assert "longer than 4096 characters" in str(parse(long_text).error)
    assert parse({"type": "chat", "body": "x" * 4096}).error is None
    caption = {"type": "chat", "body": "x" * 1025, "params": {"image": {"url": "https://a"}}}
    assert "caption: longer than 1024 characters" in str(parse(caption).error)
    many = [{"type": "chat", "body": str(i)} for i in range(MAX_REPLY_MESSAGES + 1)]
    assert parse(many).error == (
        f"reply: {MAX_REPLY_MESSAGES + 1} messages; at most {MAX_REPLY_MESSAGES} per response;"
        " nothing sent back"
    )
    assert len(parse(many[:-1]).messages) == MAX_REPLY_MESSAGES
    assert "url: longer than 2048 characters" in str(
        parse(
            {"type": "chat", "body": "x", "params": {"image": {"url": "https://a/" + "x" * 2048}}}
        ).error
    )


def test_a_reaction_needs_a_message_to_react_to() -> None:
    got = parse_reply(orjson.dumps(REPLY_REACTION), "")
    assert got.error == "reply: there is no message to react to; nothing sent back"


async def test_parsed_replies_are_accepted_by_the_graph_api(
    gateway: RunningGateway, sim: Simulator
) -> None:
    """Every seed reply, parsed, goes out through our Graph API client to the simulator,
    which checks the shapes as Meta does and records them."""
    user = sim.user("15551239001", "Customer")
    inbound = await sim.send(user, "text", body="hi")
    assert inbound.ok
    (number,) = await gateway.gateway.store.numbers.of_tenant(gateway.tenant_id)
    expected = []
    async with aiohttp.ClientSession() as session:
        graph = GraphClient(session, timeout_s=5, retry_delays_s=())
        for example in (REPLY_TEXT, REPLY_IMAGE, REPLY_DOCUMENT, REPLY_REACTION, REPLY_MANY):
            reply = parse_reply(orjson.dumps(example), inbound.wamid)
            assert reply.error is None
            for message in reply.messages:
                if message["type"] == "typing":  # a read with the typing indicator
                    await graph.mark_read(number, message["typing"]["message_id"], typing=True)
                    continue
                await graph.send_message(number, {"to": user.wa_id, **message})
                expected.append(message)
    assert [(s.to, s.type) for s in sim.sent] == [(user.wa_id, m["type"]) for m in expected]
    assert [wamid for wamid, _ in sim.graph.typing_shown] == [inbound.wamid] * 3
    for sent, message in zip(sim.sent, expected, strict=True):
        assert sent.payload[message["type"]] == message[message["type"]]
    assert sim.sent[3].payload["reaction"]["message_id"] == inbound.wamid


# --- end to end ------------------------------------------------------------------------------

E2E_TYPES = ("text", "image", "audio", "video", "document", "sticker", "location", "contacts",
             "button_reply", "list_reply", "button")  # fmt: skip


async def test_every_whatspie_type_arrives_from_the_gateway(
    gateway: RunningGateway, sim: Simulator, receiver: Receiver
) -> None:
    await add_destination(gateway, receiver, format="whatspie", retrySchedule=[0, 0.1, 0.2])
    user = sim.user("15551230088", "Jane Doe")
    sent = {}
    for type_ in E2E_TYPES:
        result = await sim.send(user, type_)
        assert result.ok
        sent[result.wamid] = result.message
    await receiver.wait_for(lambda r: len(r.accepted()) == len(E2E_TYPES))
    names = []
    for arrival in receiver.accepted():
        assert arrival.verified
        payload = arrival.json()
        message = sent[payload["message_id"]]
        assert payload["from"] == "15551230088"
        assert payload["timestamp"] == int(message["timestamp"])
        assert payload["from_user"] == {"name": "Jane Doe", "jid": "15551230088@s.whatsapp.net"}
        assert payload["is_forwarded"] is False and payload["is_broadcast"] is False
        if message["type"] in ("text", "interactive", "button"):
            assert next(iter(payload)) == "message" and "type" not in payload
        else:
            assert list(payload)[:3] in (
                ["type", "file", "from"], ["type", "contacts", "from"], ["type", "location", "from"]
            )  # fmt: skip
            assert payload["participant"] is None
        names.append(payload.get("type", "text"))
    assert sorted(names) == sorted(
        ["text"] * 4
        + [
            "imageMessage",
            "audioMessage",
            "videoMessage",
            "documentMessage",
            "stickerMessage",
            "locationMessage",
            "contactMessage",
        ]
    )


# --- replies in the response body, end to end -----------------------------------------------

PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 8
PDF = b"%PDF-1.4\n" + bytes(range(256)) * 8


def answer_with(receiver: Receiver, reply_for: Callable[[Any], Any]) -> None:
    """The receiver answers each delivery with ``reply_for(payload)`` as JSON (bytes as is)."""

    def decide(arrival: Arrival) -> None:
        reply = reply_for(arrival.json())
        receiver.response_body = reply if isinstance(reply, bytes) else orjson.dumps(reply)

    receiver.on_arrival = decide


async def sent_count(sim: Simulator, n: int, timeout: float = 5) -> list[SentMessage]:
    async def enough() -> bool:
        return len(sim.sent) >= n

    await eventually(enough, timeout=timeout)
    return list(sim.sent)


async def attempts_of(gateway: RunningGateway, wamid: str) -> list[Any]:
    """The attempts of the finished delivery of the message ``wamid``."""

    async def finished() -> Any:
        status, page = await gateway.api("GET", "/v1/deliveries")
        assert status == 200, page
        mine = [d for d in page["data"] if d["wamid"] == wamid and d["status"] == "succeeded"]
        return mine[0] if mine else None

    delivery = await eventually(finished, timeout=5)
    status, detail = await gateway.api("GET", f"/v1/deliveries/{delivery['id']}")
    assert status == 200, detail
    return list(detail["attemptLog"])


async def test_a_reply_in_the_response_body_is_sent_to_the_user(
    gateway: RunningGateway, sim: Simulator, receiver: Receiver
) -> None:
    """Each reply goes to the conversation of the message it answers."""
    await add_destination(gateway, receiver, format="whatspie")
    answer_with(receiver, lambda p: {"type": "chat", "body": f"re: {p['message']}",
                                     "simulation": True})  # fmt: skip
    jane, bob = sim.user("15551230087", "Jane Doe"), sim.user("15551230085", "Bob")
    first = await sim.send(jane, "text", body="hi")
    assert first.ok and (await sim.send(bob, "text", body="hello")).ok
    sent = await sent_count(sim, 2)
    assert sorted((s.to, s.type, s.payload["text"]["body"]) for s in sent) == [
        (bob.wa_id, "text", "re: hello"), (jane.wa_id, "text", "re: hi")
    ]  # fmt: skip
    (attempt,) = await attempts_of(gateway, first.wamid)
    assert attempt["statusCode"] == 200 and attempt["errorDetail"] is None


async def test_every_seed_reply_shape_reaches_the_user(
    database_url: str, ca_file: Path, files: FileServer, receiver: Receiver
) -> None:
    """Text, image, document and reaction (the seed's shapes) in one array, sent in order
    the way POST /v1/messages/send sends them: files fetched from their https URL and
    uploaded, the reaction on the message delivered."""
    png_url = files.add("catalog.png", PNG, "image/png")
    pdf_url = files.add("prices.pdf", PDF, "application/pdf")
    image = {**REPLY_IMAGE, "params": {**REPLY_IMAGE["params"], "image": {"url": png_url}}}
    document = {**REPLY_DOCUMENT,
                "params": {**REPLY_DOCUMENT["params"], "document": {"url": pdf_url}}}  # fmt: skip
    async with gateway_with_sim(database_url, outbound_ca_file=str(ca_file)) as (gateway, sim):
        await add_destination(gateway, receiver, format="whatspie")
        receiver.response_body = orjson.dumps([REPLY_TEXT, image, document, REPLY_REACTION])
        user = sim.user("15551230084", "Jane Doe")
        inbound = await sim.send(user, "text", body="catalog please")
        assert inbound.ok
        sent = await sent_count(sim, 4, timeout=10)
        assert [(s.to, s.type) for s in sent] == [
            (user.wa_id, t) for t in ("text", "image", "document", "reaction")
        ]
        text, img, doc, reaction = (s.payload for s in sent)
        assert text["text"]["body"] == REPLY_TEXT["body"]
        assert img["image"]["caption"] == "Product catalog 2024"
        assert sim.media.get(img["image"]["id"]).read() == PNG
        assert doc["document"]["filename"] == "price_list.pdf"
        assert doc["document"]["caption"] == REPLY_DOCUMENT["body"]
        assert sim.media.get(doc["document"]["id"]).read() == PDF
        assert reaction["reaction"] == {"message_id": inbound.wamid, "emoji": "👍"}
        (attempt,) = await attempts_of(gateway, inbound.wamid)
        assert attempt["errorDetail"] is None


@pytest.mark.parametrize(
    ("body", "note"),
    [
        (b"OK", "reply: the response body is not JSON"),
        (b'{"ok": true}', 'reply.type: must be "chat" or "reaction", got None'),
        (b'[{"type": "chat", "body": "fine"}, {"type": "chat"}]', "reply[1].body"),
        # Valid JSON, but past what we read: never parsed as a (4096-character) text.
        (
            orjson.dumps({"type": "chat", "body": "x" * REPLY_MAX_BYTES}),
            f"reply: the response body is over {REPLY_MAX_BYTES} bytes",
        ),
    ],
)
@pytest.mark.e2e
async def test_an_invalid_reply_is_noted_and_the_delivery_still_succeeds(
    gateway: RunningGateway, sim: Simulator, receiver: Receiver, body: bytes, note: str
) -> None:
    await add_destination(gateway, receiver, format="whatspie", retrySchedule=[0, 0.1])
    answer_with(receiver, lambda p: body if p["message"] == "first" else
                {"type": "chat", "body": "second answered"})  # fmt: skip
    user = sim.user("15551230083", "Jane Doe")
    first = await sim.send(user, "text", body="first")
    assert first.ok
    (attempt,) = await attempts_of(gateway, first.wamid)
    assert attempt["statusCode"] == 200 and attempt["error"] is None
    assert attempt["errorDetail"].startswith(note), attempt["errorDetail"]
    assert attempt["errorDetail"].endswith("nothing sent back")
    assert receiver.count == 1  # not retried
    # Replies of a conversation go out in order: once the second is sent, a first would be.
    assert (await sim.send(user, "text", body="second")).ok
    await sent_count(sim, 1)
    await asyncio.sleep(0.2)
    assert [s.payload["text"]["body"] for s in sim.sent] == ["second answered"]


@pytest.mark.e2e
async def test_a_reply_that_cannot_be_sent_is_logged(
    gateway: RunningGateway, sim: Simulator, receiver: Receiver, caplog: pytest.LogCaptureFixture
) -> None:
    """Meta refuses the reply: logged, the rest of that reply dropped, the delivery stays
    delivered, and later replies go out."""
    await add_destination(gateway, receiver, format="whatspie")
    answer_with(receiver, lambda p: [{"type": "chat", "body": f"1 {p['message']}"},
                                     {"type": "chat", "body": f"2 {p['message']}"}])  # fmt: skip
    sim.fail_next_sends(1, code=131026, http_status=400)
    user = sim.user("15551230082", "Jane Doe")
    with caplog.at_level(logging.WARNING, logger="wahooks.send.replies"):
        first = await sim.send(user, "text", body="a")
        assert first.ok

        async def logged() -> bool:
            return any("not sent" in r.getMessage() for r in caplog.records)

        await eventually(logged, timeout=5)
    (record,) = [r for r in caplog.records if r.name == "wahooks.send.replies"]
    assert "message 1 of 2 (text) not sent, nor the rest" in record.getMessage()
    assert (await attempts_of(gateway, first.wamid))[0]["errorDetail"] is None
    assert (await sim.send(user, "text", body="b")).ok
    sent = await sent_count(sim, 2)
    assert [s.payload["text"]["body"] for s in sent] == ["1 b", "2 b"]


async def test_replies_do_not_hold_up_deliveries(
    database_url: str, ca_file: Path, files: FileServer, receiver: Receiver
) -> None:
    """A reply whose file is slow to fetch is sent in the background: the conversation's
    next message is delivered meanwhile, and its reply waits its turn behind the first."""
    slow = files.add("slow.png", PNG, "image/png").replace("/files/", "/gated/")
    async with gateway_with_sim(database_url, outbound_ca_file=str(ca_file)) as (gateway, sim):
        await add_destination(gateway, receiver, format="whatspie")
        image = {"type": "chat", "body": "", "params": {"image": {"url": slow}}}
        answer_with(receiver, lambda p: image if p["message"] == "one" else
                    {"type": "chat", "body": "two"})  # fmt: skip
        user = sim.user("15551230081", "Jane Doe")
        assert (await sim.send(user, "text", body="one")).ok

        async def fetching() -> bool:
            return files.hits == ["/gated/slow.png"]

        try:
            await eventually(fetching, timeout=5)
            assert (await sim.send(user, "text", body="two")).ok
            await receiver.wait_for(lambda r: r.count == 2, timeout=5)
            await asyncio.sleep(0.2)
            assert sim.sent == []  # the text reply waits behind the image
        finally:
            files.gate.set()  # else a failure here waits for the held fetch at shutdown
        sent = await sent_count(sim, 2)
        assert [s.type for s in sent] == ["image", "text"]
        assert sim.media.get(sent[0].payload["image"]["id"]).read() == PNG


async def test_a_skipped_event_is_finished_without_a_request(
    gateway: RunningGateway, sim: Simulator, receiver: Receiver
) -> None:
    destination = await add_destination(
        gateway, receiver, format="whatspie", events=["call:update"]
    )
    jane = sim.user("15551230086", "Jane Doe")
    call = changes.call_connect(sim.settings, jane, int(time.time()))
    assert await sim.send_change("calls", call) == 200

    async def finished() -> bool:
        status, page = await gateway.api(
            "GET", "/v1/deliveries", params={"destinationId": destination["id"]}
        )
        assert status == 200, page
        return bool(page["data"]) and page["data"][0]["status"] in ("succeeded", "skipped")

    await eventually(finished, timeout=3)
    assert receiver.count == 0
