"""Keyword matching for alert rules, pure: no database, no settings read.

A keyword matches an article's title or text when its *folded* form occurs in the folded text.
Folding makes matching ignore what readers ignore: traditional characters become simplified
(OpenCC ``t2s``, as ``crawler.analyze.normalize`` does for stored text), full-width letters and
digits become half-width, case is folded, and runs of white space become one space. A keyword
that belongs to an alias group (``crawler/data/aliases.yaml``, plus the config's ``aliases``)
stands for every member of its group: ``城投`` also matches ``融资平台``.

``KeywordMatcher.match(rule_keywords, title, text)`` applies a rule's ``any``/``all``/``none``
lists and returns the keywords that matched (None when the rule does not match).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from functools import lru_cache
from typing import Any

import yaml

from crawler.config import KeywordMatch
from crawler.datafiles import DATA_DIR

ALIASES_FILE = DATA_DIR / "aliases.yaml"

_HALF_WIDTH = str.maketrans(
    {
        **{chr(code): chr(code - 0xFEE0) for code in range(0xFF01, 0xFF5F)},
        "\u3000": " ",
        "\u00a0": " ",
        "\u200b": "",
        "\ufeff": "",
    }
)
_SPACES = re.compile(r"\s+")


@lru_cache(maxsize=1)
def _converter() -> Any:
    import opencc

    return opencc.OpenCC("t2s")


def fold(text: str) -> str:
    """``text`` as matching sees it: simplified, half-width, case-folded, spaces collapsed."""
    if not text:
        return ""
    text = _converter().convert(text).translate(_HALF_WIDTH).casefold()
    return _SPACES.sub(" ", text).strip()


@lru_cache(maxsize=8)
def _haystack(title: str, text: str) -> str:
    """The folded title and text of an article, folded once for all the rules of a crawl."""
    return fold(title) + "\n" + fold(text)


@lru_cache(maxsize=1)
def builtin_aliases() -> tuple[tuple[str, ...], ...]:
    """The alias groups of ``crawler/data/aliases.yaml``."""
    raw = yaml.safe_load(ALIASES_FILE.read_text(encoding="utf-8")) or []
    return tuple(tuple(str(term) for term in group) for group in raw)


class KeywordMatcher:
    """Keyword matching with alias groups; build one per config and reuse it."""

    def __init__(self, extra_aliases: Iterable[Sequence[str]] = (), *, builtin: bool = True):
        groups = [*(builtin_aliases() if builtin else ()), *(tuple(g) for g in extra_aliases)]
        self._groups: dict[str, set[str]] = {}
        for group in groups:
            folded = {fold(term) for term in group if fold(term)}
            # a term in several groups stands for all of them
            merged = set(folded)
            for term in folded:
                merged |= self._groups.get(term, set())
            for term in merged:
                self._groups[term] = merged

    def variants(self, keyword: str) -> tuple[str, ...]:
        """The folded forms a keyword stands for: itself and its alias group, longest first."""
        key = fold(keyword)
        if not key:
            return ()
        return tuple(sorted(self._groups.get(key, {key}), key=lambda v: (-len(v), v)))

    def contains(self, keyword: str, folded_text: str) -> bool:
        """Whether ``folded_text`` (already ``fold``-ed) holds ``keyword`` or an alias of it."""
        return any(variant in folded_text for variant in self.variants(keyword))

    def match(self, rule: KeywordMatch, title: str | None, text: str | None) -> list[str] | None:
        """The rule's keywords found in the article (``any`` and ``all`` ones, in the rule's
        order), or None when the article does not match: none of ``any`` (when given), one of
        ``all`` missing, or one of ``none`` present. A rule without keywords matches with []."""
        haystack = _haystack(title or "", text or "")
        if any(self.contains(k, haystack) for k in rule.none):
            return None
        found_all = [k for k in rule.all if self.contains(k, haystack)]
        if len(found_all) < len([k for k in rule.all if fold(k)]):
            return None
        found_any = [k for k in rule.any if self.contains(k, haystack)]
        if [k for k in rule.any if fold(k)] and not found_any:
            return None
        seen: dict[str, None] = {}
        for keyword in [*found_any, *found_all]:
            seen.setdefault(keyword, None)
        return list(seen)
