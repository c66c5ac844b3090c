"""Statuses of messages sent elsewhere (a bot that sends through the Graph API itself and
receives through us): published once they have waited ``external_status_grace_s`` for a send
of ours to claim them, since Meta's status webhook can outrun our own send's answer.
"""

import logging

from wahooks.background import Loop
from wahooks.store import Store

log = logging.getLogger(__name__)

BATCH = 100


class ExternalStatuses:
    def __init__(self, store: Store, *, grace_s: float) -> None:
        self._store = store
        self._grace_s = grace_s
        # Looked for a few times per grace period, at most every 5 s.
        self._poll_s = min(5.0, max(0.05, grace_s / 4))
        self._loop = Loop("external-statuses")

    async def start(self) -> None:
        self._loop.start(self._run)

    async def stop(self) -> None:
        await self._loop.stop()

    async def _run(self) -> None:
        while not self._loop.stopping:
            try:
                while (
                    await self._store.inbound.publish_external_statuses(self._grace_s, BATCH)
                    == BATCH
                    and not self._loop.stopping
                ):
                    pass
            except Exception:
                log.exception("publishing statuses of messages sent elsewhere failed; retrying")
            await self._loop.pause(self._poll_s)
