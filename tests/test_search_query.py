"""The pure parts of search: the query language, the index's bigram tokens, snippets."""

from __future__ import annotations

import random

import pytest

from crawler.search import snippets
from crawler.search.query import Query, Term, parse
from crawler.search.snippets import highlight, snippet
from storage import search_text
from storage.search_text import bigrams, index_text, runs


def clauses(query: str) -> list[list[tuple[str, bool]]]:
    return [[(term.text, term.negated) for term in clause] for clause in parse(query).clauses]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("城投 论坛", [[("城投", False)], [("论坛", False)]]),
        ('"城市更新" OR 旧改', [[("城市更新", False), ("旧改", False)]]),
        ("-广告", [[("广告", True)]]),
        ("NOT 广告 城投", [[("广告", True)], [("城投", False)]]),
        ("城投 论坛 OR 峰会", [[("城投", False)], [("论坛", False), ("峰会", False)]]),
        ('-"征求 意见" ＡＢ１', [[("征求 意见", True)], [("ab1", False)]]),
        ("x AND y", [[("x", False)], [("y", False)]]),
        ("A OR", [[("a", False)], [("or", False)]]),
        ("OR", [[("or", False)]]),
        ('"OR"', [[("or", False)]]),
        ("城投 城投", [[("城投", False)]]),
        ("-", [[("-", False)]]),
        ("--x", [[("--x", False)]]),
        ("a\x00b\x1bc", [[("a", False)], [("b", False)], [("c", False)]]),
    ],
)
def test_query_language(query: str, expected: list[list[tuple[str, bool]]]) -> None:
    assert clauses(query) == expected


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("' OR 1=1--", [[("'", False), ("1=1--", False)]]),
        ('"', [[('"', False)]]),
        ('"unclosed phrase', [[('"unclosed', False)], [("phrase", False)]]),
        ('""', [[('""', False)]]),
        ("NEAR(", [[("near(", False)]]),
        ("title:", [[("title:", False)]]),
        ("*", [[("*", False)]]),
        ("%", [[("%", False)]]),
        ("_", [[("_", False)]]),
        ('a"b', [[('a"b', False)]]),
    ],
)
def test_hostile_text_is_literal_terms(query: str, expected: list[list[tuple[str, bool]]]) -> None:
    assert clauses(query) == expected


def test_parse_never_fails() -> None:
    rng = random.Random(5)
    alphabet = "城投论坛 \"-ORANDNOT()*:%_'\\\x00\n\u3000ＡaZ"
    for _ in range(2000):
        query = "".join(rng.choice(alphabet) for _ in range(rng.randrange(30)))
        parsed = parse(query)
        assert all(term.text for clause in parsed.clauses for term in clause)
    assert parse("").is_empty and parse("   \t").is_empty
    assert parse("x" * 10_000).clauses == ((Term("x" * 10_000),),)


def test_positive_terms_longest_first() -> None:
    assert parse("城投 新质生产力 OR 旧改 -广告").positive_terms() == ["新质生产力", "城投", "旧改"]
    assert Query().positive_terms() == []


def test_index_text_bigrams_runs_with_a_trailing_unigram() -> None:
    assert index_text("城市更新") == "城市 市更 更新 新"
    assert index_text("Ab，城 x 2024年-5G") == "ab b 城 x 20 02 24 4年 年 5g g"
    assert index_text(None) == "" and index_text("，。") == ""
    assert bigrams("a") == [] and runs("a_b c") == ["a", "b", "c"]


def test_every_word_character_starts_exactly_one_token() -> None:
    """Why a one-character query is the prefix query ``x*`` and phrases of bigrams are exact."""
    rng = random.Random(3)
    for _ in range(300):
        text = "".join(rng.choice("城市更新，AB1 。论坛") for _ in range(rng.randrange(1, 40)))
        word_chars = [c for c in search_text.fold(text) if c.isalnum()]
        assert sorted(token[0] for token in index_text(text).split()) == sorted(word_chars)


def test_snippet_fold_agrees_with_the_index_fold() -> None:
    sample = "ＡBC abc Ä Д 城投 REITs"
    assert (
        snippets.fold(sample)
        == search_text.fold(sample)
        == "ＡBC abc Ä Д 城投 reits".replace("BC", "bc")
    )


def test_snippet_window_and_highlights() -> None:
    text = "前文" * 100 + "城投论坛在荆门召开，\n城投公司参加。" + "后文" * 100
    found = snippet(text, ["城投", "论坛"], width=40)
    assert found.text.startswith("…") and found.text.endswith("…")
    assert "\n" not in found.text
    assert [found.text[s:e] for s, e in found.highlights] == ["城投论坛", "城投"]
    assert snippet("短文", ["无"], width=40) == snippets.Snippet("短文", ())
    assert highlight("REITs试点", ["reits"]).highlights == ((0, 5),)
    assert highlight(None, ["x"]).text == ""
