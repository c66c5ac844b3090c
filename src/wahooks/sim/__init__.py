"""A fake of the parts of Meta's WhatsApp Cloud API the gateway uses, on the real wire format.

It sends signed notifications to the gateway's ingress and serves the Graph API endpoints the
gateway calls. It is an honest stand-in for Meta: it imports nothing from the gateway.
"""

from wahooks.sim.errors import GatewayUnreachable
from wahooks.sim.graph import SentMessage
from wahooks.sim.media import MediaObject
from wahooks.sim.messages import MESSAGE_TYPES, InvalidMessage, SimUser
from wahooks.sim.notifications import LAYOUTS, Layout
from wahooks.sim.server import SendResult, Simulator
from wahooks.sim.settings import SimSettings

__all__ = [
    "LAYOUTS",
    "MESSAGE_TYPES",
    "GatewayUnreachable",
    "InvalidMessage",
    "Layout",
    "MediaObject",
    "SendResult",
    "SentMessage",
    "SimSettings",
    "SimUser",
    "Simulator",
]
