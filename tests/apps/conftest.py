"""App tests reuse the socket tests' client fixture."""

from tests.socket.conftest import clients

__all__ = ["clients"]
