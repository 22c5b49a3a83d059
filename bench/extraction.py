"""Extraction quality on the fixture registry (and which part made each body).

Runs ``extract_article`` (the function the crawl uses) on every page of the fixture registry,
``tests/fixtures/extraction/NAME.html`` with its expectation ``NAME.json``, and prints per page and
in all: character precision, recall and F1 of title + body (the held-out evaluation's measure,
``tests/char_scores.py``), whether the publication day is right, how many pages trafilatura ran
on and which part made each body (``ExtractedArticle.body_source``). It does the same counts on
the demo sites' article pages (``tests/sites``), which have no expected text. ``--fixtures DIR`` scores another registry of the same format.

    PYTHONPATH=$PWD .venv/bin/python bench/extraction.py [--pages] [--fixtures DIR]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import trafilatura  # noqa: E402

from crawler.extract import extraction  # noqa: E402
from tests.char_scores import char_scores  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "tests" / "fixtures" / "extraction"
SITES = ROOT / "tests" / "sites"


class TrafilaturaCalls:
    """Counts the pages on which extraction called into trafilatura (any public function)."""

    def __init__(self) -> None:
        self.pages = 0
        self._called = False

    @contextmanager
    def page(self) -> Iterator[None]:
        self._called = False
        yield
        self.pages += self._called

    def wrap(self, function: Callable[..., Any]) -> Callable[..., Any]:
        def counted(*args: Any, **kwargs: Any) -> Any:
            self._called = True
            return function(*args, **kwargs)

        return counted


@contextmanager
def counting(calls: TrafilaturaCalls) -> Iterator[None]:
    """Count trafilatura's calls from the extraction module, whichever name it imported."""
    originals: dict[str, Any] = {}
    for name in ("extract", "bare_extraction", "baseline", "html2txt"):
        if hasattr(extraction, name):
            originals[name] = getattr(extraction, name)
            setattr(extraction, name, calls.wrap(originals[name]))
    proxy = type("CountingTrafilatura", (), {})()
    for name in ("extract", "bare_extraction", "baseline", "html2txt"):
        setattr(proxy, name, calls.wrap(getattr(trafilatura, name)))
    had_module = hasattr(extraction, "trafilatura")
    module = getattr(extraction, "trafilatura", None)
    if had_module:
        extraction.trafilatura = proxy  # type: ignore[assignment]
    try:
        yield
    finally:
        for name, original in originals.items():
            setattr(extraction, name, original)
        if had_module:
            extraction.trafilatura = module  # type: ignore[assignment]


def score_registry(fixtures: Path, calls: TrafilaturaCalls, show: bool) -> dict[str, Any]:
    rows = []
    sources: Counter[str] = Counter()
    spent = 0.0
    for page in sorted(fixtures.glob("*.html")):
        expected = json.loads(page.with_suffix(".json").read_text(encoding="utf-8"))
        body = page.read_bytes()
        started = time.perf_counter()
        with calls.page():
            article = extraction.extract_article(
                body, expected["url"], header_charset=expected.get("header_charset")
            )
        spent += time.perf_counter() - started
        sources[_body_source(article)] += 1
        scores = char_scores(
            f"{article.title or ''}\n{article.text}", f"{expected['title']}\n{expected['text']}"
        )
        day = article.published_on.isoformat() if article.published_on else None
        rows.append((page.stem, scores, day == expected["published_on"], day, expected))
        if show:
            mark = "ok " if day == expected["published_on"] else "BAD"
            print(
                f"{page.stem:34} P {scores.precision:.3f} R {scores.recall:.3f} "
                f"F1 {scores.f1:.3f}  date {mark} {day} (want {expected['published_on']})"
                f"  {_body_source(article)}"
            )
    count = len(rows)
    dated = [row for row in rows if row[4]["published_on"] is not None]
    return {
        "pages": count,
        "precision": round(sum(row[1].precision for row in rows) / count, 4),
        "recall": round(sum(row[1].recall for row in rows) / count, 4),
        "f1": round(sum(row[1].f1 for row in rows) / count, 4),
        "min_f1": round(min(row[1].f1 for row in rows), 4),
        "dates_right": sum(row[2] for row in rows),
        "dated_pages_right": sum(row[2] for row in dated),
        "dated_pages": len(dated),
        "trafilatura_pages": calls.pages,
        "body_sources": dict(sorted(sources.items())),
        "ms_per_page": round(spent / count * 1000, 1),
    }


def demo_article_pages() -> list[Path]:
    """The demo sites' article pages (list, index, about and contact pages are not articles)."""
    skip = ("index", "about", "contact", "list")
    return [
        page
        for page in sorted(SITES.rglob("*.html"))
        if not page.stem.startswith(skip) and "seeds" not in page.parts
    ]


def count_demo(calls: TrafilaturaCalls) -> dict[str, Any]:
    pages = demo_article_pages()
    sources: Counter[str] = Counter()
    for page in pages:
        url = f"http://127.0.0.1/{page.relative_to(SITES).as_posix()}"
        with calls.page():
            sources[_body_source(extraction.extract_article(page.read_bytes(), url))] += 1
    return {
        "pages": len(pages),
        "trafilatura_pages": calls.pages,
        "body_sources": dict(sorted(sources.items())),
    }


def _sources(counts: dict[str, int]) -> str:
    return ", ".join(f"{source or 'nothing'} {count}" for source, count in counts.items())


def _body_source(article: extraction.ExtractedArticle) -> str:
    """What made the body; "unrecorded" when measuring a revision older than ``body_source``."""
    return str(getattr(article, "body_source", "unrecorded"))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--fixtures", type=Path, default=FIXTURES)
    parser.add_argument("--pages", action="store_true", help="print every page's scores")
    args = parser.parse_args(argv)
    registry_calls, demo_calls = TrafilaturaCalls(), TrafilaturaCalls()
    with counting(registry_calls):
        registry = score_registry(args.fixtures, registry_calls, args.pages)
    with counting(demo_calls):
        demo = count_demo(demo_calls)
    print(
        f"registry: {registry['pages']} pages, title+body F1 {registry['f1']:.4f} "
        f"(P {registry['precision']:.4f}, R {registry['recall']:.4f}, min {registry['min_f1']:.3f}); "
        f"right day {registry['dates_right']}/{registry['pages']} "
        f"({registry['dated_pages_right']}/{registry['dated_pages']} of the dated pages); "
        f"trafilatura ran on {registry['trafilatura_pages']}; {registry['ms_per_page']} ms/page"
    )
    print(f"  bodies made by: {_sources(registry['body_sources'])}")
    print(
        f"demo sites: {demo['pages']} article pages, trafilatura ran on {demo['trafilatura_pages']}"
    )
    print(f"  bodies made by: {_sources(demo['body_sources'])}")
    print(json.dumps({"registry": registry, "demo": demo}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
