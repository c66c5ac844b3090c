"""Options of the browser dashboard at /dashboard: how long a session lasts, how often its
live parts refresh."""

from pydantic import Field

from wahooks.config.base import Options


class DashboardOptions(Options):
    """Dashboard sessions and live updates."""

    dashboard_session_ttl_s: float = Field(
        8 * 3600,
        ge=60,
        le=30 * 86400,
        description="A dashboard sign-in lasts this long, then asks for the key again (s).",
    )
    dashboard_refresh_s: float = Field(
        5,
        ge=0.2,
        le=300,
        description="How often the dashboard's live parts (charts, job progress) refresh (s).",
    )
    dashboard_stream_s: float = Field(
        60,
        ge=1,
        le=3600,
        description="One live-update stream lasts this long before the browser reopens it, "
        "so a shutdown never waits on an open page (s).",
    )
