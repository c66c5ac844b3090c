"""wahooks: a self-hosted WhatsApp gateway (Meta Cloud API in, signed webhooks out)."""

__version__ = "0.1.0"
