"""Logging setup: plain lines or JSON lines, one logger per module, secrets redacted.

Whatever reaches a log line passes through ``redact`` last, in the formatter: a key in a
socket URL (uvicorn logs every WebSocket handshake with its query string), a Bearer token
in an exception's text or a query parameter named like a secret never reaches the output,
whichever library wrote it.
"""

import logging
import re
import sys

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


class _PlainFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        return redact(super().format(record))


class _JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "ts": round(record.created, 3),
            "level": record.levelname,
            "logger": record.name,
            "msg": redact(record.getMessage()),
        }
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
