"""The overview: what needs attention now, and (charts.py) how deliveries went lately."""

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from wahooks.dashboard.attention import destination_concerns, number_concerns
from wahooks.dashboard.nav import require
from wahooks.dashboard.render import render
from wahooks.dashboard.scope import destinations_of, numbers_of
from wahooks.dashboard.sessions import current_session
from wahooks.gateway import gateway_of


async def overview(request: Request) -> Response:
    session = await current_session(request)
    require(session, "overview")
    gateway = gateway_of(request)
    destinations = await destinations_of(gateway, session)
    numbers = await numbers_of(gateway, session)
    concerns = destination_concerns(destinations) + number_concerns(numbers)
    return render(
        request, "overview.html", session=session, page="overview",
        concerns=concerns, destinations=destinations, numbers=numbers,
    )  # fmt: skip


routes = [Route("/overview", overview, methods=["GET"])]
