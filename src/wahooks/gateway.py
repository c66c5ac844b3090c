"""The parts of one running gateway, built by create_app and shared by its routes."""

from dataclasses import dataclass, field

from starlette.requests import HTTPConnection

from wahooks.config import Settings
from wahooks.delivery.dispatcher import Dispatcher
from wahooks.delivery.peers import Peers
from wahooks.delivery.recovery import RecoveryJobs
from wahooks.delivery.senders import Senders
from wahooks.delivery.webhook import WebhookSender
from wahooks.ingress.meta import MetaIngress
from wahooks.ingress.numbers import NumberDirectory
from wahooks.media.blobs import BlobStore
from wahooks.media.intake import MediaIntake
from wahooks.media.links import MediaLinks
from wahooks.metrics import Metrics
from wahooks.models import Clock
from wahooks.numberhealth import NumberHealth
from wahooks.ownership import OwnershipProof
from wahooks.send.apps import AppMessenger
from wahooks.send.media import MediaSender
from wahooks.send.messenger import Messenger
from wahooks.socket.hub import Hub
from wahooks.store import Store


@dataclass(slots=True)
class Gateway:
    settings: Settings
    store: Store
    sender: WebhookSender
    senders: Senders  # by method: the webhook sender, or the message-bus pool
    numbers: NumberDirectory
    ingress: MetaIngress
    dispatcher: Dispatcher | None
    messenger: Messenger
    media_sender: MediaSender
    intake: MediaIntake
    hub: Hub
    blobs: BlobStore
    links: MediaLinks  # signs and checks the media links in payloads
    clock: Clock
    app_messenger: AppMessenger  # App sends, passthrough, templates
    metrics: Metrics = field(default_factory=Metrics)
    number_health: NumberHealth | None = None
    ownership: OwnershipProof | None = None  # proves a registered number is its owner's
    recovery: RecoveryJobs | None = None  # None where no workers run here
    peers: Peers | None = None  # this process among those sharing the database


def gateway_of(connection: HTTPConnection) -> Gateway:
    gateway: Gateway = connection.app.state.gateway
    return gateway
