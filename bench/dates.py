"""Date accuracy on a peer's evaluation set: forumwatch's date finding against known dates.

Reads ``dates.json`` (URL -> {file, date}) and ``pages/`` from ``--peers`` (default
``/work/shared/peers/htmldate-mediacloud``, htmldate's news-page evaluation set; not in the repo)
and runs ``extract_article`` on each page, the function the crawl uses. Prints the share of pages
whose ``published_on`` is the exact day (or none, on the set's pages marked ``nan``: no date),
the share with no date and the share with a wrong date,
the extraction time, and one JSON line. Skips (exit 0) when the folder is absent.

    PYTHONPATH=$PWD .venv/bin/python bench/dates.py [--peers DIR] [--misses]

Development set (200 pages, 5 of them without a date), right/none/wrong: 0.585/0.150/0.265
before issue 11 (34 pages/s); 0.900/0.025/0.075 after (26 pages/s): the stated zone's day, then
htmldate as the fallback (asked on 35 of 200 pages, ~50 ms each: a re-parse, the fast search, then
the extensive one). htmldate alone: 0.87 fast, 0.91 extensive (the issue's figures). Then
0.915/0.025/0.060: a stamp written in UTC gives the neighbouring day the page shows its readers
(23:15Z and "06 Dicembre 2020"). Most of the 12 wrong are a day off where the page's own stamp
disagrees with the set or htmldate takes a site header's clock; 2 have no date in the set.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

from crawler.extract.extraction import extract_article

DEFAULT_PEERS = Path("/work/shared/peers/htmldate-mediacloud")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--peers", type=Path, default=DEFAULT_PEERS)
    parser.add_argument("--misses", action="store_true", help="list the pages missed")
    args = parser.parse_args(argv)
    index = args.peers / "dates.json"
    if not index.is_file():
        print(f"skipped: {index} not found")
        return 0
    expected: dict[str, dict[str, str]] = json.loads(index.read_text(encoding="utf-8"))
    right = none = wrong = undated = 0
    spent = 0.0
    for url, entry in expected.items():
        page = args.peers / "pages" / entry["file"]
        if not page.is_file():
            continue
        body = page.read_bytes()
        started = time.perf_counter()
        article = extract_article(body, url)
        spent += time.perf_counter() - started
        found = article.published_on.isoformat() if article.published_on else None
        wanted = _wanted(entry.get("date"))
        undated += wanted is None
        if found == wanted:
            right += 1
            continue
        if found is None:
            none += 1
        else:
            wrong += 1
        if args.misses:
            print(
                f"{'none ' if found is None else 'wrong'} {entry['file']} want {entry['date']} got {found} {url}"
            )
    total = right + none + wrong
    if not total:
        print("skipped: no pages")
        return 0
    figures = {
        "pages": total,
        "undated": undated,
        "right": round(right / total, 3),
        "none": round(none / total, 3),
        "wrong": round(wrong / total, 3),
        "pages_per_s": round(total / spent, 1) if spent else None,
    }
    print(
        f"{total} pages ({undated} without a date: right when none is given): right day {figures['right']:.3f}, no date {figures['none']:.3f}, "
        f"wrong {figures['wrong']:.3f}; extraction {figures['pages_per_s']} pages/s"
    )
    print(json.dumps(figures))
    return 0


def _wanted(value: object) -> str | None:
    """The expected day; the set marks pages without one as ``nan`` (or null)."""
    text = str(value) if value is not None else ""
    return text if len(text) == 10 and text[4] == "-" else None


if __name__ == "__main__":
    sys.exit(main())
