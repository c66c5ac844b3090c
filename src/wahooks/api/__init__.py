"""The REST API under /v1: one module per resource, each with its own router."""
