"""Settings: every option of the gateway, assembled from one group per area.

Each group lives beside the others in this package (server, media, delivery, sockets,
pool) so that an area's options, defaults and validation read together; the components
receive the one Settings instance and read the fields they need.
"""

from wahooks.config.alerts import AlertOptions
from wahooks.config.dashboard import DashboardOptions
from wahooks.config.delivery import DeliveryOptions
from wahooks.config.media import MediaOptions
from wahooks.config.pool import PoolOptions
from wahooks.config.server import ServerOptions
from wahooks.config.sockets import SocketOptions


# Pydantic collects fields from the last base first: this order lists the server's options
# first and the pool's last (in `wahooks serve --help` and docs/configuration.md).
class Settings(
    DashboardOptions,
    AlertOptions,
    PoolOptions,
    SocketOptions,
    DeliveryOptions,
    MediaOptions,
    ServerOptions,
):
    """Every WAHOOKS_* option: default, one-line description, validation."""
