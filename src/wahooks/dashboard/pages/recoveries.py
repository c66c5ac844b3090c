"""Recovering a time range: every failed delivery created in it queued again, by the
background job of ``POST /v1/deliveries/recover``; its page follows the job's progress live
(SSE) until it is done."""

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from wahooks.api.deliveries import RecoverIn, get_recovery, recover
from wahooks.dashboard import forms
from wahooks.dashboard.csrf import checked_form
from wahooks.dashboard.nav import page_session, require
from wahooks.dashboard.pages.deliveries import PAGE, utc
from wahooks.dashboard.render import BASE, fragment, render
from wahooks.dashboard.scope import tenant_of
from wahooks.dashboard.sessions import current_session
from wahooks.dashboard.sse import Fragments, fragment_stream, no_more, stream_session
from wahooks.errors import InvalidRequest


async def start(request: Request) -> Response:
    session = await page_session(request, PAGE)
    form = await checked_form(request, session)
    try:
        body = forms.build(
            RecoverIn,
            {
                "since": utc(forms.text(form, "since")),
                "until": utc(forms.text(form, "until")),
                "destinationId": forms.text(form, "destination"),
            },
        )
        job = await recover(body, request, tenant_of(session))
    except InvalidRequest as refused:
        return render(
            request, "error.html", session=session, page=PAGE, status_code=400,
            status=400, code=refused.code, message=refused.message,
        )  # fmt: skip
    return RedirectResponse(f"{BASE}/deliveries/recoveries/{job.id}", status_code=303)


async def job_page(request: Request) -> Response:
    session = await page_session(request, PAGE)
    job = await get_recovery(request.path_params["id"], request, tenant_of(session))
    return render(
        request, "recovery.html", session=session, page=PAGE, job=job,
        stream=f"{BASE}/deliveries/recoveries/{job.id}/stream",
    )  # fmt: skip


async def job_stream(request: Request) -> Response:
    session = await stream_session(request)
    if session is None:
        return no_more()
    require(session, PAGE)
    job_id = request.path_params["id"]
    await get_recovery(job_id, request, tenant_of(session))  # 404 before streaming

    async def produce() -> Fragments:
        again = await current_session(request)
        job = await get_recovery(job_id, request, tenant_of(again))
        return {"progress": fragment("recovery_progress.html", job=job, base=BASE)}

    return fragment_stream(request, produce)


routes = [
    Route("/deliveries/recover", start, methods=["POST"]),
    Route("/deliveries/recoveries/{id}", job_page, methods=["GET"]),
    Route("/deliveries/recoveries/{id}/stream", job_stream, methods=["GET"]),
]
