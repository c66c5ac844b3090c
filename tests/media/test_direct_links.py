"""Direct media links end to end: a real gateway delivers an image in each format that
carries a URL, the receiver downloads it from that URL with no API key, and the same URL is
refused once its time is up (the gateway's clock is moved, never slept) or once a character
of its signature or of its id is changed."""

from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qs, urlsplit

import orjson
import pytest

from tests.conftest import RunningGateway, add_destination, gateway_with_sim
from tests.destinations.helpers import JumpingClock
from wahooks.demo.receiver import Receiver
from wahooks.ids import new_media_id

PUBLIC = "https://gateway.example.com/base"  # as configured: links are absolute under it

# Where each format puts the link, in the payload of one inbound image.
URL_OF: dict[str, Callable[[Any], str]] = {
    "pipes": lambda p: p["pipes"]["media"]["url"],
    "whatspie": lambda p: p["file"]["url"],
    "wassenger": lambda p: p["data"]["media"]["url"],
    "summary": lambda p: p["media_url"],
}


async def fetch(gateway: RunningGateway, link: str) -> tuple[int, dict[str, str], bytes]:
    """GET a link as a receiver would, with no Authorization header: the link's public base
    stands for this gateway's address."""
    assert link.startswith(PUBLIC + "/v1/media/file/"), link
    async with gateway.http.get(gateway.url + link.removeprefix(PUBLIC)) as response:
        return response.status, dict(response.headers), await response.read()


def changed(text: str, at: int) -> str:
    """``text`` with the character at ``at`` replaced by another of the same kind."""
    new = "0" if text[at] != "0" else "1"
    return text[:at] + new + text[at + 1 :]


def error_code(body: bytes) -> str:
    """The project's error shape, ``{"error": {"code", "message"}}``: its code."""
    error = orjson.loads(body)["error"]
    assert set(error) >= {"code", "message"} and error["message"]
    return str(error["code"])


@pytest.mark.parametrize("format_name", list(URL_OF))
async def test_the_delivered_link_downloads_without_a_key_until_it_expires(
    database_url: str, receiver: Receiver, format_name: str
) -> None:
    clock = JumpingClock()
    async with gateway_with_sim(database_url, public_url=PUBLIC + "/", clock=clock) as (
        gateway,
        sim,
    ):
        await add_destination(gateway, receiver, format=format_name, events=["message:in:new"])
        sent = await sim.send(sim.user("15551237001", "Ann"), "image", size=50_000)
        await receiver.wait_for(lambda r: len(r.accepted()) == 1)
        link = URL_OF[format_name](receiver.accepted()[0].json())
        original = sim.media.get(sent.message["image"]["id"])
        assert original is not None

        status, headers, body = await fetch(gateway, link)
        assert status == 200 and body == original.read()
        assert headers["Content-Type"].startswith("image/")
        # The same headers as the key-protected download: a user's file is never sniffed
        # into something a browser runs, and runs sandboxed if rendered.
        assert headers["X-Content-Type-Options"] == "nosniff"
        assert headers["Content-Security-Policy"].startswith("sandbox")

        # Tampered: one character of the signature, or of the id; or no signature at all.
        parts = urlsplit(link)
        signature = parse_qs(parts.query)["signature"][0]
        forged_signature = link.replace(signature, changed(signature, 5))
        media_id = parts.path.rsplit("/", 1)[1]
        forged_id = link.replace(media_id, changed(media_id, 3))
        unsigned = link.split("&signature=")[0]
        for forged in (forged_signature, forged_id, unsigned):
            status, _, body = await fetch(gateway, forged)
            assert status == 403, forged
            assert error_code(body) == "forbidden"

        # By default a link works as long as the file is kept: 48 h after its message.
        expires = int(parse_qs(parts.query)["expires"][0])
        assert 47.9 * 3600 < expires - clock() <= 48 * 3600
        clock.jump(expires - clock() - 60)
        assert (await fetch(gateway, link))[0] == 200  # a minute before
        clock.jump(61)
        status, _, body = await fetch(gateway, link)
        assert status == 410 and error_code(body) == "gone"


async def test_a_shorter_link_time_ends_the_link_not_the_file(
    database_url: str, receiver: Receiver
) -> None:
    clock = JumpingClock()
    settings = {"public_url": PUBLIC, "clock": clock, "media_link_ttl_s": 600}
    async with gateway_with_sim(database_url, **settings) as (gateway, sim):
        await add_destination(gateway, receiver)
        await sim.send(sim.user("15551237002", "Bo"), "image")
        await receiver.wait_for(lambda r: len(r.accepted()) == 1)
        media = receiver.accepted()[0].json()["pipes"]["media"]
        expires = int(parse_qs(urlsplit(media["url"]).query)["expires"][0])
        assert 590 < expires - clock() <= 600
        assert (await fetch(gateway, media["url"]))[0] == 200
        clock.jump(601)
        status, _, body = await fetch(gateway, media["url"])
        assert status == 410 and b"link" in body
        # The file itself is still kept: the owner's key downloads it.
        headers = {"Authorization": f"Bearer {gateway.api_key}"}
        async with gateway.http.get(gateway.url + media["downloadUrl"], headers=headers) as got:
            assert got.status == 200


async def test_a_signed_link_to_a_file_we_do_not_have_is_a_404(
    database_url: str, receiver: Receiver
) -> None:
    async with gateway_with_sim(database_url, public_url=PUBLIC) as (gateway, _):
        links = gateway.gateway.links  # the gateway's own signer: a link only it could make
        unknown = links.url(new_media_id(), int(gateway.gateway.clock()) + 600)
        status, _, body = await fetch(gateway, unknown)
        assert status == 404 and error_code(body) == "not_found"
        # Not one of our ids at all: refused before anything is looked up.
        status, _, _ = await fetch(gateway, PUBLIC + "/v1/media/file/nope?expires=1&signature=a")
        assert status == 403


async def test_a_file_whatsapp_could_not_give_gets_no_link(
    database_url: str, receiver: Receiver
) -> None:
    async with gateway_with_sim(database_url, public_url=PUBLIC) as (gateway, sim):
        await add_destination(gateway, receiver, format="whatspie", events=["message:in:new"])
        await sim.send(sim.user("15551237003", "Cy"), "image", unavailable=True)
        await receiver.wait_for(lambda r: len(r.accepted()) == 1)
        assert receiver.accepted()[0].json()["file"]["url"] is None
