"""Walking a seed example leaf by leaf against one of our payloads: every leaf path of the
seed must be in ours, with the seed's type or the seed's empty value (null, ``[]``, false).

A leaf is a value that is not an object; an array is one leaf (the seed's arrays hold
examples of what Wassenger knows, e.g. a contact's metadata; ours may be empty). An object
of ours that is null stands for the seed's whole subtree (what we cannot know, empty).
"""

from collections.abc import Iterator
from typing import Any


def leaf_paths(seed: Any, where: str = "") -> Iterator[tuple[str, Any]]:
    if isinstance(seed, dict) and seed:
        for key, value in seed.items():
            yield from leaf_paths(value, f"{where}.{key}" if where else key)
    else:
        yield where, seed


def _lookup(ours: Any, path: str) -> tuple[bool, Any]:
    """(found, value); an object of ours that is null answers null for all below it."""
    node = ours
    for key in path.split("."):
        if node is None:
            return True, None
        if not isinstance(node, dict) or key not in node:
            return False, None
        node = node[key]
    return True, node


def _same_type(value: Any, seed: Any) -> bool:
    if isinstance(seed, bool) or isinstance(value, bool):
        return type(value) is type(seed)
    if isinstance(seed, int | float):
        return isinstance(value, int | float)
    return type(value) is type(seed)


def problems(ours: Any, seed: Any) -> list[str]:
    """Seed leaf paths missing from ours, or of another type (null is always allowed)."""
    found: list[str] = []
    for path, value in leaf_paths(seed):
        present, mine = _lookup(ours, path)
        if not present:
            found.append(f"{path}: missing")
        elif mine is not None and value is not None and not _same_type(mine, value):
            found.append(f"{path}: {type(mine).__name__}, the seed has {type(value).__name__}")
    return found


def filled(ours: Any, seed: Any) -> tuple[int, int]:
    """(leaves of the seed we fill with a value, leaves of the seed): null and empty arrays
    are not filled; false, 0 and "" are values."""
    total = done = 0
    for path, _ in leaf_paths(seed):
        total += 1
        present, mine = _lookup(ours, path)
        if present and mine is not None and mine != []:
            done += 1
    return done, total


def order_problems(ours: Any, seed: Any, where: str = "") -> list[str]:
    """Objects whose keys shared with the seed are not in the seed's order."""
    if not (isinstance(ours, dict) and isinstance(seed, dict)):
        return []
    shared = [k for k in seed if k in ours]
    found = [] if [k for k in ours if k in seed] == shared else [where or "(top)"]
    for key in shared:
        found += order_problems(ours[key], seed[key], f"{where}.{key}" if where else key)
    return found
