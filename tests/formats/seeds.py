"""Reading the JSON examples out of a seed document (prose with JSON in it)."""

import json
from pathlib import Path
from typing import Any

FIXTURES = Path(__file__).parents[1] / "fixtures" / "formats"


def seed_json(path: Path) -> list[Any]:
    """Every top-level JSON object or array written in the seed, in order."""
    text = path.read_text()
    decoder = json.JSONDecoder()
    found, i = [], 0
    while True:
        starts = [s for s in (text.find("{", i), text.find("[", i)) if s >= 0]
        if not starts:
            return found
        start = min(starts)
        try:
            obj, i = decoder.raw_decode(text, start)
        except json.JSONDecodeError:
            i = start + 1
            continue
        if isinstance(obj, dict | list) and obj:
            found.append(obj)
