"""Graph API calls are shared fairly between numbers (shares.py): a number whose Graph API
is slow has at most its share of requests under way, the rest of its sends wait their
turn, and another number's send goes out at once beside them."""

import asyncio
import time

import pytest

from tests.conftest import add_destination, eventually, registered_sim, running_gateway
from tests.send.test_send import conversation_of, send
from wahooks.demo.receiver import Receiver
from wahooks.sim import Simulator

SLOW_S = 3.0


async def _waiting(sim: Simulator, n: int) -> bool:
    return sim.graph.sends_waiting >= n


@pytest.mark.e2e  # a slow number's sends take seconds, on purpose
async def test_a_slow_number_s_sends_do_not_hold_up_another_number_s(
    database_url: str, receiver: Receiver
) -> None:
    # Three requests at once in all, two for one number: without the per-number share the
    # slow number would take all three, and the other number's send would wait SLOW_S.
    settings = {"graph_concurrency": 3, "graph_per_number_concurrency": 2}
    async with running_gateway(database_url, **settings) as gateway:
        async with registered_sim(gateway) as slow, registered_sim(gateway) as quick:
            await add_destination(gateway, receiver)
            slow_conversation = await conversation_of(gateway, receiver, slow, "15551239101")
            quick_conversation = await conversation_of(gateway, receiver, quick, "15551239102")
            slow.slow_sends(SLOW_S)
            backlog = [
                asyncio.create_task(
                    send(gateway, {"conversationId": slow_conversation, "text": f"slow {n}"})
                )
                for n in range(5)
            ]
            await eventually(lambda: _waiting(slow, 2))
            started = time.monotonic()
            status, body = await send(gateway, {"conversationId": quick_conversation, "text": "hi"})
            took = time.monotonic() - started
            assert status == 200, body
            assert took < 1.5, f"the quick number's send took {took:.1f} s"
            answers = await asyncio.gather(*backlog)
            assert [status for status, _ in answers] == [200] * 5, answers
            # Its share at once, never more: the other three waited their turn.
            assert slow.graph.most_sends_waiting == 2
            assert sorted(s.payload["text"]["body"] for s in slow.sent) == [
                f"slow {n}" for n in range(5)
            ]
