"""A media URL is fetched only from allowed addresses: a gateway whose allow-list holds just
127.0.0.1 (where the simulator and the receiver are) refuses files on 127.0.0.2 and [::1],
directly or through a redirect, before any connection is made; and inline files have a cap."""

import base64
import contextlib
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import trustme

from tests.conftest import RunningGateway, add_destination, gateway_with_sim
from tests.send.files import FileServer
from tests.send.test_send import conversation_of, send
from wahooks.demo.receiver import Receiver
from wahooks.sim import Simulator

PNG = b"\x89PNG\r\n\x1a\n" + bytes(2000)


@contextlib.asynccontextmanager
async def gateway_and_sim(
    database_url: str, ca_file: Path, **settings: Any
) -> AsyncIterator[tuple[RunningGateway, Simulator]]:
    async with gateway_with_sim(database_url, outbound_ca_file=str(ca_file), **settings) as (
        gateway,
        sim,
    ):
        yield gateway, sim


@contextlib.asynccontextmanager
async def file_server(ca: trustme.CA, host: str) -> AsyncIterator[FileServer]:
    server = await FileServer(ca, host=host).start()
    try:
        yield server
    finally:
        await server.stop()


async def test_urls_to_addresses_off_the_allow_list_are_refused_before_connecting(
    database_url: str, ca_file: Path, tls_ca: trustme.CA, receiver: Receiver
) -> None:
    async with (
        gateway_and_sim(database_url, ca_file, outbound_allow_networks=("127.0.0.1/32",)) as (
            gateway,
            sim,
        ),
        file_server(tls_ca, "127.0.0.1") as allowed,
        file_server(tls_ca, "127.0.0.2") as other_loopback,
        file_server(tls_ca, "::1") as ipv6_loopback,
    ):
        await add_destination(gateway, receiver)
        conversation = await conversation_of(gateway, receiver, sim, "15551239101")
        forbidden = [
            (other_loopback.add("a.png", PNG, "image/png"), "127.0.0.2"),
            (ipv6_loopback.add("a.png", PNG, "image/png"), "::1"),
            # A redirect from an allowed host is checked again at its target.
            (allowed.url("/redirect?to=" + other_loopback.url("/files/a.png")), "127.0.0.2"),
        ]
        for url, address in forbidden:
            status, body = await send(gateway, {"conversationId": conversation, "media": url})
            assert status == 400, (url, body)
            assert body["error"]["code"] == "forbidden_address", body
            assert address in body["error"]["message"] and "loopback" in body["error"]["message"]
        assert other_loopback.hits == [] and ipv6_loopback.hits == []
        assert allowed.hits == ["/redirect?to=" + other_loopback.url("/files/a.png")]
        assert sim.sent == [] and sim.uploads == []
        # The same file on the allowed address goes through: the setup itself works.
        url = allowed.add("a.png", PNG, "image/png")
        status, body = await send(gateway, {"conversationId": conversation, "media": url})
        assert status == 200, body
        assert sim.uploads[0].size == len(PNG)


async def test_inline_files_over_the_configured_cap_are_refused_with_a_pointer(
    database_url: str, ca_file: Path, receiver: Receiver
) -> None:
    async with gateway_and_sim(database_url, ca_file, media_inline_max_bytes=4096) as (
        gateway,
        sim,
    ):
        await add_destination(gateway, receiver)
        conversation = await conversation_of(gateway, receiver, sim, "15551239102")
        data = base64.b64encode(bytes(4097)).decode()
        status, body = await send(
            gateway, {"conversationId": conversation, "media": data, "mimeType": "image/png"}
        )
        assert status == 413, body
        assert body["error"]["code"] == "inline_media_too_large"
        assert "4 KB" in body["error"]["message"]
        assert "POST /v1/media" in body["error"]["message"]
        status, body = await send(
            gateway,
            {"conversationId": conversation, "media": data[:-8], "mimeType": "image/png"},
        )
        assert status == 200, body
