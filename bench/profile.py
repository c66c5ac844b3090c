"""Sum up py-spy samples (raw folded stacks, from bench/e2e.py --profile) by where the time
went: one JSON line per file, the share of samples per part of the path.

A sample counts for the innermost frame that names a part below (so time in sqlite3 called
from our connector counts as "sqlite", time in orjson called from a format as "json");
samples of waiting threads (idle) are left out.

Usage: .venv/bin/python bench/profile.py FILE [FILE ...]
"""

import sys
from collections import Counter
from pathlib import Path

import orjson

# (part, what a frame's text contains), innermost matching frame wins; first match per frame.
PARTS = [
    ("sqlite", "sqlite3"),
    ("sqlite", "store/sqlite/connector.py"),
    ("postgres (asyncpg)", "asyncpg/"),
    ("json", "orjson"),
    ("signing (hmac)", "hmac.py"),
    ("signing (hmac)", "delivery/signing.py"),
    ("outbound http (aiohttp client)", "aiohttp/client"),
    ("outbound http (aiohttp client)", "aiohttp/connector"),
    ("outbound http (aiohttp client)", "aiohttp/http_"),
    ("outbound http (aiohttp client)", "aiohttp/streams"),
    ("formats (payload rendering)", "wahooks/formats/"),
    ("delivery (dispatcher, decisions)", "wahooks/delivery/"),
    ("store (operations, rows)", "wahooks/store/"),
    ("ingress (parse, verify)", "wahooks/ingress/"),
    ("inbound http (uvicorn, starlette)", "uvicorn/"),
    ("inbound http (uvicorn, starlette)", "starlette/"),
    ("inbound http (uvicorn, starlette)", "httptools"),
    ("event loop (asyncio, uvloop)", "asyncio/"),
    ("event loop (asyncio, uvloop)", "uvloop"),
]
IDLE = ("select (selectors.py", "_worker (concurrent/futures/thread.py:81)", "wait (threading.py")


def part_of(stack: str) -> str | None:
    frames = stack.split(";")
    if any(idle in frames[-1] for idle in IDLE):
        return None
    for frame in reversed(frames):
        for part, marker in PARTS:
            if marker in frame:
                return part
    return "other"


def summary(path: Path) -> dict[str, object]:
    counts: Counter[str] = Counter()
    for line in path.read_text().splitlines():
        stack, _, n = line.rpartition(" ")
        part = part_of(stack)
        if part is not None and n.isdigit():
            counts[part] += int(n)
    total = sum(counts.values())
    shares = {part: round(n / total, 3) for part, n in counts.most_common()} if total else {}
    return {"bench": "profile", "file": path.name, "samples": total, "shares": shares}


if __name__ == "__main__":
    for name in sys.argv[1:]:
        print(orjson.dumps(summary(Path(name))).decode())
