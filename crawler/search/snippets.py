"""Highlighted snippets: where a text contains the terms of a query, as character spans.

Pure functions. A ``Snippet`` is plain text plus ``(start, end)`` character offsets of the
matched parts, never markup: the terminal view styles the spans of a ``rich.text.Text``, JSON
output carries them as numbers, a web page escapes the text and wraps the spans. Terms are found
as the search found them (a substring, ASCII letters ignoring case: ``storage.search_text``).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

ELLIPSIS: Final = "…"
MAX_TERMS: Final = 32
MAX_SPANS: Final = 400
_UPPER_RUN: Final = re.compile(r"[A-Z]+")
_FLATTEN: Final = str.maketrans({"\n": " ", "\r": " ", "\t": " "})


@dataclass(frozen=True, slots=True)
class Snippet:
    """Text to show and the spans in it to highlight (sorted, not overlapping)."""

    text: str
    highlights: tuple[tuple[int, int], ...] = ()


def fold(value: str) -> str:
    """ASCII letters lowercased, as the search matches them (``storage.search_text.fold``)."""
    return _UPPER_RUN.sub(lambda match: match.group().lower(), value)


def find_spans(text: str, terms: Sequence[str]) -> list[tuple[int, int]]:
    """Where ``terms`` occur in ``text``: merged, sorted spans (at most ``MAX_SPANS``)."""
    return _find_spans(fold(text), terms)


def _find_spans(folded: str, terms: Sequence[str]) -> list[tuple[int, int]]:
    spans: list[tuple[int, int]] = []
    for term in list(dict.fromkeys(fold(t) for t in terms if t))[:MAX_TERMS]:
        start = folded.find(term)
        while start >= 0 and len(spans) < MAX_SPANS * 4:
            spans.append((start, start + len(term)))
            start = folded.find(term, start + 1)
    return _merge(spans)[:MAX_SPANS]


def highlight(text: str | None, terms: Sequence[str]) -> Snippet:
    """The whole of ``text`` (a title) on one line, with every occurrence of ``terms``."""
    value = (text or "").translate(_FLATTEN)
    return Snippet(value, tuple(find_spans(value, terms)))


def snippet(text: str | None, terms: Sequence[str], width: int = 120) -> Snippet:
    """About ``width`` characters of ``text`` on one line, around the passage that holds the
    most distinct terms (the start of the text when none occurs), with ``…`` where it was cut."""
    value = text or ""
    folded = fold(value)
    spans = _find_spans(folded, terms)
    start = _best_start(folded, spans, width)
    end = min(len(value), start + width)
    if end == len(value):
        start = max(0, end - width)
    prefix = ELLIPSIS if start > 0 else ""
    suffix = ELLIPSIS if end < len(value) else ""
    shift = len(prefix) - start
    shown = tuple(
        (max(s, start) + shift, min(e, end) + shift) for s, e in spans if s < end and e > start
    )
    return Snippet(prefix + value[start:end].translate(_FLATTEN) + suffix, shown)


def _best_start(folded: str, spans: list[tuple[int, int]], width: int) -> int:
    if not spans:
        return 0
    lead = width // 5
    best, best_key = 0, (-1, -1)
    for index, (first, _) in enumerate(spans[:MAX_SPANS]):
        window = [span for span in spans[index:] if span[1] <= first + width - lead]
        distinct = len({folded[s:e] for s, e in window})
        key = (distinct, len(window))
        if key > best_key:
            best, best_key = max(0, first - lead), key
    return best


def _merge(spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    merged: list[tuple[int, int]] = []
    for start, end in sorted(spans):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged
