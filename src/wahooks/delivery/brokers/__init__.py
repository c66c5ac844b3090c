"""Delivery into a customer's message bus: NATS JetStream, Redis Streams, RabbitMQ, SQS.

A destination with method ``nats``, ``redis``, ``amqp`` or ``sqs`` gets the body a webhook
would (its payload format) with the webhook's signature headers as message headers (stream
fields for Redis, message attributes for SQS), published on a pooled connection or client
(pool.py) and finished only when the broker confirmed it (a PubAck, the XADD reply, a
publisher confirm of a mandatory publish, SendMessage's MessageId). Everything else is a
webhook delivery's: claims, per-conversation order, retries, the circuit, health and
auto-disable (senders.py picks the sender per method).
"""
