"""Logging setup: plain lines or JSON lines, one logger per module, secrets redacted.

Context fields (request, tenant, destination, delivery and message ids) come from ``bind``
(a context variable: set for a request by the request log, and in it by authentication)
and from a call's ``extra=``; JSON lines carry them as fields, plain lines as ``k=v``.

Whatever reaches a log line passes through ``redact`` last, in the formatter: a key in a
socket URL (uvicorn logs every WebSocket handshake with its query string), a Bearer token
in an exception's text or a query parameter named like a secret never reaches the output,
whichever library wrote it.
"""

import logging
import re
import sys
from contextvars import ContextVar, Token
from typing import Any

import orjson

# Our own keys, wherever they appear: pk_live_ (tenant), ak_live_ (App), op_live_ (operator).
_KEY = re.compile(r"\b(pk|ak|op)_live_[A-Za-z0-9_-]+")
_BEARER = re.compile(r"(?i)\b(bearer)\s+[^\s\"',;]+")
# Query parameters and JSON-ish fields whose value is a credential.
_SECRET_PARAM = re.compile(
    r"(?i)\b(api_?key|access_?token|token|secret|app_?secret|verify_?token|hub\.verify_token"
    r"|password|signature|sig|expires_sig)=([^&\s\"']+)"
)
REDACTED = "[redacted]"


def redact(text: str) -> str:
    text = _KEY.sub(lambda m: f"{m.group(1)}_live_{REDACTED}", text)
    text = _BEARER.sub(lambda m: f"{m.group(1)} {REDACTED}", text)
    return _SECRET_PARAM.sub(lambda m: f"{m.group(1)}={REDACTED}", text)


# The context fields a line may carry, in this order; nothing else is taken from ``extra``.
FIELDS = (
    "request_id", "tenant_id", "app_id", "method", "path", "status", "ms", "destination_id",
    "delivery_id", "event", "message_id", "conversation_id", "attempt", "error",
)  # fmt: skip
_context: ContextVar[dict[str, Any]] = ContextVar("wahooks_log_context", default={})  # noqa: B039


def bind(**fields: Any) -> Token[dict[str, Any]]:
    """Add fields to every line logged from here on in this task (and tasks it starts)."""
    merged = {**_context.get(), **{k: v for k, v in fields.items() if v is not None}}
    return _context.set(merged)


def unbind(token: Token[dict[str, Any]]) -> None:
    _context.reset(token)


def context_fields(record: logging.LogRecord) -> dict[str, Any]:
    bound = _context.get()
    found = {}
    for name in FIELDS:
        value = getattr(record, name, None)
        if value is None:
            value = bound.get(name)
        if value is not None:
            found[name] = value
    return found


class _PlainFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        line = super().format(record)
        fields = context_fields(record)
        if fields:
            line += " " + " ".join(f"{k}={v}" for k, v in fields.items())
        return redact(line)


class _JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "ts": round(record.created, 3),
            "level": record.levelname,
            "logger": record.name,
            "msg": redact(record.getMessage()),
        }
        for name, value in context_fields(record).items():
            entry[name] = redact(value) if isinstance(value, str) else value
        if record.exc_info:
            entry["exc"] = redact(self.formatException(record.exc_info))
        return orjson.dumps(entry).decode()


def setup_logging(level: str, *, json: bool = False) -> None:
    handler = logging.StreamHandler(sys.stderr)
    if json:
        handler.setFormatter(_JsonFormatter())
    else:
        handler.setFormatter(_PlainFormatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
