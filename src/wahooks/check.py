"""``wahooks check``: the settings load, the database answers (and is brought to the newest
schema, as ``serve`` would), and each number's access token reads its phone-number node
through the Graph API. One line per check; the exit status says whether all passed.
"""

import asyncio
from collections.abc import Callable

from wahooks.config import Settings
from wahooks.media.addresses import AddressPolicy
from wahooks.media.guard import guarded_session
from wahooks.numberhealth import HEALTHY, classify
from wahooks.preflight import check_database, without_password
from wahooks.secrets import open_keyring
from wahooks.send.graph import GraphClient, GraphError
from wahooks.store import open_store
from wahooks.store.migrate import head_revision

Say = Callable[[str], None]


async def check(settings: Settings, say: Say) -> bool:
    """True when every check passed. A ConfigError (settings, keys, database) propagates:
    the CLI prints it as one line and exits 2."""
    open_keyring(settings.database_url, settings.secret_keys)
    await check_database(settings.database_url)
    store = await open_store(settings)
    try:
        version = await store.schema_version()
        say(f"database  ok   {without_password(settings.database_url)} (schema {version})")
        ok = version == head_revision()
        numbers = await store.numbers.all()
        if not numbers:
            say("numbers   -    none registered")
        policy = AddressPolicy.allowing(
            settings.outbound_allow_networks, public=settings.outbound_allow_public
        )
        async with guarded_session(policy) as session:
            graph = GraphClient(session, timeout_s=settings.graph_timeout_s, retry_delays_s=())
            for number in numbers:
                answer, error = None, None
                try:
                    answer = await graph.phone_number(number)
                except GraphError as exc:
                    error = exc
                health, detail = classify(answer, error)
                mark = "ok  " if health == HEALTHY else "FAIL"
                say(f"number    {mark} {number.id} {number.display_phone_number}: {detail}")
                ok = ok and health == HEALTHY
        return ok
    finally:
        await store.close()


def run_check(settings: Settings) -> int:
    return 0 if asyncio.run(check(settings, print)) else 1
