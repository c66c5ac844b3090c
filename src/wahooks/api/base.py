"""What every resource module shares: camelCase JSON models and time formatting."""

import re
from typing import Annotated, Any
from urllib.parse import urlsplit

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, JsonValue, field_validator
from pydantic.alias_generators import to_camel

from wahooks.errors import InvalidRequest
from wahooks.times import iso_time


class ApiModel(BaseModel):
    """JSON in camelCase like Pipes.bot's API; unknown fields are refused, not ignored."""

    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="forbid")

    @field_validator("*")
    @classmethod
    def _no_nul(cls, value: Any) -> Any:
        """Valid JSON, but PostgreSQL text cannot hold it (SQLite can: refused on both)."""
        if isinstance(value, str) and "\x00" in value:
            raise ValueError("must not contain NUL (\\u0000) characters")
        return value


# The API's name for the one time format (wahooks.times), used by every answer model.
iso = iso_time


# What check_http_url takes, for the document (it does not validate): scheme, optional
# user info, then a host name or a bracketed IPv6 address.
HTTP_URL_PATTERN = r"^https?://([^/?#@]*@)?([^/?#@:\[\]]+|\[[0-9A-Fa-f:.]+\])([:/?#]|$)"


def check_http_url(value: str) -> str:
    """An absolute http(s) URL with a host; anything else is refused."""
    # urlsplit quietly drops CR, LF and tabs but the string kept them: a header or a log
    # line built from it later would carry them, so they are refused here.
    if any(ch.isspace() or ord(ch) < 0x20 or ord(ch) == 0x7F for ch in value):
        raise ValueError("must not contain spaces or control characters (CR, LF, tab, …)")
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError("must be an absolute http:// or https:// URL")
    return value


HttpUrl = Annotated[
    str, AfterValidator(check_http_url), Field(json_schema_extra={"pattern": HTTP_URL_PATTERN})
]


def examples(*bodies: dict[str, Any]) -> ConfigDict:
    """A request model's examples, for its ``model_config`` (``ApiModel.model_config |
    examples({...})``): the document shows them, and /docs' "Try it out" starts from the
    first, so a reader sees a body that works rather than a schema to decode."""
    listed: list[JsonValue] = [dict(body) for body in bodies]
    return ConfigDict(json_schema_extra={"examples": listed})


_SEQ_CURSOR = re.compile(r"[0-9]{1,18}")


def seq_cursor(cursor: str | None) -> int | None:
    """A page cursor that is a row's seq (deliveries, recoveries, a conversation's messages)."""
    if cursor is None:
        return None
    # ASCII digits: str.isdigit() takes "²", which int() refuses (a 500, found by
    # schemathesis); 18 of them fit the 64-bit column.
    if not _SEQ_CURSOR.fullmatch(cursor):
        raise InvalidRequest("cursor: not a cursor returned by this API")
    return int(cursor)
