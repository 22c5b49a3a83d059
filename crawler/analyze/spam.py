"""SEO spam injected into hacked pages: gambling and casino brand names and vocabulary.

Pure; no settings read. Patterns live in ``crawler/data/spam.yaml`` (the file people tune),
compiled once into a module-level cache; ``reset_patterns()`` drops it. Matching runs on
normalized text (simplified characters, half-width letters and digits).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from crawler.datafiles import DATA_DIR

SPAM_FILE = DATA_DIR / "spam.yaml"


@dataclass(frozen=True)
class SpamPatterns:
    patterns: tuple[re.Pattern[str], ...]
    allow: re.Pattern[str] | None


@lru_cache(maxsize=1)
def get_patterns() -> SpamPatterns:
    """The compiled spam patterns, loaded from ``SPAM_FILE`` on first use."""
    return load_patterns(SPAM_FILE)


def reset_patterns() -> None:
    """Forget the cached patterns; the next ``get_patterns()`` reads the file again."""
    get_patterns.cache_clear()


def load_patterns(path: Path) -> SpamPatterns:
    """Read and compile one spam YAML file."""
    data: dict[str, Any] = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    brands = sorted((str(b) for b in data.get("brands") or []), key=len, reverse=True)
    alternation = "|".join(re.escape(brand) for brand in brands) or "(?!)"
    patterns = tuple(
        re.compile(str(pattern).replace("{brands}", alternation))
        for pattern in data.get("patterns") or []
    )
    allowed = sorted((str(a) for a in data.get("allow") or []), key=len, reverse=True)
    allow = re.compile("|".join(map(re.escape, allowed))) if allowed else None
    return SpamPatterns(patterns=patterns, allow=allow)


def find_spam(text: str) -> list[str]:
    """The spam snippets found in ``text`` (empty when it is clean), each with a little context."""
    spam = get_patterns()
    view = spam.allow.sub(_blank, text) if spam.allow else text
    found: list[str] = []
    for pattern in spam.patterns:
        for match in pattern.finditer(view):
            start, end = max(0, match.start() - 4), min(len(text), match.end() + 4)
            snippet = text[start:end]
            if not any(match.group(0) in seen for seen in found):
                found.append(snippet)
    return found


def _blank(match: re.Match[str]) -> str:
    return " " * len(match.group(0))
