"""Is an article about a forum, summit or conference? An explainable, rule-weighted scorer.

Pure; no settings read. Rules live in ``crawler/data/relevance.yaml`` and the topic taxonomy in
``crawler/data/topics.yaml`` (the files people tune); both are compiled once into module-level
caches that ``reset_rules()`` drops. Scoring runs on normalized text (simplified characters).
Every decision can be shown: ``Relevance.signals`` lists each rule that fired, where, its weight
and the text it matched (``forumwatch explain ID``). Sentences that carry injected SEO spam
(``crawler.analyze.spam``) are left out of the text the rules read: a hacked page's 签约送彩金 or
嘉宾专享 must neither make a notice relevant nor change a report's verdict.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

import yaml

from crawler.analyze.spam import find_spam
from crawler.datafiles import DATA_DIR

RULES_FILE = DATA_DIR / "relevance.yaml"
TOPICS_FILE = DATA_DIR / "topics.yaml"

Where = Literal["title", "lead", "body"]
_WHERE: frozenset[str] = frozenset({"title", "lead", "body"})


@dataclass(frozen=True)
class Rule:
    name: str
    where: Where
    pattern: re.Pattern[str]
    weight: float


@dataclass(frozen=True)
class Topic:
    id: str
    label: str
    keywords: tuple[str, ...]


@dataclass(frozen=True)
class Rules:
    threshold: float
    lead_chars: int
    rules: tuple[Rule, ...]
    topics: tuple[Topic, ...]
    min_body_hits: int
    theme: Rule | None = None  # applies when it does NOT match and no topic applies


@dataclass(frozen=True)
class Signal:
    """One rule that fired: its name, where, its weight and the text it matched."""

    rule: str
    where: str
    weight: float
    matched: str


@dataclass(frozen=True)
class Relevance:
    """The scorer's verdict on one article."""

    relevant: bool
    score: float
    threshold: float
    signals: list[Signal] = field(default_factory=list)
    topics: list[str] = field(default_factory=list)


@lru_cache(maxsize=1)
def get_rules() -> Rules:
    """The compiled rules and taxonomy, loaded on first use."""
    return load_rules(RULES_FILE, TOPICS_FILE)


def reset_rules() -> None:
    """Forget the cached rules; the next ``get_rules()`` reads the files again."""
    get_rules.cache_clear()


def load_rules(rules_file: Path, topics_file: Path) -> Rules:
    """Read and compile a rules file and a taxonomy file; a bad entry raises ValueError naming it."""
    data: dict[str, Any] = yaml.safe_load(rules_file.read_text(encoding="utf-8")) or {}
    rules = tuple(_rule(entry, rules_file, index) for index, entry in enumerate(data["rules"]))
    taxonomy: dict[str, Any] = yaml.safe_load(topics_file.read_text(encoding="utf-8")) or {}
    topics = tuple(
        Topic(
            id=str(entry["id"]),
            label=str(entry.get("label", entry["id"])),
            keywords=tuple(str(word) for word in entry.get("keywords") or []),
        )
        for entry in taxonomy.get("topics") or []
    )
    theme = data.get("theme")
    return Rules(
        theme=_rule({"where": "body", **theme}, rules_file, -1) if theme else None,
        threshold=float(data.get("threshold", 5)),
        lead_chars=int(data.get("lead_chars", 300)),
        rules=rules,
        topics=topics,
        min_body_hits=int(taxonomy.get("min_body_hits", 2)),
    )


def _rule(entry: dict[str, Any], path: Path, index: int) -> Rule:
    where = str(entry.get("where", "body"))
    label = f"rules[{index}]" if index >= 0 else "theme"
    if where not in _WHERE:
        raise ValueError(f"{path}: {label}.where: must be one of {sorted(_WHERE)}")
    try:
        pattern = re.compile(str(entry["pattern"]))
    except (KeyError, re.error) as error:
        raise ValueError(f"{path}: {label}.pattern: {error}") from error
    return Rule(
        name=str(entry.get("name", f"rule{index}")),
        where=where,  # type: ignore[arg-type]
        pattern=pattern,
        weight=float(entry["weight"]),
    )


def score_article(title: str | None, text: str, rules: Rules | None = None) -> Relevance:
    """Score one normalized article: relevant when the fired rules' weights reach the threshold."""
    rules = rules or get_rules()
    text = without_spam(text)
    parts = {"title": title or "", "lead": text[: rules.lead_chars], "body": text}
    signals: list[Signal] = []
    for rule in rules.rules:
        match = rule.pattern.search(parts[rule.where])
        if match:
            signals.append(Signal(rule.name, rule.where, rule.weight, match.group(0)))
    topics = find_topics(title, text, rules)
    theme = rules.theme
    if theme is not None and not topics and not theme.pattern.search(f"{title or ''}\n{text}"):
        signals.append(Signal(theme.name, "title+body", theme.weight, "(no theme word)"))
    score = sum(signal.weight for signal in signals)
    return Relevance(
        relevant=score >= rules.threshold,
        score=score,
        threshold=rules.threshold,
        signals=signals,
        topics=topics,
    )


def find_topics(title: str | None, text: str, rules: Rules | None = None) -> list[str]:
    """Taxonomy topics of an article: a keyword in the title, or enough keyword hits in the body."""
    rules = rules or get_rules()
    found: list[str] = []
    for topic in rules.topics:
        if (
            any(word in (title or "") for word in topic.keywords)
            or sum(text.count(word) for word in topic.keywords) >= rules.min_body_hits
        ):
            found.append(topic.id)
    return found


def topic_labels(topic_ids: list[str]) -> list[str]:
    """Human labels of topic ids (unknown ids are shown as they are)."""
    labels = {topic.id: topic.label for topic in get_rules().topics}
    return [labels.get(topic_id, topic_id) for topic_id in topic_ids]


_SENTENCE = re.compile(r"[^。！？!?\n]*(?:[。！？!?\n]|$)")


def without_spam(text: str) -> str:
    """``text`` without the sentences (or lines) in which injected spam is found."""
    if not find_spam(text):
        return text
    return "".join(
        sentence for sentence in _SENTENCE.findall(text) if not sentence or not find_spam(sentence)
    )
