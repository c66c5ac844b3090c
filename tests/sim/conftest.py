"""Fixtures: a receiver standing in for the gateway's ingress, a simulator pointed at it."""

from __future__ import annotations

from collections.abc import AsyncIterator

import aiohttp
import pytest

from wahooks.sim import Simulator

from .helpers import Receiver, make_settings


@pytest.fixture
async def receiver() -> AsyncIterator[Receiver]:
    r = Receiver()
    await r.start()
    yield r
    await r.stop()


@pytest.fixture
async def sim(receiver: Receiver) -> AsyncIterator[Simulator]:
    async with Simulator(make_settings(receiver)) as s:
        yield s


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session
