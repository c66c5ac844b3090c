"""The socket's key: from the Authorization header, a subprotocol, or ``?apiKey=``."""

import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import InvalidStatus

from tests.conftest import RunningGateway, eventually, running_gateway
from tests.socket.conftest import WsClient
from wahooks.accounts import issue_tenant_key


def bare_url(gateway: RunningGateway) -> str:
    return gateway.url.replace("http://", "ws://") + "/ws"


async def test_a_bearer_header_authenticates_the_socket(gateway: RunningGateway) -> None:
    headers = {"Authorization": f"Bearer {gateway.api_key}"}
    async with connect(bare_url(gateway), additional_headers=headers) as ws:
        welcome = await WsClient(ws).next("connected")
    assert welcome["userId"] == gateway.tenant_id


async def test_a_subprotocol_key_authenticates_and_only_wahooks_is_selected(
    gateway: RunningGateway,
) -> None:
    offered = ["wahooks", gateway.api_key]
    async with connect(bare_url(gateway), subprotocols=offered) as ws:  # type: ignore[arg-type]
        welcome = await WsClient(ws).next("connected")
        assert ws.subprotocol == "wahooks"  # the key is never echoed back
    assert welcome["userId"] == gateway.tenant_id


@pytest.mark.parametrize("where", ["header", "subprotocol"])
async def test_a_wrong_key_is_401_wherever_it_comes(gateway: RunningGateway, where: str) -> None:
    wrong = "pk_live_" + "x" * 32
    kwargs: dict[str, object] = (
        {"additional_headers": {"Authorization": f"Bearer {wrong}"}}
        if where == "header"
        else {"subprotocols": ["wahooks", wrong]}
    )
    with pytest.raises(InvalidStatus) as refused:
        await connect(bare_url(gateway), **kwargs)  # type: ignore[arg-type]
    assert refused.value.response.status_code == 401


async def test_the_header_wins_over_the_query_string(gateway: RunningGateway) -> None:
    headers = {"Authorization": f"Bearer {gateway.api_key}"}
    url = bare_url(gateway) + "?apiKey=pk_live_" + "y" * 32
    async with connect(url, additional_headers=headers) as ws:
        assert (await WsClient(ws).next("connected"))["userId"] == gateway.tenant_id


async def test_one_key_may_hold_only_so_many_sockets(database_url: str) -> None:
    async with running_gateway(database_url, socket_max_per_key=2) as gateway:
        url = bare_url(gateway) + "?apiKey=" + gateway.api_key
        first, second = await connect(url), await connect(url)
        try:
            with pytest.raises(InvalidStatus) as refused:
                await connect(url)
            assert refused.value.response.status_code == 429
            assert b'"too_many_sockets"' in (refused.value.response.body or b"")
            # Another key of the same tenant has its own allowance.
            other = await issue_tenant_key(gateway.gateway.store, gateway.tenant_id)
            async with connect(bare_url(gateway) + "?apiKey=" + other.key) as ws:
                assert (await WsClient(ws).next("connected"))["userId"] == gateway.tenant_id
        finally:
            await first.close()

        # A closed socket gives its place back.
        async def reconnected() -> bool:
            try:
                async with connect(url):
                    return True
            except InvalidStatus:
                return False

        assert await eventually(reconnected)
        await second.close()
