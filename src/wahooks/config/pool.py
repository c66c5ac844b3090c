"""Options of pool numbers: activation codes and the replies (notices) sent to their
senders; every reply text can be changed."""

from pydantic import Field

from wahooks.config.base import Options


class PoolOptions(Options):
    """Activation codes and the notices sent to pool numbers' senders."""

    activation_code_ttl_s: float = Field(
        900, ge=1, le=7 * 86400, description="How long an activation code can be used (s)."
    )
    activation_max_pending: int = Field(
        20, ge=1, le=1000, description="Unexpired activation codes a tenant may hold at once."
    )
    notice_activated_text: str = Field(
        "✅ Activated: your messages to this number now reach your bot.",
        min_length=1,
        max_length=4096,
        description="Reply to a sender whose activation code bound them.",
    )
    notice_already_active_text: str = Field(
        "This number is already activated for you.",
        min_length=1,
        max_length=4096,
        description="Reply to an activated sender who sends a code of the same account again.",
    )
    notice_taken_text: str = Field(
        "You are already activated on this number for another account: deactivate that "
        "activation first.",
        min_length=1,
        max_length=4096,
        description="Reply to a sender activated for another tenant on this number who sends "
        "a new code (one account per sender per number).",
    )
    notice_code_used_text: str = Field(
        "This activation code was already used. Request a new one.",
        min_length=1,
        max_length=4096,
        description="Reply to an activation code that was already used.",
    )
    notice_code_expired_text: str = Field(
        "This activation code has expired. Request a new one.",
        min_length=1,
        max_length=4096,
        description="Reply to an expired (or cancelled) activation code.",
    )
    notice_code_unknown_text: str = Field(
        "This activation code is not valid for this number. Check it, or request a new one.",
        min_length=1,
        max_length=4096,
        description="Reply to a message that is only a code matching none of this number's.",
    )
    notice_not_activated_text: str = Field(
        "This number is not activated for you: send your activation code to start.",
        min_length=1,
        max_length=4096,
        description="Reply to a message from a sender nobody activated (rate-limited).",
    )
    notice_deactivated_text: str = Field(
        "Your activation on this number has ended: messages are no longer delivered.",
        min_length=1,
        max_length=4096,
        description="Reply to a message from a deactivated sender (rate-limited).",
    )
    notice_interval_s: float = Field(
        3600,
        ge=0,
        le=30 * 86400,
        description="Not-activated/deactivated replies: at most one per sender, number and "
        "kind in this period; code replies at most 5 (s).",
    )
    notice_attempts: int = Field(
        6, ge=1, le=50, description="Tries to send one notice before it is marked failed."
    )
    notice_backoff_s: float = Field(
        2.0, ge=0, le=3600, description="First retry delay of a notice; doubles each try (s)."
    )
    notice_concurrency: int = Field(
        16, ge=1, le=256, description="Notices being sent at once in this process."
    )
    notice_per_number_concurrency: int = Field(
        4,
        ge=1,
        le=256,
        description="Of those, at most this many through one number, so a number whose "
        "Graph API is slow does not delay other numbers' notices.",
    )
