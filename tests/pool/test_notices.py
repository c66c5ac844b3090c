"""The notices outbox: replies to pool-number senders are committed with the ingest, sent
through the number's Graph API by a background worker, retried on transient errors with
backoff, failed on final ones, and never lost to a restart."""

import time
import uuid

import pytest

from tests.conftest import eventually, running_gateway
from tests.pool.conftest import (
    ACTIVATED,
    NOT_ACTIVATED,
    new_activation,
    number_id,
    pool_sim,
    told,
    told_eventually,
)
from wahooks.demo.registration import number_registration
from wahooks.sim import SimSettings, Simulator
from wahooks.store import Store
from wahooks.store.notice_ops import NoticeRecord


async def outbox(store: Store, sim: Simulator, wa_id: str) -> list[NoticeRecord]:
    return await store.notices.sent_to(number_id(sim), wa_id)


async def test_transient_graph_errors_are_retried_with_backoff(database_url: str) -> None:
    async with running_gateway(database_url, notice_backoff_s=0.1) as gateway:
        async with pool_sim(gateway) as pool:
            created = await new_activation(gateway, pool)
            pool.fail_next_sends(2, code=503)
            user = pool.user("4915100000030", "Patient")
            await pool.send(user, "text", body=created["code"])
            assert await told_eventually(pool, user.wa_id, 1) == [ACTIVATED]
            store = gateway.gateway.store

            async def sent() -> list[NoticeRecord] | None:
                found = await outbox(store, pool, user.wa_id)
                return found if found and found[0].state == "sent" else None

            (notice,) = await eventually(sent)
            assert notice.kind == "activated" and notice.attempts == 3
            assert notice.last_error is not None and "131000" in notice.last_error


async def test_a_refused_notice_fails_at_once(database_url: str) -> None:
    async with running_gateway(database_url, notice_backoff_s=0.1) as gateway:
        async with pool_sim(gateway) as pool:
            pool.fail_next_sends(1, code=131026)  # message undeliverable: final
            user = pool.user("4915100000031", "Unreachable")
            await pool.send(user, "text", body="hello")
            store = gateway.gateway.store

            async def failed() -> list[NoticeRecord] | None:
                found = await outbox(store, pool, user.wa_id)
                return found if found and found[0].state == "failed" else None

            (notice,) = await eventually(failed)
            assert notice.attempts == 1 and "131026" in (notice.last_error or "")
            assert told(pool, user.wa_id) == []


@pytest.mark.e2e
async def test_retries_end_after_the_configured_attempts(database_url: str) -> None:
    async with running_gateway(database_url, notice_backoff_s=0.05, notice_attempts=3) as gateway:
        async with pool_sim(gateway) as pool:
            pool.fail_next_sends(10, code=503)
            user = pool.user("4915100000032", "Unlucky")
            await pool.send(user, "text", body="hello")
            store = gateway.gateway.store

            async def failed() -> list[NoticeRecord] | None:
                found = await outbox(store, pool, user.wa_id)
                return found if found and found[0].state == "failed" else None

            (notice,) = await eventually(failed)
            assert notice.attempts == 3
            assert told(pool, user.wa_id) == []


async def test_texts_and_period_are_configurable(database_url: str) -> None:
    async with running_gateway(
        database_url, notice_not_activated_text="Who are you?", notice_interval_s=0
    ) as gateway:
        async with pool_sim(gateway) as pool:
            user = pool.user("4915100000033", "Chatty")
            await pool.send(user, "text", body="one")
            await told_eventually(pool, user.wa_id, 1)
            await pool.send(user, "text", body="two")
            assert await told_eventually(pool, user.wa_id, 2) == ["Who are you?"] * 2


@pytest.mark.e2e
async def test_a_notice_queued_before_a_stop_is_sent_after_the_restart(
    database_url: str,
) -> None:
    """Crash safety: the notice is committed with the ingest; the sender may die before
    sending it (here: no worker at all), and the next process sends it."""
    settings = SimSettings(
        phone_number_id=str(10**14 + uuid.uuid4().int % 10**13),
        status_delays_s=(0.01,),
    )
    user_wa_id = "4915100000034"
    pool: Simulator | None = None
    try:
        async with running_gateway(database_url, worker_enabled=False) as first:
            pool = Simulator(SimSettings(**{**_fields(settings), "gateway_url": first.ingress_url}))
            await pool.start()
            status, body = await first.operator(
                "POST", "/v1/numbers", {**number_registration(pool), "kind": "pool"}
            )
            assert status == 201, body
            pool.number_id = body["id"]  # type: ignore[attr-defined]
            sent = await pool.send(pool.user(user_wa_id, "Early"), "text", body="hello?")
            assert sent.ok
            (queued,) = await outbox(first.gateway.store, pool, user_wa_id)
            assert queued.state == "pending" and queued.kind == "not_activated"
            assert told(pool, user_wa_id) == []
        async with running_gateway(database_url) as second:
            assert await told_eventually(pool, user_wa_id, 1) == [NOT_ACTIVATED]

            # The sim has the message a moment before the worker records it as sent.
            async def recorded_sent() -> bool:
                (done,) = await outbox(second.gateway.store, pool, user_wa_id)
                return done.state == "sent"

            assert await eventually(recorded_sent)
    finally:
        if pool is not None:
            await pool.stop()


def _fields(settings: SimSettings) -> dict[str, object]:
    return {name: getattr(settings, name) for name in SimSettings.__dataclass_fields__}


@pytest.mark.e2e  # a slow number's notices take seconds, on purpose
async def test_a_slow_number_s_notices_do_not_hold_up_another_number_s(
    database_url: str,
) -> None:
    """One pool number's Graph API takes 3 s a send: its notices are sent two at a time (its
    share), and another number's notice, queued after them, goes out at once. (Before, the
    worker sent a claimed batch and waited for all of it: the other number waited too.)"""
    settings = {"notice_concurrency": 3, "notice_per_number_concurrency": 2}
    async with running_gateway(database_url, **settings) as gateway:
        async with pool_sim(gateway) as slow, pool_sim(gateway, "15550008888") as quick:
            slow.slow_sends(3.0)
            senders = [slow.user(f"491510000090{n}", "Waiting") for n in range(4)]
            for user in senders:
                assert (await slow.send(user, "text", body="hello?")).ok

            async def slow_ones_under_way() -> bool:
                return slow.graph.sends_waiting >= 2

            await eventually(slow_ones_under_way)
            started = time.monotonic()
            user = quick.user("4915100000099", "Quick")
            assert (await quick.send(user, "text", body="hello?")).ok
            assert await told_eventually(quick, user.wa_id, 1) == [NOT_ACTIVATED]
            took = time.monotonic() - started
            assert took < 1.5, f"the other number's notice took {took:.1f} s"
            for waiting in senders:  # every slow notice goes out in the end, two at a time
                assert await told_eventually(slow, waiting.wa_id, 1) == [NOT_ACTIVATED]
            assert slow.graph.most_sends_waiting == 2
