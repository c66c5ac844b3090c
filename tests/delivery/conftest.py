"""The delivery tests' own servers: a moto server for the SQS destinations (one per test
process; each test makes queues of its own on it)."""

from collections.abc import Iterator

import pytest

from tests.moto_servers import moto_server


@pytest.fixture(scope="session")
def sqs_endpoint() -> Iterator[str]:
    with moto_server() as endpoint:
        yield endpoint
