"""How values are written into rows: JSON columns as text, both databases alike."""

from typing import Any

import orjson


def json_text(value: Any) -> str | None:
    return None if value is None else orjson.dumps(value).decode()
