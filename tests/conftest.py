"""Shared fixtures: databases (SQLite always, PostgreSQL when configured), a running gateway
on 127.0.0.1, the Cloud API simulator, and the sample receiver."""

import asyncio
import contextlib
import hashlib
import os
import shutil
import tempfile
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import asyncpg
import pytest
import trustme
from aiohttp.abc import AbstractResolver

from tests.send.files import FileServer
from wahooks.accounts import issue_operator_key, issue_tenant_key
from wahooks.app import create_app
from wahooks.config import Settings
from wahooks.demo.receiver import Receiver
from wahooks.demo.registration import number_registration
from wahooks.gateway import Gateway
from wahooks.http_limits import timed_http_protocol
from wahooks.ids import new_id
from wahooks.media.addresses import LOOPBACK_NETWORKS
from wahooks.models import Clock
from wahooks.server import serve_in_background
from wahooks.sim import SimSettings, Simulator
from wahooks.store.migrate import upgrade

PG_URL = os.environ.get("WAHOOKS_TEST_POSTGRES_URL")
FIXTURES = Path(__file__).parent / "fixtures"
# PostgreSQL needs WAHOOKS_SECRET_KEYS (every process shares it); SQLite tests use the key file
# the gateway generates next to the database, as a default installation does.
TEST_SECRET_KEY = "4kmRCYnnNEZ3KLtX6dNMWtG7BN2u_v1XuIfDyZM2ZYU="
# Meta Cloud API notifications written from Meta's documented webhook format (build.py there).
META_FIXTURES = FIXTURES / "meta"


# Each PostgreSQL test gets its own database, copied from one migrated template: creating and
# migrating a database per test cost ~0.9 s of the 2 cores, the copy a fraction of it. The
# template is named after the migrations, so a changed history builds a new one.
_MIGRATIONS = Path(__file__).parents[1] / "src" / "wahooks" / "store" / "migrations"
_TEMPLATE_LOCK = 0x77616802
_template: str | None = None


def _template_name() -> str:
    digest = hashlib.sha256()
    for path in sorted(_MIGRATIONS.rglob("*.py")):
        digest.update(path.read_bytes())
    return "wahooks_template_" + digest.hexdigest()[:12]


async def _migrated_template(admin: asyncpg.Connection) -> str:
    """The template database, built once (one test process builds, the others wait)."""
    global _template
    if _template is not None:
        return _template
    name = _template_name()
    await admin.execute("SELECT pg_advisory_lock($1)", _TEMPLATE_LOCK)
    try:
        if not await admin.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", name):
            building = name + "_building"
            await admin.execute(f'DROP DATABASE IF EXISTS "{building}" WITH (FORCE)')
            await admin.execute(f'CREATE DATABASE "{building}"')
            await upgrade(PG_URL.rsplit("/", 1)[0] + "/" + building)  # type: ignore[union-attr]
            await admin.execute(f'ALTER DATABASE "{building}" RENAME TO "{name}"')
    finally:
        await admin.execute("SELECT pg_advisory_unlock($1)", _TEMPLATE_LOCK)
    _template = name
    return name


@contextlib.asynccontextmanager
async def postgres_database(*, migrated: bool = True) -> AsyncIterator[str]:
    """A fresh PostgreSQL database for one test, dropped afterwards: migrated to the newest
    schema (copied from the template), or empty (``migrated=False``, for the migrations)."""
    if not PG_URL:
        if os.environ.get("CI"):
            pytest.fail("CI must set WAHOOKS_TEST_POSTGRES_URL")
        pytest.skip("set WAHOOKS_TEST_POSTGRES_URL to run against PostgreSQL")
    name = "wahooks_test_" + uuid.uuid4().hex[:12]
    admin = await asyncpg.connect(PG_URL)
    try:
        template = f' TEMPLATE "{await _migrated_template(admin)}"' if migrated else ""
        await admin.execute(f'CREATE DATABASE "{name}"{template}')
    finally:
        await admin.close()
    try:
        yield PG_URL.rsplit("/", 1)[0] + "/" + name
    finally:
        admin = await asyncpg.connect(PG_URL)
        try:
            await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            await admin.close()


_sqlite_template: Path | None = None


async def migrated_sqlite_file(path: Path) -> None:
    """A migrated SQLite database at ``path``, copied from one built once per test process:
    migrating a new file costs ~0.2 s, a copy a millisecond (the gateway's own start still
    runs the migrations, which find nothing to do)."""
    global _sqlite_template
    if _sqlite_template is None:
        folder = Path(tempfile.mkdtemp(prefix="wahooks-test-template-"))
        built = folder / (_template_name() + ".db")
        await upgrade(f"sqlite:///{built}")
        _sqlite_template = built
    shutil.copyfile(_sqlite_template, path)
    os.chmod(path, 0o600)


@pytest.fixture(params=["sqlite", "postgres"])
async def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[str]:
    if request.param == "sqlite":
        await migrated_sqlite_file(tmp_path / "wahooks.db")
        yield f"sqlite:///{tmp_path}/wahooks.db"
        return
    async with postgres_database() as url:
        yield url


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path}/wahooks.db"


def secret_settings(database_url: str) -> dict[str, Any]:
    """The secret-key settings a test gateway on ``database_url`` needs."""
    return {} if database_url.startswith("sqlite") else {"secret_keys": (TEST_SECRET_KEY,)}


@dataclass
class RunningGateway:
    url: str
    gateway: Gateway
    tenant_id: str
    api_key: str
    http: aiohttp.ClientSession
    operator_key: str
    # A Graph API for numbers registered without a simulator of their own (number_body in
    # tests/api/helpers.py): it proves their ownership, and sends nothing to the gateway.
    graph: Simulator

    @property
    def ingress_url(self) -> str:
        return self.url + "/ingress/meta"

    async def api(self, method: str, path: str, json: Any = None, **kw: Any) -> tuple[int, Any]:
        headers = {"Authorization": f"Bearer {self.api_key}", **kw.pop("headers", {})}
        async with self.http.request(
            method, self.url + path, json=json, headers=headers, **kw
        ) as response:
            body = await response.read()
            try:
                return response.status, (await response.json()) if body else None
            except aiohttp.ContentTypeError:
                return response.status, body.decode()

    async def operator(
        self, method: str, path: str, json: Any = None, **kw: Any
    ) -> tuple[int, Any]:
        """``api`` with the operator's key."""
        headers = {"Authorization": f"Bearer {self.operator_key}", **kw.pop("headers", {})}
        return await self.api(method, path, json, headers=headers, **kw)


@contextlib.asynccontextmanager
async def running_gateway(
    database_url: str,
    *,
    clock: Clock = time.time,
    resolver: AbstractResolver | None = None,
    **settings: Any,
) -> AsyncIterator[RunningGateway]:
    """``clock``: the gateway's notion of now (retries, leases, health), for tests that move
    time forward instead of sleeping. ``resolver`` answers its outbound name lookups instead
    of the system's (a test that must never ask DNS)."""
    values = {
        "dispatch_poll_interval_s": 0.05,
        "retry_jitter": 0.0,
        # Each failure follows the destination's schedule alone: the tests of schedules,
        # Retry-After and failing read it plainly. tests/delivery/test_circuits.py (and the
        # restart test) turn circuits and retries in place back on.
        "circuit_open_after_failures": 0,
        "retry_in_place_delays_s": (),
        "media_url": f"file://{tempfile.mkdtemp(prefix='wahooks-test-media-')}",
        "outbound_allow_networks": LOOPBACK_NETWORKS,
        # No periodic Graph API health checks unless a test asks: a number registered with
        # the default (Meta's) Graph URL must never be called from a test.
        "number_health_interval_s": 0,
        **secret_settings(database_url),
        **settings,
    }
    config = Settings(database_url=database_url, **values)
    app = create_app(config, clock=clock, resolver=resolver)
    server = serve_in_background(
        app,
        ws_ping_interval=config.socket_ping_interval_s,
        ws_ping_timeout=config.socket_ping_timeout_s,
        ws_max_size=config.inline_body_bytes,
        http_protocol=timed_http_protocol(config.http_header_timeout_s, config.http_body_timeout_s),
    )
    graph = Simulator(SimSettings(phone_number_id=str(10**14 + uuid.uuid4().int % 10**13)))
    async with server as url, aiohttp.ClientSession() as http, graph:
        gateway: Gateway = app.state.gateway
        tenant = await gateway.store.tenants.create_tenant(new_id("ten"), "test tenant")
        key = (await issue_tenant_key(gateway.store, tenant.id)).key
        operator_key = (await issue_operator_key(gateway.store, "tests")).key
        yield RunningGateway(url, gateway, tenant.id, key, http, operator_key, graph)


@pytest.fixture
async def gateway(database_url: str) -> AsyncIterator[RunningGateway]:
    async with running_gateway(database_url) as running:
        yield running


@pytest.fixture
async def receiver() -> AsyncIterator[Receiver]:
    r = Receiver()
    await r.start()
    yield r
    await r.stop()


@contextlib.asynccontextmanager
async def registered_sim(
    gateway: RunningGateway, *, status_delays_s: tuple[float, ...] = (0.01, 0.02, 0.03)
) -> AsyncIterator[Simulator]:
    """A simulator with its own phone number id, registered on ``gateway``; its number's
    id on the gateway is ``sim.number_id``. ``status_delays_s``: when a send's statuses (or
    its failure, at the first delay) follow it."""
    settings = SimSettings(
        gateway_url=gateway.ingress_url,
        phone_number_id=str(10**14 + uuid.uuid4().int % 10**13),
        status_delays_s=status_delays_s,
    )
    async with Simulator(settings) as simulator:
        status, body = await gateway.api("POST", "/v1/numbers", number_registration(simulator))
        assert status == 201, body
        simulator.number_id = body["id"]  # type: ignore[attr-defined]
        yield simulator


@contextlib.asynccontextmanager
async def gateway_with_sim(
    database_url: str, **settings: Any
) -> AsyncIterator[tuple[RunningGateway, Simulator]]:
    """A gateway with its own settings and a registered simulator: for tests that need
    settings the shared fixtures do not have."""
    async with running_gateway(database_url, **settings) as gateway:
        async with registered_sim(gateway) as simulator:
            yield gateway, simulator


@pytest.fixture
async def sim(gateway: RunningGateway) -> AsyncIterator[Simulator]:
    """A simulator whose number is registered on the gateway."""
    async with registered_sim(gateway) as simulator:
        yield simulator


register_body = number_registration


# --- HTTPS files: media by URL (sends, replies) -------------------------------------------


@pytest.fixture(scope="session")
def tls_ca() -> trustme.CA:
    return trustme.CA()


@pytest.fixture(scope="session")
def ca_file(tls_ca: trustme.CA, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The test CA as a PEM file, for ``outbound_ca_file``: a gateway trusting it fetches
    from the ``files`` server."""
    path = tmp_path_factory.mktemp("ca") / "ca.pem"
    tls_ca.cert_pem.write_to_path(str(path))
    return path


@pytest.fixture
async def files(tls_ca: trustme.CA) -> AsyncIterator[FileServer]:
    server = await FileServer(tls_ca).start()
    yield server
    await server.stop()


async def add_destination(gateway: RunningGateway, receiver: Receiver, **fields: Any) -> Any:
    status, body = await gateway.api(
        "POST", "/v1/destinations", {"url": receiver.url, "label": "support", **fields}
    )
    assert status == 201, body
    receiver.secret = body["secret"]
    return body


async def eventually(check: Callable[[], Awaitable[Any]], timeout: float = 10.0) -> Any:
    """Poll ``check`` until it returns something truthy; fail after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        result = await check()
        if result:
            return result
        assert time.monotonic() < deadline, "condition not reached in time"
        await asyncio.sleep(0.02)


async def when(value: Awaitable[Any], predicate: Callable[[Any], Any]) -> Any:
    """``value`` once awaited if ``predicate`` holds for it, else None (for ``eventually``)."""
    got = await value
    return got if predicate(got) else None
