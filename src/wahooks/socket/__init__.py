"""Delivery over WebSockets: Pipes.bot-compatible frames, a durable queue, acknowledgements."""
