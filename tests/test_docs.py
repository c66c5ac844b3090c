"""The README stays a map and its links, and the docs' links, lead somewhere: a page
moved or renamed in docs/ fails here rather than in a reader's browser."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LINK = re.compile(r"\]\(([^)#\s]+)(?:#[^)]*)?\)")


def _pages() -> list[Path]:
    return [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]


def test_every_relative_link_leads_to_a_file() -> None:
    broken = [
        f"{page.relative_to(ROOT)} -> {target}"
        for page in _pages()
        for target in LINK.findall(page.read_text())
        if "://" not in target and not (page.parent / target).exists()
    ]
    assert not broken, broken


def test_every_docs_page_is_on_the_readme_map() -> None:
    readme = (ROOT / "README.md").read_text()
    missing = [p.name for p in _pages()[1:] if f"docs/{p.name}" not in readme]
    assert not missing, missing


def test_the_readme_is_a_map() -> None:
    """What the product is, the two quick-start commands, a map; the rest is in docs/."""
    readme = (ROOT / "README.md").read_text()
    assert "make demo" in readme and "make test" in readme
    assert len(readme.splitlines()) <= 80


def test_the_events_page_lists_every_event_its_fields_and_formats() -> None:
    """docs/events.md's table, checked against the code: every event type, every Meta field
    that becomes one, and exactly the formats that express it."""
    from wahooks.formats import SPECS, expresses
    from wahooks.models import FIELD_EVENTS, EventType

    rows: dict[str, tuple[str, str]] = {}
    for line in (ROOT / "docs" / "events.md").read_text().splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) == 3 and cells[0].startswith("`"):
            rows[cells[0].strip("`")] = (cells[1], cells[2])
    assert set(rows) == {e.value for e in EventType}
    for event in EventType:
        source, formats = rows[event.value]
        carried = {name for name in SPECS if expresses(name, event.value)}
        assert {f.strip() for f in formats.split(",")} == carried, event
        for field, mapped in FIELD_EVENTS.items():
            if mapped is event:
                assert f"`{field}`" in source, (event, field)
