"""Sending fixtures: the gateway trusts a test CA, so media URLs can be real HTTPS servers
on loopback addresses."""

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
import trustme

from tests.conftest import RunningGateway, running_gateway
from tests.send.files import FileServer


@pytest.fixture(scope="session")
def tls_ca() -> trustme.CA:
    return trustme.CA()


@pytest.fixture(scope="session")
def ca_file(tls_ca: trustme.CA, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    path = tmp_path_factory.mktemp("ca") / "ca.pem"
    tls_ca.cert_pem.write_to_path(str(path))
    yield path


@pytest.fixture
async def gateway(database_url: str, ca_file: Path) -> AsyncIterator[RunningGateway]:
    """The shared gateway, trusting the test CA besides the system's."""
    async with running_gateway(database_url, outbound_ca_file=str(ca_file)) as running:
        yield running


@pytest.fixture
async def files(tls_ca: trustme.CA) -> AsyncIterator[FileServer]:
    server = await FileServer(tls_ca).start()
    yield server
    await server.stop()
