"""The hand-labelled relevance set and its scoring, shared by the relevance tests and
``bench/relevance.py`` (which prints what this measures).

``tests/fixtures/relevance/articles.yaml`` holds forum/summit reports and the everyday items that
share their pages. ``evaluate`` scores each article as forumwatch does (normalize, then
``crawler.analyze.relevance.score_article``) and counts the verdicts, the topics found and the
accuracy of the extracted event (name, city, start and end dates).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import yaml

from crawler.analyze.events import find_event
from crawler.analyze.normalize import normalize_field, normalize_text
from crawler.analyze.relevance import Relevance, score_article

EVAL_SET = Path(__file__).resolve().parent / "fixtures" / "relevance" / "articles.yaml"
EVENT_KEYS = ("name", "city", "start", "end")


def load_set(path: Path = EVAL_SET) -> list[dict[str, Any]]:
    """The labelled articles: ``id``, ``title``, ``text``, ``relevant``, ``kind``, ``topics``,
    ``published`` and the expected ``event``."""
    return list(yaml.safe_load(path.read_text(encoding="utf-8"))["articles"])


@dataclass(frozen=True)
class EventMiss:
    """An event field extracted wrong: the article, the field, what was found, what is right."""

    entry_id: str
    key: str
    got: str | None
    want: str


@dataclass
class Evaluation:
    """What the scorer got right and wrong on the labelled set."""

    verdicts: list[tuple[dict[str, Any], Relevance]] = field(default_factory=list)
    topic_hits: int = 0
    topic_total: int = 0
    event_checks: dict[str, list[bool]] = field(
        default_factory=lambda: {key: [] for key in EVENT_KEYS}
    )
    event_misses: list[EventMiss] = field(default_factory=list)
    seconds: float = 0.0

    def count(self, relevant: bool, want: bool) -> int:
        """Articles the scorer called ``relevant`` whose label is ``want``."""
        return sum(
            1
            for entry, result in self.verdicts
            if (result.relevant, bool(entry["relevant"])) == (relevant, want)
        )

    @property
    def precision(self) -> float:
        tp, fp = self.count(True, True), self.count(True, False)
        return tp / (tp + fp) if tp + fp else 1.0

    @property
    def recall(self) -> float:
        tp, fn = self.count(True, True), self.count(False, True)
        return tp / (tp + fn) if tp + fn else 1.0

    def errors(self) -> list[tuple[dict[str, Any], Relevance]]:
        return [
            (entry, result)
            for entry, result in self.verdicts
            if result.relevant != bool(entry["relevant"])
        ]


def evaluate(entries: list[dict[str, Any]]) -> Evaluation:
    """Score every labelled article and check its topics and event."""
    found = Evaluation()
    started = time.perf_counter()
    for entry in entries:
        title = normalize_field(entry["title"])
        text = normalize_text(entry["text"]).text
        result = score_article(title, text)
        found.verdicts.append((entry, result))
        expected_topics = set(entry.get("topics") or [])
        found.topic_total += len(expected_topics)
        found.topic_hits += len(expected_topics & set(result.topics))
        if entry["relevant"] and entry.get("event"):
            _check_event(found, entry, title, text)
    found.seconds = time.perf_counter() - started
    return found


def _check_event(found: Evaluation, entry: dict[str, Any], title: str | None, text: str) -> None:
    event = find_event(title, text, date.fromisoformat(str(entry["published"])))
    got = {
        "name": event.name,
        "city": event.city,
        "start": event.start.isoformat() if event.start else None,
        "end": event.end.isoformat() if event.end else None,
    }
    for key in EVENT_KEYS:
        if key in entry["event"]:
            want = str(entry["event"][key])
            found.event_checks[key].append(got[key] == want)
            if got[key] != want:
                found.event_misses.append(EventMiss(entry["id"], key, got[key], want))
