"""Relevance and event extraction on the labelled evaluation set: precision, recall, errors.

Run: ``.venv/bin/python bench/relevance.py [--verbose]`` (also part of ``make bench``). Reads
``tests/fixtures/relevance/articles.yaml`` (hand-labelled forum/summit reports and the everyday
items that share their pages), scores each article as forumwatch does (normalize, then
``crawler.analyze.relevance.score_article``), and prints precision and recall of ``relevant``, the
misclassified articles with the rules that fired, topic agreement, and the accuracy of the
extracted event name, city and dates. Targets: precision >= 0.95 and recall >= 0.95.
"""

from __future__ import annotations

import argparse
import sys
import time
from datetime import date
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from crawler.analyze.events import find_event  # noqa: E402
from crawler.analyze.normalize import normalize_field, normalize_text  # noqa: E402
from crawler.analyze.relevance import score_article  # noqa: E402

EVAL_SET = ROOT / "tests" / "fixtures" / "relevance" / "articles.yaml"


def load_set(path: Path = EVAL_SET) -> list[dict[str, Any]]:
    return list(yaml.safe_load(path.read_text(encoding="utf-8"))["articles"])


def evaluate(entries: list[dict[str, Any]], verbose: bool = False) -> dict[str, float]:
    tp = fp = fn = tn = 0
    event_checks: dict[str, list[bool]] = {"name": [], "city": [], "start": [], "end": []}
    topic_hits = topic_total = 0
    started = time.perf_counter()
    for entry in entries:
        title = normalize_field(entry["title"])
        text = normalize_text(entry["text"]).text
        result = score_article(title, text)
        want = bool(entry["relevant"])
        tp += result.relevant and want
        fp += result.relevant and not want
        fn += want and not result.relevant
        tn += not want and not result.relevant
        if result.relevant != want or verbose:
            fired = ", ".join(f"{s.rule}{s.weight:+g}[{s.matched}]" for s in result.signals)
            mark = "OK " if result.relevant == want else "ERR"
            print(f"{mark} {entry['id']:32} want={want!s:5} score={result.score:+g} {fired}")
        expected_topics = set(entry.get("topics") or [])
        topic_total += len(expected_topics)
        topic_hits += len(expected_topics & set(result.topics))
        if want and entry.get("event"):
            published = date.fromisoformat(str(entry["published"]))
            event = find_event(title, text, published)
            for key, got in (
                ("name", event.name),
                ("city", event.city),
                ("start", event.start.isoformat() if event.start else None),
                ("end", event.end.isoformat() if event.end else None),
            ):
                if key in entry["event"]:
                    ok = got == str(entry["event"][key])
                    event_checks[key].append(ok)
                    if not ok and verbose:
                        print(f"    event.{key}: got {got!r} want {entry['event'][key]!r}")
    seconds = time.perf_counter() - started
    precision = tp / (tp + fp) if tp + fp else 1.0
    recall = tp / (tp + fn) if tp + fn else 1.0
    print(f"\n{len(entries)} articles ({tp + fn} relevant): tp={tp} fp={fp} fn={fn} tn={tn}")
    print(f"precision {precision:.3f} (target >= 0.95)   recall {recall:.3f} (target >= 0.95)")
    print(f"topic recall {topic_hits}/{topic_total}")
    for key, checks in event_checks.items():
        if checks:
            print(f"event {key:5}: {sum(checks)}/{len(checks)} right")
    print(f"{len(entries) / seconds:.0f} articles/s scored (normalize + score)")
    return {"precision": precision, "recall": recall}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--verbose", action="store_true", help="every article, and event misses")
    args = parser.parse_args()
    evaluate(load_set(), verbose=args.verbose)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
