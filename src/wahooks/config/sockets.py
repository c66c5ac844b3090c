"""Options of the WebSocket hub and of sending through the Graph API."""

from pydantic import Field

from wahooks.config.base import Options


class SocketOptions(Options):
    """Socket queues, leases and pings; Graph API timeouts and retries for sends."""

    socket_fallback_after_attempts: int = Field(
        3,
        ge=0,
        le=50,
        description="Failed webhook attempts before the socket may take a message too (0: never).",
    )
    socket_queue_retention_s: float = Field(
        7 * 86400, gt=0, description="How long an undelivered socket message is kept (s)."
    )
    socket_queue_max_per_sender: int = Field(
        0, ge=0, description="Queued socket messages kept per conversation (0: no cap)."
    )
    socket_lease_s: float = Field(
        60,
        ge=1,
        le=3600,
        description="A socket message awaiting its ack is held this long, "
        "renewed while the connection lives.",
    )
    socket_batch: int = Field(
        100, ge=1, le=1000, description="Socket messages claimed per database round trip."
    )
    socket_max_unacked: int = Field(
        1000, ge=1, description="Messages sent to ack=1 connections and not yet acknowledged."
    )
    socket_max_per_key: int = Field(
        100,
        ge=1,
        le=100_000,
        description="Open sockets one API key may hold on one gateway process; "
        "more are refused with 429 too_many_sockets.",
    )
    socket_ping_interval_s: float = Field(
        20, gt=0, le=600, description="Server WebSocket pings, to find dead peers (s)."
    )
    socket_ping_timeout_s: float = Field(
        20, gt=0, le=600, description="A peer that does not answer a ping in time is closed."
    )
    socket_send_timeout_s: float = Field(
        5,
        gt=0,
        le=300,
        description="A socket peer that takes longer to take one frame is "
        "closed as too slow, so it cannot hold up the tenant's other connections (s).",
    )
    socket_per_message_deflate: bool = Field(
        False, description="Offer WebSocket compression (halves frame throughput on 2 cores)."
    )
    graph_timeout_s: float = Field(
        30, ge=1, le=120, description="Timeout of each Graph API request (s)."
    )
    graph_retry_delays_s: tuple[float, ...] = Field(
        (0.5, 2.0, 5.0),
        description="Delays before retrying a send after a transient "
        "Graph API error (network, 5xx, throttling).",
    )
    graph_concurrency: int = Field(
        256,
        ge=1,
        le=4096,
        description="Graph API requests (sends, uploads, checks) at once in this process; "
        "the rest wait their turn (the outbound connection pool holds 512).",
    )
    graph_per_number_concurrency: int = Field(
        8,
        ge=1,
        le=4096,
        description="Of those, at most this many for one number, so a number whose Graph "
        "API is slow cannot hold the others' turns.",
    )
    external_status_grace_s: float = Field(
        30,
        ge=0,
        le=3600,
        description="A status of a message we have no record of waits this long for our "
        "own send's answer (Meta's webhook can outrun it) before it is published as a "
        "message sent elsewhere (message:out:ack/failed with external: true) (s).",
    )
