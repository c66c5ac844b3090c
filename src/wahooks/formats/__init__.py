"""Payload formats: one module per shape a customer's handler may expect.

A format turns a MessageEvent into the exact bytes POSTed; the registry below is read-only.
"""

from collections.abc import Callable, Mapping
from types import MappingProxyType

from wahooks.formats import pipes
from wahooks.models import MessageEvent

Renderer = Callable[[MessageEvent], bytes]

FORMATS: Mapping[str, Renderer] = MappingProxyType({"pipes": pipes.render})
DEFAULT_FORMAT = "pipes"
