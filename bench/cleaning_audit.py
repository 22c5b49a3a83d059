"""What trafilatura's cleaning drops from the chosen block, page by page (issue 11 audit).

Extraction runs twice on every page: as the crawl runs it (the block's lines that trafilatura's
main text holds make the body, ``extraction._kept_by_trafilatura``) and with that cleaning off
(the block's lines all make the body). The lines of the second text missing from the first are
what the cleaning dropped; each is printed with where it stood in the block (``head`` before the
first kept line, ``inside`` between kept lines, ``tail`` after the last) and its page's counts.
The time of both runs is measured per page too (median and mean ms/page).

Corpora (skipped when absent):
- ``fixtures``: ``tests/fixtures/extraction/*.html`` (pages we wrote, with expectations);
- ``sites``: the demo sites' pages, ``tests/sites/**/*.html`` (built from ``shared/seeds``, whose
  texts are plain text and so are not a corpus of their own);
- ``peers``: the 200 real pages of ``../shared/peers/htmldate-mediacloud/pages`` (mostly
  European news with their real chrome), URLs from its ``dates.json``.

    PYTHONPATH=$PWD .venv/bin/python bench/cleaning_audit.py [--corpus peers] [--limit N]
        [--quiet] [--json FILE]

Run by nothing in ``make test``; it prints figures and lines to read.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from difflib import SequenceMatcher
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from crawler.analyze.normalize import strip_controls  # noqa: E402
from crawler.extract import extraction  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared"
PEERS = SHARED / "peers" / "htmldate-mediacloud"


@dataclass
class Dropped:
    """One line the cleaning dropped, and where it stood among the block's lines."""

    line: str
    where: str  # head | inside | tail


@dataclass
class PageAudit:
    corpus: str
    name: str
    url: str
    source: str  # body_source with cleaning on
    kept_chars: int
    dropped: list[Dropped] = field(default_factory=list)
    ms_on: float = 0.0
    ms_off: float = 0.0

    @property
    def dropped_chars(self) -> int:
        return sum(len(item.line) for item in self.dropped)


def corpus_pages(corpus: str) -> Iterator[tuple[str, str, bytes, str | None]]:
    """(name, url, page bytes, header charset) of one corpus; nothing when it is absent."""
    if corpus == "fixtures":
        for path in sorted((ROOT / "tests" / "fixtures" / "extraction").glob("*.html")):
            expected_file = path.with_suffix(".json")
            expected = {}
            if expected_file.exists():
                expected = json.loads(expected_file.read_text(encoding="utf-8"))
            url = expected.get("url") or f"http://fixture.example.cn/{path.name}"
            yield path.stem, url, path.read_bytes(), expected.get("header_charset")
    elif corpus == "sites":
        sites = ROOT / "tests" / "sites"
        for path in sorted(sites.glob("**/*.html")):
            relative = path.relative_to(sites).as_posix()
            yield relative, f"http://{relative}", path.read_bytes(), None
    elif corpus == "peers":
        index = PEERS / "dates.json"
        if not index.exists():
            return
        urls = {entry["file"]: url for url, entry in json.loads(index.read_text()).items()}
        for path in sorted((PEERS / "pages").glob("*.html")):
            yield path.name, urls.get(path.name, ""), path.read_bytes(), None


@contextmanager
def cleaning_off() -> Iterator[None]:
    """Extraction with trafilatura's cleaning of the block switched off (all its lines kept)."""
    original = extraction._kept_by_trafilatura

    def keep_all(*args: Any, **kwargs: Any) -> None:
        return None

    extraction._kept_by_trafilatura = keep_all  # type: ignore[assignment]
    try:
        yield
    finally:
        extraction._kept_by_trafilatura = original  # type: ignore[assignment]


def _timed(run: Callable[[], extraction.ExtractedArticle]) -> tuple[Any, float]:
    start = time.perf_counter()
    article = run()
    return article, (time.perf_counter() - start) * 1000


def dropped_lines(full: list[str], cleaned: list[str]) -> list[Dropped]:
    """Lines of ``full`` missing from ``cleaned`` (in order), placed head / inside / tail."""
    matcher = SequenceMatcher(a=full, b=cleaned, autojunk=False)
    kept_at = [
        i for block in matcher.get_matching_blocks() for i in range(block.a, block.a + block.size)
    ]
    first, last = (kept_at[0], kept_at[-1]) if kept_at else (len(full), -1)
    items = []
    for tag, i1, i2, _, _ in matcher.get_opcodes():
        if tag not in ("delete", "replace"):
            continue
        for index in range(i1, i2):
            where = "head" if index < first else "tail" if index > last else "inside"
            items.append(Dropped(full[index], where))
    return items


def audit_page(
    corpus: str, name: str, url: str, body: bytes, charset: str | None = None
) -> PageAudit:
    """One page extracted with the cleaning on and off (as the crawl decodes it: with the
    response's header charset)."""
    on, ms_on = _timed(lambda: extraction.extract_article(body, url, header_charset=charset))
    with cleaning_off():
        off, ms_off = _timed(lambda: extraction.extract_article(body, url, header_charset=charset))
    cleaned = on.text.split("\n") if on.text else []
    full = off.text.split("\n") if off.text else []
    audit = PageAudit(corpus, name, url, on.body_source, len(on.text), ms_on=ms_on, ms_off=ms_off)
    audit.dropped = dropped_lines(full, cleaned)
    return audit


def report(audits: list[PageAudit], quiet: bool) -> dict[str, Any]:
    for audit in audits:
        if not audit.dropped:
            continue
        print(
            f"== {audit.corpus}/{audit.name} [{audit.source}] kept {audit.kept_chars} chars, "
            f"dropped {len(audit.dropped)} lines / {audit.dropped_chars} chars  {audit.url}"
        )
        if not quiet:
            for item in audit.dropped:
                # crawled text: no control character reaches the terminal
                print(f"   {item.where:6} {strip_controls(item.line[:160])}")
    figures: dict[str, Any] = {}
    for corpus in sorted({audit.corpus for audit in audits}):
        pages = [audit for audit in audits if audit.corpus == corpus]
        where: dict[str, int] = {}
        for audit in pages:
            for item in audit.dropped:
                where[item.where] = where.get(item.where, 0) + len(item.line)
        figures[corpus] = {
            "pages": len(pages),
            "pages_with_drops": sum(1 for audit in pages if audit.dropped),
            "kept_chars": sum(audit.kept_chars for audit in pages),
            "dropped_lines": sum(len(audit.dropped) for audit in pages),
            "dropped_chars": sum(audit.dropped_chars for audit in pages),
            "dropped_chars_by_place": where,
            "ms_on_median": round(statistics.median(a.ms_on for a in pages), 1),
            "ms_off_median": round(statistics.median(a.ms_off for a in pages), 1),
            "ms_on_mean": round(statistics.fmean(a.ms_on for a in pages), 1),
            "ms_off_mean": round(statistics.fmean(a.ms_off for a in pages), 1),
        }
        print(f"{corpus}: {json.dumps(figures[corpus], ensure_ascii=False)}")
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--corpus", action="append", choices=["fixtures", "sites", "peers"])
    parser.add_argument("--limit", type=int, default=0, help="pages per corpus (0: all)")
    parser.add_argument("--quiet", action="store_true", help="counts only, no dropped lines")
    parser.add_argument("--json", type=Path, help="write every page's dropped lines here")
    args = parser.parse_args()
    audits = []
    for corpus in args.corpus or ["fixtures", "sites", "peers"]:
        for count, (name, url, body, charset) in enumerate(corpus_pages(corpus)):
            if args.limit and count >= args.limit:
                break
            audits.append(audit_page(corpus, name, url, body, charset))
    report(audits, args.quiet)
    if args.json:
        rows = [{**asdict(audit), "dropped_chars": audit.dropped_chars} for audit in audits]
        args.json.write_text(json.dumps(rows, ensure_ascii=False, indent=1), encoding="utf-8")


if __name__ == "__main__":
    main()
