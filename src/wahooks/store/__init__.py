"""Durable state, and the only queue: everything between two steps of a message's path."""

from wahooks.store.base import Duplicate
from wahooks.store.store import Store, open_store

__all__ = ["Duplicate", "Store", "open_store"]
