"""Sending fixtures: the gateway trusts the test CA (tests/conftest.py), so media URLs can be
real HTTPS servers on loopback addresses."""

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.conftest import RunningGateway, running_gateway


@pytest.fixture
async def gateway(database_url: str, ca_file: Path) -> AsyncIterator[RunningGateway]:
    """The shared gateway, trusting the test CA besides the system's."""
    async with running_gateway(database_url, outbound_ca_file=str(ca_file)) as running:
        yield running
