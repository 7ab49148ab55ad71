"""The course index (exercises/index.ipynb, the Binder landing page): every link resolves.

JupyterLab serves ``exercises/`` (``tasks.py lab``) or the repository root (Binder, which opens
``exercises/index.ipynb``), so a relative link must resolve inside ``exercises/`` to work in
both. Every exercise must be reachable from the index, as its student copy and its solution.
"""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import unquote, urlsplit

import nbformat
import pytest

EXERCISES = Path(__file__).resolve().parent.parent / "exercises"
INDEX = EXERCISES / "index.ipynb"
# [text](target), [text](<target with spaces>), [text](target "title") in Markdown (images
# too), and href="..." / src="..." in HTML
MARKDOWN_LINK = re.compile(r"\]\(\s*(?:<([^>]+)>|([^)\s]+))(?:\s+\"[^\"]*\")?\s*\)")
HTML_LINK = re.compile(r"""(?:href|src)\s*=\s*["']([^"']+)["']""")


def index_links() -> list[str]:
    nb = nbformat.read(INDEX, as_version=4)
    links = []
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            links += [a or b for a, b in MARKDOWN_LINK.findall(cell.source)]
            links += HTML_LINK.findall(cell.source)
    return links


def relative_links() -> list[str]:
    out = []
    for link in index_links():
        parts = urlsplit(link)
        if parts.scheme or parts.netloc or link.startswith("#"):
            continue  # absolute URLs and anchors within the page
        out.append(link)
    return out


def test_the_link_pattern_finds_markdown_and_html_links():
    sample = '[a](one.ipynb) [b](<two words.ipynb>) [c](three.ipynb "title") <a href="x.md">'
    assert [a or b for a, b in MARKDOWN_LINK.findall(sample)] == [
        "one.ipynb", "two words.ipynb", "three.ipynb"]
    assert HTML_LINK.findall(sample) == ["x.md"]


def test_index_has_links():
    assert len(relative_links()) >= 12, index_links()


@pytest.mark.parametrize("link", relative_links())
def test_every_relative_link_in_the_index_resolves(link):
    path = unquote(urlsplit(link).path)
    assert not path.startswith("/"), f"{link}: use a path relative to exercises/"
    target = (EXERCISES / path).resolve()
    assert target.is_relative_to(EXERCISES), (
        f"{link} leaves exercises/ (JupyterLab serves exercises/ with tasks.py lab)")
    assert target.exists(), f"{link} does not exist ({target})"


def test_every_exercise_is_linked_as_student_copy_and_solution():
    sources = sorted(p.name for p in (EXERCISES / "source").glob("[0-9][0-9]_*.ipynb"))
    assert len(sources) >= 6, sources
    targets = {unquote(urlsplit(link).path) for link in relative_links()}
    for name in sources:
        assert name in targets, f"the index does not link the student copy {name}"
        assert f"solutions/{name}" in targets, f"the index does not link solutions/{name}"


def test_index_gives_time_and_prerequisites_for_each_notebook():
    text = "\n".join(c.source for c in nbformat.read(INDEX, as_version=4).cells
                     if c.cell_type == "markdown")
    rows = [line for line in text.splitlines() if re.match(r"\|\s*[1-9]\s*\|", line)]
    assert len(rows) >= 6, "the learning path table has a row per notebook"
    for row in rows:
        assert re.search(r"\d+\s*min", row), f"no time estimate in {row!r}"
        assert row.count("|") >= 7, f"missing columns (prerequisites, solution) in {row!r}"
