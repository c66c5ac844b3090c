"""docs/configuration.md, written from the Settings model itself.

The table is generated rather than written by hand so it cannot drift from the code: a
test compares the committed file with this output, and `wahooks config-reference` (or
`make docs`) rewrites it after an option is added or changed.
"""

from typing import Any, get_args, get_origin

from pydantic import SecretStr
from pydantic.fields import FieldInfo

from wahooks.config.alerts import AlertOptions
from wahooks.config.dashboard import DashboardOptions
from wahooks.config.delivery import DeliveryOptions
from wahooks.config.loading import ENV_PREFIX
from wahooks.config.media import MediaOptions
from wahooks.config.pool import PoolOptions
from wahooks.config.server import ServerOptions
from wahooks.config.settings import Settings
from wahooks.config.sockets import SocketOptions

# The sections of the page, in the order Settings lists its fields.
GROUPS = (
    ServerOptions, MediaOptions, DeliveryOptions, SocketOptions, PoolOptions, AlertOptions,
    DashboardOptions,
)  # fmt: skip
DOCUMENT = "docs/configuration.md"

_HEADER = """\
# Configuration

<!-- Generated from the Settings model (src/wahooks/config/) by `wahooks config-reference`
(`make docs`); tests/test_config.py fails when this file is not current. Do not edit. -->

Every option is a `WAHOOKS_*` environment variable, or the same name in lower case in a
TOML file given with `--config` or `WAHOOKS_CONFIG`. Environment variables win over the
file, which wins over the defaults. Lists are given as JSON (`[0, 5, 60]`) or
comma-separated (`0,5,60`). `wahooks serve --help` lists the same options.
"""

_TYPES = {
    str: "string", SecretStr: "secret string", int: "integer", float: "number", bool: "boolean"
}  # fmt: skip


def _type(annotation: Any) -> str:
    if get_origin(annotation) is tuple:
        return f"list of {_TYPES[get_args(annotation)[0]]}s"
    return _TYPES[annotation]


def _value(value: Any) -> str:
    if isinstance(value, SecretStr):
        return "(empty)" if not value.get_secret_value() else "(set)"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return f"{value:g}"
    if isinstance(value, tuple):
        return ",".join(_value(v) for v in value) if value else "(none)"
    if value == "":
        return "(empty)"
    return str(value)


def _limits(field: FieldInfo) -> str:
    """The bounds pydantic checks (ge=1, le=100 and the like), as "≥ 1, ≤ 100"."""
    bounds = (("ge", "≥"), ("gt", ">"), ("le", "≤"), ("lt", "<"), ("min_length", "length ≥"),
              ("max_length", "length ≤"))  # fmt: skip
    parts = []
    for item in field.metadata:
        for attribute, symbol in bounds:
            bound = getattr(item, attribute, None)
            if bound is not None:
                parts.append(f"{symbol} {_value(bound)}")
    return ", ".join(parts)


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def configuration_markdown() -> str:
    """The whole page: one table per group of options, a row per option."""
    sections = [_HEADER]
    for group in GROUPS:
        title = " ".join((group.__doc__ or group.__name__).split())
        rows = [
            f"## {group.__name__.removesuffix('Options')}\n\n{title}\n",
            "| Variable | Type | Default | Allowed | Description |",
            "|---|---|---|---|---|",
        ]
        for name in group.__annotations__:
            if name not in Settings.model_fields:
                continue
            field = Settings.model_fields[name]
            rows.append(
                f"| `{ENV_PREFIX}{name.upper()}` | {_type(field.annotation)} "
                f"| `{_cell(_value(field.default))}` | {_limits(field)} "
                f"| {_cell(field.description or '')} |"
            )
        sections.append("\n".join(rows) + "\n")
    return "\n".join(sections)
