"""whatsapp_media_reply over the socket: the reference plugin's frame (base64 in
``data.media``), sent like REST media and answered with ``reply_status``."""

import base64
import os

import pytest

from tests.conftest import RunningGateway, add_destination
from tests.send.test_send import conversation_of
from tests.send.test_send_media import PDF, PNG, uploaded
from tests.socket.conftest import WsClient
from wahooks.demo.receiver import Receiver
from wahooks.sim import Simulator

MB = 1024 * 1024


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


@pytest.mark.e2e
async def test_a_media_reply_is_uploaded_sent_and_answered(
    gateway: RunningGateway, sim: Simulator, receiver: Receiver
) -> None:
    await add_destination(gateway, receiver)
    conversation = await conversation_of(gateway, receiver, sim, "15551239201")
    client = await WsClient.open(gateway)
    await client.send(
        "whatsapp_media_reply",
        {"conversationId": conversation, "poolNumberId": "ignored", "toNumber": "+1",
         "media": {"data": b64(PDF), "mimeType": "application/pdf", "fileName": "offer.pdf"},
         "text": "our offer"},
    )  # fmt: skip
    reply = (await client.next("reply_status"))["data"]
    assert reply["success"] is True, reply
    assert reply["conversationId"] == conversation
    assert sim.sent[-1].wamid == reply["messageId"]
    kind, media, data = uploaded(sim)
    assert (kind, media["filename"], media["caption"], data) == (
        "document", "offer.pdf", "our offer", PDF
    )  # fmt: skip
    # A frame bigger than the WebSocket default of 16 MiB: the cap follows the inline limit.
    big = os.urandom(13 * MB)
    await client.send(
        "whatsapp_media_reply",
        {"conversationId": conversation, "media": {"data": b64(big), "mimeType": "video/mp4"}},
    )
    reply = (await client.next("reply_status", timeout=30))["data"]
    assert reply["success"] is True, reply
    assert uploaded(sim)[:1] == ("video",) and sim.uploads[-1].size == len(big)
    await client.close()


@pytest.mark.e2e
async def test_bad_media_replies_are_answered_with_their_code(
    gateway: RunningGateway, sim: Simulator, receiver: Receiver
) -> None:
    await add_destination(gateway, receiver)
    conversation = await conversation_of(gateway, receiver, sim, "15551239202")
    client = await WsClient.open(gateway)
    c = {"conversationId": conversation}
    cases = [
        ({**c, "media": {"data": b64(PNG)}}, "INVALID_REQUEST", "mimeType"),
        ({**c}, "INVALID_REQUEST", "media"),
        ({**c, "media": {"data": b64(bytes(6 * MB)), "mimeType": "image/jpeg"}},
         "MEDIA_TOO_LARGE", "5 MB"),
        ({**c, "media": {"data": "%%%", "mimeType": "image/png"}}, "INVALID_MEDIA", "base64"),
        ({"conversationId": "conv_nope", "media": {"data": b64(PNG), "mimeType": "image/png"}},
         "NOT_FOUND", "conv_nope"),
    ]  # fmt: skip
    for data, code, mentions in cases:
        await client.send("whatsapp_media_reply", data)
        reply = (await client.next("reply_status"))["data"]
        assert reply["success"] is False and reply["code"] == code, reply
        assert mentions in reply["error"], reply
    assert sim.sent == [] and sim.uploads == []
    await client.close()
