"""The README stays a short front door, every guide in docs/ is reachable from it, no link leads nowhere, and the
performance page is generated from the benchmarks' figures rather than typed."""

import json
import re
from pathlib import Path

import pytest

from bench import performance_page

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
DOCS = sorted((ROOT / "docs").glob("*.md"))
PAGES = [README, *DOCS]

# [text](target) outside fenced code blocks; the target ends at a space (a title) or the closing bracket.
LINK = re.compile(r"\[[^\]]*\]\(([^)\s]+)[^)]*\)")
FENCE = re.compile(r"^```.*?^```", re.MULTILINE | re.DOTALL)


def links(page: Path) -> list[str]:
    return LINK.findall(FENCE.sub("", page.read_text()))


def relative_links(page: Path) -> list[str]:
    return [target for target in links(page) if not re.match(r"[a-z]+:", target)]


def anchors(page: Path) -> set[str]:
    """The anchors GitHub gives a page's headings: lower case, punctuation dropped, spaces as hyphens."""
    headings = re.findall(r"^#+ (.+)$", FENCE.sub("", page.read_text()), re.MULTILINE)
    return {re.sub(r"[^\w\- ]", "", heading.lower()).replace(" ", "-") for heading in headings}


def test_the_readme_is_under_200_lines():
    assert len(README.read_text().splitlines()) < 200


def test_there_are_guides():
    assert DOCS


@pytest.mark.parametrize("doc", DOCS, ids=lambda path: path.name)
def test_the_readme_links_to_every_guide(doc):
    assert f"docs/{doc.name}" in {target.split("#")[0] for target in relative_links(README)}


@pytest.mark.parametrize("page", PAGES, ids=lambda path: str(path.relative_to(ROOT)))
def test_every_relative_link_leads_to_a_file_and_heading_that_exist(page):
    broken = []
    for target in relative_links(page):
        path, _, anchor = target.partition("#")
        destination = (page.parent / path).resolve() if path else page
        if not destination.exists() or (anchor and destination.suffix == ".md" and anchor not in anchors(destination)):
            broken.append(target)
    assert not broken, f"{page.name} links to what does not exist: {broken}"


def test_the_performance_page_is_generated_from_the_figures():
    assert (ROOT / "docs" / "performance.md").read_text() == performance_page.render()


def test_the_check_passes_on_the_generated_page(capsys):
    assert performance_page.main(["--check"]) == 0


def test_the_check_fails_when_a_figure_is_typed_into_the_page(tmp_path, monkeypatch):
    page = tmp_path / "performance.md"
    page.write_text(performance_page.render().replace("| yes |", "| yes, easily |", 1))
    monkeypatch.setattr(performance_page, "PAGE", page)
    assert performance_page.main(["--check"]) == 1
    assert "yes, easily" in page.read_text()  # --check writes nothing


def test_every_figure_on_the_page_comes_from_a_results_file(tmp_path):
    """The page follows the JSON: a changed figure changes the page, and a new benchmark's file gets a section."""
    for source in (ROOT / "bench" / "results").glob("*.json"):
        (tmp_path / source.name).write_text(source.read_text())
    figures = json.loads((tmp_path / "quality.json").read_text())
    figures["timings"]["audit page quality figures"]["median_ms"] = 123456.7
    (tmp_path / "quality.json").write_text(json.dumps(figures))
    (tmp_path / "exports.json").write_text(json.dumps({"rows": 42, "machine": {"cpus": 8}}))
    page = performance_page.render(tmp_path)
    assert "| audit page quality figures | 123,456.7 |" in page
    assert "bench/results/exports.json" in page
    assert "| `rows` | 42 |" in page
