"""create_app(settings): builds the store, HTTP client, ingress, API and dispatcher.

Nothing registers itself globally: each call makes an independent gateway, which is what
lets the demo and the tests run several in one process.
"""

import random
import ssl
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

from aiohttp.abc import AbstractResolver
from fastapi import FastAPI
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Mount, Route, WebSocketRoute

from wahooks import __version__
from wahooks.api import (
    activations,
    app_messages,
    apps,
    conversations,
    deliveries,
    destinations,
    health,
    keys,
    media,
    messages,
    numbers,
    processes,
    templates,
    tenants,
    upload,
)
from wahooks.api.docs import install_docs
from wahooks.api.errors import install_error_handlers
from wahooks.api.limits import BodySizeLimit
from wahooks.api.nul import NulGuard
from wahooks.api.openapi import DESCRIPTION, WahooksApi, tag_descriptions
from wahooks.api.request_log import RequestLog
from wahooks.api.socket import socket_endpoint
from wahooks.config import Settings
from wahooks.dashboard.limits import DashboardBodyLimit
from wahooks.dashboard.site import DASHBOARD_PATH, attach, create_dashboard, to_dashboard
from wahooks.delivery.alerts import AlertMailer
from wahooks.delivery.brokers.pool import BrokerPool
from wahooks.delivery.brokers.sender import BrokerSender
from wahooks.delivery.dispatcher import Dispatcher
from wahooks.delivery.peers import Peers
from wahooks.delivery.recovery import RecoveryJobs
from wahooks.delivery.senders import Senders
from wahooks.delivery.webhook import WebhookSender
from wahooks.errors import ConfigError
from wahooks.gateway import Gateway, gateway_of
from wahooks.ingress.external import ExternalStatuses
from wahooks.ingress.meta import MetaIngress
from wahooks.ingress.numbers import NumberDirectory
from wahooks.media.addresses import AddressPolicy
from wahooks.media.fetch import FetchPolicy, MediaFetcher
from wahooks.media.guard import guarded_session
from wahooks.media.intake import MediaIntake
from wahooks.media.jobs import MediaJobs
from wahooks.media.limits import MAX_MEDIA_BYTES
from wahooks.media.links import MediaLinks
from wahooks.media.stores import open_blob_store
from wahooks.metrics import Metrics
from wahooks.models import Clock
from wahooks.numberhealth import NumberHealth
from wahooks.ownership import OwnershipProof
from wahooks.pool.notices import NoticePolicy
from wahooks.pool.worker import NoticeWorker
from wahooks.send.apps import AppMessenger
from wahooks.send.graph import GraphClient
from wahooks.send.media import MediaSender
from wahooks.send.messenger import Messenger
from wahooks.send.replies import ReplySender
from wahooks.shares import FairShares
from wahooks.socket.hub import Hub
from wahooks.store import open_store

# Connections kept to receivers; deliveries to one host reuse them.
HTTP_POOL_SIZE = 512
# Room in an upload's body for the multipart framing and its small fields.
UPLOAD_OVERHEAD_BYTES = 1024 * 1024
# The REST API's modules, in the order the docs list them (and their routes are matched);
# each module's docstring describes its tag.
API_MODULES = (
    numbers, destinations, deliveries, conversations, messages, media, upload, activations,
    health, processes, tenants, keys, apps, app_messages, templates,
)  # fmt: skip
API_ROUTERS = (*(module.router for module in API_MODULES), apps.own_router)


def outbound_tls(ca_file: str) -> ssl.SSLContext | bool:
    """The system's trusted CAs, plus those of `ca_file` if set; True: aiohttp's default."""
    if not ca_file:
        return True
    context = ssl.create_default_context()
    try:
        context.load_verify_locations(cafile=ca_file)
    except (OSError, ssl.SSLError) as exc:
        raise ConfigError(f"outbound_ca_file {ca_file!r}: {exc}") from exc
    return context


async def _meta_handshake(request: Request) -> Response:
    return await gateway_of(request).ingress.handshake(request)


async def _meta_receive(request: Request) -> Response:
    return await gateway_of(request).ingress.receive(request)


def create_app(
    settings: Settings,
    *,
    clock: Clock = time.time,
    rand: Callable[[], float] = random.random,
    resolver: AbstractResolver | None = None,
) -> FastAPI:
    """``resolver`` replaces the system's name lookup for outbound requests (tests give one
    that never asks DNS); the SSRF guard vets its answers all the same."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        store = await open_store(settings, clock=clock)
        blobs = await open_blob_store(settings.media_url, settings)
        # Every outbound connection (webhooks, Graph API, media) goes through the SSRF guard:
        # their URLs come from tenants. WAHOOKS_OUTBOUND_ALLOW_NETWORKS opens it for development.
        policy = AddressPolicy.allowing(
            settings.outbound_allow_networks, public=settings.outbound_allow_public
        )
        session = guarded_session(
            policy,
            resolver=resolver,
            connector_options={
                "limit": HTTP_POOL_SIZE,
                "limit_per_host": 0,
                "ssl": outbound_tls(settings.outbound_ca_file),
            },
            skip_auto_headers=("User-Agent",),
        )
        sender = WebhookSender(session, excerpt_bytes=settings.response_excerpt_bytes, clock=clock)
        # Message-bus destinations: a connection each, their brokers' addresses vetted by the
        # same policy (and resolver) as every outbound HTTP connection.
        senders = Senders(sender, BrokerSender(BrokerPool(policy, resolver=resolver), clock=clock))
        directory = NumberDirectory(store)
        metrics = Metrics()
        metrics.info.labels(__version__).set(1)
        graph = GraphClient(
            session,
            timeout_s=settings.graph_timeout_s,
            retry_delays_s=settings.graph_retry_delays_s,
            metrics=metrics,
            shares=FairShares(settings.graph_concurrency, settings.graph_per_number_concurrency),
        )
        # Payloads' media links are signed with a key derived from the keyring's.
        links = MediaLinks.from_settings(settings, store.keyring)
        # This process in the process table, and its share of destinations' limits;
        # with others, sockets copy what theirs write.
        peers = Peers(
            store,
            worker=settings.worker_enabled,
            heartbeat_s=settings.process_heartbeat_s,
            clock=clock,
            alone=settings.is_sqlite,
        )
        hub = Hub(store, settings, clock=clock, links=links, fan_out=peers.shared)
        fetcher = MediaFetcher(session, blobs, FetchPolicy.from_settings(settings))
        media_jobs = MediaJobs(store, fetcher, blobs, settings) if settings.worker_enabled else None
        recovery = RecoveryJobs(store, settings) if settings.worker_enabled else None
        alerts = AlertMailer(store, settings, session) if settings.worker_enabled else None
        external = (
            ExternalStatuses(store, grace_s=settings.external_status_grace_s)
            if settings.worker_enabled
            else None
        )
        messenger = Messenger(store, graph, clock=clock)
        notices = NoticeWorker(store, graph, settings) if settings.worker_enabled else None
        number_health = NumberHealth(
            store, graph, interval_s=settings.number_health_interval_s, clock=clock
        )
        intake = MediaIntake(
            store, blobs, session, url_timeout_s=settings.media_url_timeout_s, clock=clock
        )
        media_sender = MediaSender(
            messenger, intake, blobs, graph, max_inline_bytes=settings.media_inline_max_bytes
        )
        dispatcher = (
            Dispatcher(
                store,
                senders,
                settings,
                replies=ReplySender(messenger, media_sender, store.deliveries.record_reply_failure),
                clock=clock,
                rand=rand,
                metrics=metrics,
                links=links,
                shares=peers,
            )
            if settings.worker_enabled
            else None
        )
        app.state.gateway = Gateway(
            settings=settings,
            store=store,
            sender=sender,
            senders=senders,
            numbers=directory,
            ingress=MetaIngress(
                store,
                directory,
                max_body_bytes=settings.ingress_max_body_bytes,
                notices=NoticePolicy.from_settings(settings),
                metrics=metrics,
            ),
            dispatcher=dispatcher,
            messenger=messenger,
            media_sender=media_sender,
            intake=intake,
            hub=hub,
            blobs=blobs,
            links=links,
            clock=clock,
            app_messenger=AppMessenger(store, graph, messenger, clock=clock),
            number_health=number_health,
            ownership=OwnershipProof(graph),
            recovery=recovery,
            metrics=metrics,
            peers=peers,
        )
        attach(dashboard, app.state.gateway)
        await peers.start()
        hub.start()
        if settings.worker_enabled:
            number_health.start()
        if media_jobs is not None:
            await media_jobs.start()
        if dispatcher is not None:
            await dispatcher.start()
        if notices is not None:
            await notices.start()
        if recovery is not None:
            await recovery.start()
        if external is not None:
            await external.start()
        if alerts is not None:
            await alerts.start()
        # Other processes' deliveries (PostgreSQL NOTIFY) wake this one's workers and sockets.
        store.notifier.start(poll_s=settings.dispatch_poll_interval_s)
        try:
            yield
        finally:
            await store.notifier.stop()
            await number_health.stop()
            await hub.close()
            if notices is not None:
                await notices.stop()
            if recovery is not None:
                await recovery.stop()
            if external is not None:
                await external.stop()
            if alerts is not None:
                await alerts.stop()
            if media_jobs is not None:
                await media_jobs.stop()
            if dispatcher is not None:
                await dispatcher.stop()
            await peers.stop()
            await senders.close()
            await session.close()
            await blobs.close()
            await store.close()

    app = WahooksApi(
        title="wahooks",
        version=__version__,
        description=DESCRIPTION,
        openapi_tags=tag_descriptions(API_MODULES),
        lifespan=lifespan,
        # The default pages load Swagger UI and ReDoc from CDNs; install_docs serves them here.
        docs_url=None,
        redoc_url=None,
        # "/v1/media/download/" (an empty id) is a 404, not a redirect to another resource
        # that a client would follow with its method and body.
        redirect_slashes=False,
    )
    # The ingress is a plain Starlette route: FastAPI's request layer stays off the hot path.
    app.router.routes.append(Route("/ingress/meta", _meta_handshake, methods=["GET"]))
    app.router.routes.append(Route("/ingress/meta", _meta_receive, methods=["POST"]))
    app.router.routes.append(WebSocketRoute("/ws", socket_endpoint))
    # The browser dashboard: its own Starlette app (HTML errors, security headers).
    dashboard = create_dashboard()
    app.router.routes.append(Route(DASHBOARD_PATH, to_dashboard, methods=["GET"]))
    app.router.routes.append(Mount(DASHBOARD_PATH, app=dashboard))
    for router in API_ROUTERS:
        app.include_router(router)
    install_docs(app)
    install_error_handlers(app)
    app.add_middleware(NulGuard)
    app.add_middleware(
        BodySizeLimit,
        max_bytes=settings.api_max_body_bytes,
        # Files: inline base64 in a send; any file WhatsApp takes (plus form fields) in an upload.
        overrides={
            "/v1/messages/send": max(settings.api_max_body_bytes, settings.inline_body_bytes),
            "/v1/media": MAX_MEDIA_BYTES + UPLOAD_OVERHEAD_BYTES,
        },
    )
    app.add_middleware(
        DashboardBodyLimit,
        max_bytes=settings.api_max_body_bytes,
        file_bytes=MAX_MEDIA_BYTES + UPLOAD_OVERHEAD_BYTES,
    )
    app.add_middleware(RequestLog)  # outermost: every answer is logged, refusals included
    return app
