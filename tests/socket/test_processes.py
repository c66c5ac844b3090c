"""Sockets of one tenant spread over two gateway processes on one PostgreSQL database: every
live message reaches the matching connections on both, each conversation in order, and is
delivered once (one process leases it; the other copies what was written)."""

import urllib.parse
from collections import defaultdict

import pytest
from websockets.asyncio.client import connect

from tests.conftest import RunningGateway, eventually, registered_sim, when
from tests.delivery.test_peers import two_processes
from tests.socket.conftest import WsClient, socket_destination
from tests.socket.test_socket_delivery import deliveries


async def _open_on(gateway: RunningGateway, key: str, **params: str) -> WsClient:
    """A connection to ``gateway`` with ``key`` (another process's tenant's)."""
    query = urllib.parse.urlencode({"apiKey": key, **params})
    client = WsClient(await connect(gateway.url.replace("http://", "ws://") + "/ws?" + query))
    client.welcome = await client.next("connected")
    return client


@pytest.mark.e2e
async def test_a_live_message_reaches_the_tenant_s_sockets_on_every_process() -> None:
    async with two_processes() as (one, two):
        await socket_destination(one)
        here = await _open_on(one, one.api_key)
        there = await _open_on(two, one.api_key)
        scoped = await _open_on(two, one.api_key)  # a second connection on the same process
        try:
            async with registered_sim(one) as sim:
                users = [sim.user(f"155512400{i}", f"User {i}") for i in range(2)]
                sent: dict[str, list[str]] = defaultdict(list)
                for n in range(6):
                    user = users[n % 2]
                    result = await sim.send(user, "text", body=f"m{n}")
                    sent[user.wa_id].append(result.wamid)
                for client in (here, there, scoped):
                    frames = await client.messages(6, timeout=20)
                    by_conversation: dict[str, list[str]] = defaultdict(list)
                    for frame in frames:
                        by_conversation[frame["conversationId"]].append(frame["messageId"])
                    # All of them, each conversation in order.
                    assert sorted(by_conversation.values()) == sorted(sent.values()), frames
                    await client.nothing_for(0.3)  # and each once
            # Delivered once: each is finished by one process, with one attempt.
            done = await eventually(
                lambda: when(deliveries(one, status="succeeded"), lambda d: len(d) == 6)
            )
            assert all(d["attempts"] == 1 for d in done), done
        finally:
            for client in (here, there, scoped):
                await client.close()
