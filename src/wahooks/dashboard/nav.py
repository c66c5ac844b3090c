"""The navigation: which pages each kind of key sees, in the order the bar lists them.

A page not listed for a kind is refused to it as well (``require``), exactly as the REST
API refuses the key: deliveries are a tenant key's, say, so an App key sees neither the link
nor the page. A new page adds its entry here.
"""

from dataclasses import dataclass

from starlette.requests import HTTPConnection

from wahooks.dashboard.sessions import Session, current_session
from wahooks.errors import Forbidden
from wahooks.models import KeyKind

TENANT, APP, OPERATOR = KeyKind.TENANT, KeyKind.APP, KeyKind.OPERATOR


@dataclass(frozen=True, slots=True)
class NavEntry:
    name: str  # the page's key, which its template names as ``page``
    label: str
    path: str  # under /dashboard
    kinds: frozenset[KeyKind]


NAV = (
    NavEntry("overview", "Overview", "/overview", frozenset({TENANT, APP, OPERATOR})),
    NavEntry("destinations", "Destinations", "/destinations", frozenset({TENANT, APP})),
    NavEntry("deliveries", "Deliveries", "/deliveries", frozenset({TENANT})),
    NavEntry("conversations", "Conversations", "/conversations", frozenset({TENANT, APP})),
    NavEntry("numbers", "Numbers", "/numbers", frozenset({TENANT, APP, OPERATOR})),
    NavEntry("apps", "Apps & keys", "/apps", frozenset({TENANT})),
    NavEntry("console", "Console", "/console", frozenset({OPERATOR})),
)
_BY_NAME = {entry.name: entry for entry in NAV}


def entries_for(session: Session) -> list[NavEntry]:
    return [entry for entry in NAV if session.kind in entry.kinds]


def require(session: Session, page: str) -> None:
    """Forbidden unless ``page`` is for this session's kind of key."""
    if session.kind not in _BY_NAME[page].kinds:
        raise Forbidden(f"the {_BY_NAME[page].label} page is not for an {session.kind.value} key")


async def page_session(connection: HTTPConnection, page: str) -> Session:
    """The signed-in session, if ``page`` is for its kind of key: each page's first call."""
    session = await current_session(connection)
    require(session, page)
    return session
