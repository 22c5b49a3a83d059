"""Relevance and event extraction on the labelled evaluation set: precision, recall, errors.

Run: ``.venv/bin/python bench/relevance.py [--verbose]`` (also part of ``make bench``). Scores the
labelled set (``tests/fixtures/relevance/articles.yaml``, through ``tests.relevance_set``, which
the tests share) and prints precision and recall of ``relevant``, the misclassified articles with
the rules that fired, topic agreement, and the accuracy of the extracted event name, city and
dates. Targets: precision >= 0.95 and recall >= 0.95.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.relevance_set import Evaluation, evaluate, load_set  # noqa: E402


def report(found: Evaluation, verbose: bool = False) -> None:
    """Print the misclassified articles (every article with ``verbose``) and the figures."""
    for entry, result in found.verdicts:
        want = bool(entry["relevant"])
        if result.relevant != want or verbose:
            fired = ", ".join(f"{s.rule}{s.weight:+g}[{s.matched}]" for s in result.signals)
            mark = "OK " if result.relevant == want else "ERR"
            print(f"{mark} {entry['id']:32} want={want!s:5} score={result.score:+g} {fired}")
    if verbose:
        for miss in found.event_misses:
            print(f"    {miss.entry_id} event.{miss.key}: got {miss.got!r} want {miss.want!r}")
    tp, fp = found.count(True, True), found.count(True, False)
    fn, tn = found.count(False, True), found.count(False, False)
    print(f"\n{len(found.verdicts)} articles ({tp + fn} relevant): tp={tp} fp={fp} fn={fn} tn={tn}")
    print(
        f"precision {found.precision:.3f} (target >= 0.95)   "
        f"recall {found.recall:.3f} (target >= 0.95)"
    )
    print(f"topic recall {found.topic_hits}/{found.topic_total}")
    for key, checks in found.event_checks.items():
        if checks:
            print(f"event {key:5}: {sum(checks)}/{len(checks)} right")
    print(f"{len(found.verdicts) / found.seconds:.0f} articles/s scored (normalize + score)")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--verbose", action="store_true", help="every article, and event misses")
    args = parser.parse_args()
    report(evaluate(load_set()), verbose=args.verbose)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
