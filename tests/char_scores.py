"""Character-level scores of an extraction against its human-cleaned expectation.

The held-out evaluation the issue reports scores title + body per character; this is that
measure on a bag of characters, whitespace ignored: precision (how much of what was extracted is
article), recall (how much of the article was extracted) and their F1.
"""

from __future__ import annotations

from collections import Counter
from typing import NamedTuple


class CharScores(NamedTuple):
    precision: float
    recall: float
    f1: float


def char_scores(got: str, want: str) -> CharScores:
    """Precision, recall and F1 of two bags of characters, whitespace ignored."""
    got_bag = Counter(char for char in got if not char.isspace())
    want_bag = Counter(char for char in want if not char.isspace())
    overlap = sum((got_bag & want_bag).values())
    if not got_bag or not want_bag or not overlap:
        same = 1.0 if got_bag == want_bag else 0.0
        return CharScores(same, same, same)
    precision = overlap / sum(got_bag.values())
    recall = overlap / sum(want_bag.values())
    return CharScores(precision, recall, 2 * precision * recall / (precision + recall))


def char_f1(got: str, want: str) -> float:
    """F1 of two bags of characters, whitespace ignored."""
    return char_scores(got, want).f1
