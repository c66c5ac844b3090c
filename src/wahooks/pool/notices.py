"""What the gateway says to a pool number's senders, and how often it may say it.

Notices are stored in the ingest's own transaction (the ``notices`` outbox) and sent by
``NoticeWorker`` (pool/worker.py) through the number's Graph API, so a crash between the two
loses none.
"""

from dataclasses import dataclass, field

from wahooks.config import Settings
from wahooks.models import NoticeKind as NoticeKind
from wahooks.models import NoticeRules

# Replies to someone who keeps writing without an activation: one per period.
QUIET_KINDS = frozenset({NoticeKind.NOT_ACTIVATED, NoticeKind.DEACTIVATED})
# Replies about codes: a few per period, enough for typos, never a flood.
CODE_REPLIES_PER_PERIOD = 5


def _defaults() -> dict[NoticeKind, str]:
    return NoticePolicy.texts_from(Settings())


@dataclass(frozen=True, slots=True, kw_only=True)
class NoticePolicy:
    texts: dict[NoticeKind, str] = field(default_factory=_defaults)
    interval_s: float = 3600.0

    @staticmethod
    def texts_from(settings: Settings) -> dict[NoticeKind, str]:
        return {
            NoticeKind.ACTIVATED: settings.notice_activated_text,
            NoticeKind.ALREADY_ACTIVE: settings.notice_already_active_text,
            NoticeKind.TAKEN: settings.notice_taken_text,
            NoticeKind.CODE_USED: settings.notice_code_used_text,
            NoticeKind.CODE_EXPIRED: settings.notice_code_expired_text,
            NoticeKind.CODE_UNKNOWN: settings.notice_code_unknown_text,
            NoticeKind.NOT_ACTIVATED: settings.notice_not_activated_text,
            NoticeKind.DEACTIVATED: settings.notice_deactivated_text,
        }

    @classmethod
    def from_settings(cls, settings: Settings) -> "NoticePolicy":
        return cls(texts=cls.texts_from(settings), interval_s=settings.notice_interval_s)

    def rules(self) -> NoticeRules:
        """The policy as data, for the ingest transaction to apply."""
        return NoticeRules(
            texts=dict(self.texts),
            limits={kind: self.limit(kind) for kind in NoticeKind},
            interval_s=self.interval_s,
        )

    def limit(self, kind: NoticeKind) -> int | None:
        """How many notices of ``kind`` one sender may get per period; None: no limit."""
        if kind is NoticeKind.ACTIVATED:
            return None
        return 1 if kind in QUIET_KINDS else CODE_REPLIES_PER_PERIOD
