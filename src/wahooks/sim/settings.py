"""Settings of one simulated Cloud API account (one WABA with one phone number)."""

from __future__ import annotations

from dataclasses import dataclass, field

DEFAULT_GATEWAY_URL = "http://127.0.0.1:8080/ingress/meta"
# Meta's default delays are seconds to minutes; short ones keep tests and benchmarks quick
# while still letting the gateway see statuses arrive after the send answered.
DEFAULT_STATUS_DELAYS_S = (0.05, 0.1, 0.15)


def _doc(text: str) -> dict[str, str]:
    # The one-line help lives next to the field so the CLI (command.py) prints the same text.
    return {"help": text}


@dataclass(frozen=True, slots=True, kw_only=True)
class SimSettings:
    """Everything that identifies the simulated account and where it sends notifications.

    The secrets have fixed development defaults on purpose: the simulator is a local stand-in
    for Meta, and the gateway must be configured with the same values to talk to it.
    """

    gateway_url: str = field(
        default=DEFAULT_GATEWAY_URL,
        metadata=_doc("the gateway's Meta ingress URL that notifications are POSTed to"),
    )
    host: str = field(default="127.0.0.1", metadata=_doc("address the simulator listens on"))
    port: int = field(default=0, metadata=_doc("port the simulator listens on (0: a free port)"))
    app_secret: str = field(
        default="sim-app-secret-0123456789",
        metadata=_doc("Meta app secret that signs notifications (X-Hub-Signature-256)"),
    )
    access_token: str = field(
        default="sim-access-token",
        metadata=_doc("Bearer token the Graph API endpoints require"),
    )
    verify_token: str = field(
        default="sim-verify-token",
        metadata=_doc("hub.verify_token sent in the subscription handshake"),
    )
    phone_number_id: str = field(
        default="100000000000001", metadata=_doc("Graph id of the simulated business number")
    )
    display_phone_number: str = field(
        default="15550000001", metadata=_doc("the business number as users see it")
    )
    waba_id: str = field(
        default="200000000000001", metadata=_doc("WhatsApp Business Account id (entry[].id)")
    )
    graph_version: str = field(
        default="v21.0", metadata=_doc("Graph API version in the graph base URL")
    )
    media_url_ttl_s: float = field(
        default=300.0, metadata=_doc("seconds a media download URL stays valid")
    )
    status_delays_s: tuple[float, ...] = field(
        default=DEFAULT_STATUS_DELAYS_S,
        metadata=_doc("seconds after a send at which sent, delivered, read statuses are POSTed"),
    )
    send_statuses: bool = field(
        default=True, metadata=_doc("POST sent/delivered/read statuses after each send")
    )
