"""Every WAHOOKS_* option in one Settings model: default, one-line doc, validation.

Precedence: WAHOOKS_* environment variables win over the TOML config file
(WAHOOKS_CONFIG or ``--config``), the file wins over defaults. The options are grouped by
area in this package's modules; ``from wahooks.config import Settings`` is the way in.
"""

from wahooks.config.delivery import (
    APP_RETRY_SCHEDULE,
    DEFAULT_RETRY_SCHEDULE,
    MAX_RETRY_ATTEMPTS,
    MAX_RETRY_DELAY_S,
    validate_retry_schedule,
)
from wahooks.config.loading import ENV_PREFIX, describe_options, load_settings
from wahooks.config.settings import Settings

__all__ = [
    "APP_RETRY_SCHEDULE",
    "DEFAULT_RETRY_SCHEDULE",
    "ENV_PREFIX",
    "MAX_RETRY_ATTEMPTS",
    "MAX_RETRY_DELAY_S",
    "Settings",
    "describe_options",
    "load_settings",
    "validate_retry_schedule",
]
