"""The outbox of replies the gateway itself sends (activation notices)."""

from collections.abc import Sequence

from wahooks.store import notice_ops, number_ops
from wahooks.store.area import Area


class Notices(Area):
    async def claim(
        self, *, limit: int, lease_s: float, busy: Sequence[str] = ()
    ) -> list[notice_ops.NoticeJob]:
        """``busy``: numbers whose notices are not to be claimed now."""
        now = self.clock()
        return await self.connector.transaction(
            notice_ops.claim_notices(
                now,
                now + lease_s,
                limit,
                lambda row: number_ops.number_from_row(row, self.keyring),
                busy,
            )
        )

    async def finish(self, seq: int, *, sent: bool, error: str | None = None) -> None:
        await self.connector.transaction(
            notice_ops.finish_notice(seq, sent=sent, error=error, now=self.clock())
        )

    async def retry(self, seq: int, delay_s: float, error: str) -> None:
        now = self.clock()
        await self.connector.transaction(notice_ops.retry_notice(seq, now + delay_s, error, now))

    async def sent_to(self, number_id: str, wa_id: str) -> list[notice_ops.NoticeRecord]:
        return await self.connector.read(notice_ops.notices_to(number_id, wa_id))
