"""Templates: one Jinja2 environment over ``templates/``, autoescaping everything.

``render`` gives every template what the layout needs (``base``, the session, its
navigation, its CSRF token, the current page); ``fragment`` renders a template's part alone
for a live update (sse.py). Templates extend ``base.html`` and fill ``content``.
"""

from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape
from starlette.requests import Request
from starlette.responses import HTMLResponse

from wahooks.dashboard.nav import entries_for
from wahooks.dashboard.sessions import Session
from wahooks.times import iso_time

BASE = "/dashboard"  # where create_app mounts the dashboard


def _when(ts: float | None) -> str:
    """A time as the page shows it: ISO 8601 to the second, UTC."""
    text = iso_time(ts)
    return "—" if text is None else text[:19].replace("T", " ") + " UTC"


def _environment() -> Environment:
    env = Environment(
        loader=PackageLoader("wahooks.dashboard", "templates"),
        autoescape=select_autoescape(default=True, default_for_string=True),
        undefined=StrictUndefined,  # a misspelt variable is an error, not an empty string
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["when"] = _when
    env.globals["base"] = BASE
    return env


# Read-only once built (templates load on first use and are cached by Jinja2).
ENVIRONMENT = _environment()


def render(
    request: Request,
    template: str,
    *,
    session: Session | None,
    page: str = "",
    status_code: int = 200,
    **context: Any,
) -> HTMLResponse:
    html = ENVIRONMENT.get_template(template).render(
        request=request,
        session=session,
        nav=entries_for(session) if session is not None else [],
        csrf=session.csrf if session is not None else context.pop("csrf", ""),
        page=page,
        **context,
    )
    return HTMLResponse(html, status_code=status_code)


def fragment(template: str, **context: Any) -> str:
    """A template rendered alone (no layout): a live update's HTML."""
    return ENVIRONMENT.get_template(template).render(**context)
