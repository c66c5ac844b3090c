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
