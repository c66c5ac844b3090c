"""Delivery into a customer's message bus: NATS JetStream, Redis Streams, RabbitMQ.

A destination with method ``nats``, ``redis`` or ``amqp`` gets the body a webhook would
(its payload format) with the webhook's signature headers as message headers (stream
fields for Redis), published on a pooled connection (pool.py) and finished only when the
broker confirmed it (a PubAck, the XADD reply, a publisher confirm of a mandatory publish).
Everything else is a webhook delivery's: claims, per-conversation order, retries, the
circuit, health and auto-disable (senders.py picks the sender per method).
"""
