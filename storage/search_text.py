"""What the full-text index holds: overlapping character bigrams of an article's title and text.

Pure functions over strings (standard library only), shared by the index writer
(``storage.search``), migration 0007 and whoever must agree with them (the query parser folds
query terms the same way, the tests' reference scan uses ``contains``).

Matching is a plain substring test on *folded* text: ``fold`` lowercases ASCII letters and
changes nothing else, so every character keeps its offset (SQLite's built-in ``lower()`` does
exactly this, and PostgreSQL's ``translate`` is given the same table). Stored text is already
normalized (full-width letters and digits made half-width by ``crawler.analyze.normalize``).

A *run* is a maximal sequence of word characters (``str.isalnum``: Han, kana, hangul, Latin
letters, digits...). Each run of n characters gives its n-1 overlapping bigrams and then its
last character alone: ``城市更新`` -> ``城市 市更 更新 新``. So:

- every word character of a text starts exactly one token, and a one-character query ``x`` is
  the prefix query ``x*`` (exact);
- a term that is one run of two or more characters is the phrase of its bigrams (exact on
  SQLite's FTS5, which keeps positions): within a run the bigrams are consecutive, and the
  trailing unigram keeps a bigram of one run from ever sitting next to one of the following run;
- any other term (one with spaces or punctuation) is a superset query (every run of it, as above)
  confirmed by a substring test.

Latin words and numbers are runs like any other, so ``024`` finds ``2024`` as a substring scan
would (whole-word tokens would miss it).
"""

from __future__ import annotations

import operator
import re
from typing import Final

_UPPER_RUN: Final = re.compile(r"[A-Z]+")
ASCII_UPPER: Final = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
ASCII_LOWER: Final = "abcdefghijklmnopqrstuvwxyz"
_RUN: Final = re.compile(r"[^\W_]+")  # \w is str.isalnum() plus "_"


def fold(value: str) -> str:
    """``value`` with ASCII letters lowercased; same length, same offsets."""
    # a regex pass: str.translate walks a CJK text character by character in Python's mapping
    return _UPPER_RUN.sub(_lower, value)


def _lower(match: re.Match[str]) -> str:
    return match.group().lower()


def contains(haystack: str | None, term: str) -> bool:
    """Whether folded ``term`` occurs in folded ``haystack``: the definition of a match."""
    return bool(haystack) and fold(term) in fold(haystack or "")


def runs(value: str) -> list[str]:
    """The runs of word characters of an already folded string."""
    return _RUN.findall(value)


def bigrams(run: str) -> list[str]:
    """The overlapping bigrams of a run (none for a single character)."""
    return list(map(operator.add, run, run[1:]))


def index_text(value: str | None) -> str:
    """The token string the index stores for a title or text: space-separated tokens."""
    if not value:
        return ""
    parts: list[str] = []
    for run in _RUN.findall(fold(value)):
        if len(run) > 1:
            parts.append(" ".join(map(operator.add, run, run[1:])))
        parts.append(run[-1])
    return " ".join(parts)


def index_tokens(value: str | None) -> list[str]:
    """The tokens of ``index_text``, in order."""
    return index_text(value).split()
