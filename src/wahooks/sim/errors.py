"""Errors the simulator raises to its callers."""


class GatewayUnreachable(Exception):
    """The gateway could not be reached (connection refused, timeout) after all retries."""
