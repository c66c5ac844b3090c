"""What ``GET /metrics`` shows, in Prometheus' text format (``prometheus_client``).

One registry per gateway (tests run several in one process). Counters move where things
happen (the ingress, the dispatcher, the Graph client); the queue's figures are read from
the database at scrape time (``QueueFigures``), so every process reports the same queue.
Labels are bounded: outcomes, formats, event kinds and Meta error codes, never per-message,
per-tenant or per-destination values.
"""

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from wahooks.models import QueueFigures

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"

LATENCY_BUCKETS_S = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30)
# A claim is one indexed query: milliseconds, whatever waits behind open circuits.
CLAIM_BUCKETS_S = (0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1)


class _Snapshot(Collector):
    """Serves the figures read just before ``render`` (scrapes are not concurrent here)."""

    def __init__(self) -> None:
        self.figures: QueueFigures | None = None
        self.sockets = 0

    def collect(self):  # type: ignore[no-untyped-def]
        figures = self.figures
        sockets = GaugeMetricFamily(
            "wahooks_socket_connections", "Open WebSocket connections to this process."
        )
        sockets.add_metric([], self.sockets)
        yield sockets
        if figures is None:
            return
        by_state = GaugeMetricFamily(
            "wahooks_deliveries", "Deliveries in the queue, by state.", labels=["state"]
        )
        for state, n in sorted(figures.deliveries_by_state.items()):
            by_state.add_metric([state], n)
        yield by_state
        oldest = GaugeMetricFamily(
            "wahooks_oldest_pending_delivery_age_seconds",
            "Age of the oldest delivery not finished yet (0: none).",
        )
        oldest.add_metric([], figures.oldest_pending_age_s)
        yield oldest
        destinations = GaugeMetricFamily(
            "wahooks_destinations", "Destinations by health.", labels=["health"]
        )
        destinations.add_metric(["disabled"], figures.disabled_destinations)
        destinations.add_metric(["failing"], figures.failing_destinations)
        yield destinations
        media = GaugeMetricFamily("wahooks_media_files", "Media files, by state.", labels=["state"])
        for state, n in sorted(figures.media_by_state.items()):
            media.add_metric([state], n)
        yield media


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.ingested = Counter(
            "wahooks_ingested",
            "Items of Meta's notifications, by outcome (stored, duplicate, status, "
            "change, invalid).",
            ["outcome"],
            registry=self.registry,
        )
        # The ingress counts every POST: its children are looked up once, not per POST.
        self.ingested_by_outcome = {
            outcome: self.ingested.labels(outcome)
            for outcome in ("stored", "duplicate", "status", "change", "invalid")
        }
        self.notifications = Counter(
            "wahooks_notifications",
            "POSTs to /ingress/meta, by HTTP status.",
            ["status"],
            registry=self.registry,
        )
        self.attempts = Counter(
            "wahooks_delivery_attempts",
            "Webhook delivery attempts, by format and outcome (ok, skipped, or the error kind).",
            ["format", "outcome"],
            registry=self.registry,
        )
        self.attempt_latency = Histogram(
            "wahooks_delivery_attempt_seconds",
            "Time of a delivery attempt, request to answer (or to a message bus's confirmation).",
            ["format"],
            buckets=LATENCY_BUCKETS_S,
            registry=self.registry,
        )
        self.claim_time = Histogram(
            "wahooks_delivery_claim_seconds",
            "Time of one claim of due deliveries from the queue (the dispatcher's query).",
            buckets=CLAIM_BUCKETS_S,
            registry=self.registry,
        )
        self.graph_calls = Counter(
            "wahooks_graph_calls",
            "Graph API calls, by operation and outcome (ok, or Meta's error code).",
            ["operation", "outcome"],
            registry=self.registry,
        )
        self.info = Gauge(
            "wahooks_info", "This gateway's version.", ["version"], registry=self.registry
        )
        self._snapshot = _Snapshot()
        self.registry.register(self._snapshot)

    def render(self, figures: QueueFigures | None, sockets: int) -> bytes:
        self._snapshot.figures = figures
        self._snapshot.sockets = sockets
        return generate_latest(self.registry)
