"""The search query language, parsed by hand: query text is data, never syntax of a database.

A query is a list of terms, every one required (AND):

- a *term* is a run of non-space characters (``城投``, ``5G``, ``title:``, ``NEAR(``) or a
  quoted *phrase* (``"城市 更新"``) matched as written, spaces included; a quote that is never
  closed, or one inside a word, is an ordinary character;
- ``A OR B`` (upper case, between two terms) needs either; OR binds tighter than the implicit
  AND: ``城投 论坛 OR 峰会`` is 城投 AND (论坛 OR 峰会);
- ``-term`` or ``NOT term`` excludes articles that contain it (``-广告``, ``-"征求意见"``);
- ``AND`` between two terms is allowed and changes nothing; ``OR``, ``AND`` and ``NOT`` anywhere
  else, and a lone ``-``, are ordinary terms; quote them to search for the words themselves.

Parentheses, ``*``, ``:``, ``%``, ``_`` and every other character are literal. A term matches an
article whose title or text contains it as a substring, ASCII letters ignoring case; terms are
normalized like stored text (full-width letters and digits made half-width, ideographic and
no-break spaces made plain spaces); control characters separate terms like spaces (stored text
never holds them).

``parse`` never fails: any string gives a ``Query`` (an empty one when it holds no term).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final, NamedTuple

_NORMALIZE: Final = str.maketrans(
    {
        **{chr(code): chr(code - 0xFEE0) for code in range(0xFF10, 0xFF1A)},
        **{chr(code): chr(code - 0xFEE0 + 32) for code in range(0xFF21, 0xFF3B)},
        **{chr(code): chr(code - 0xFEE0) for code in range(0xFF41, 0xFF5B)},
        **{chr(code): chr(code + 32) for code in range(0x41, 0x5B)},
        "\u3000": " ",
        "\u00a0": " ",
    }
)
"""Full-width letters and digits to ASCII, ASCII letters to lower case, wide spaces to spaces."""


class Term(NamedTuple):
    """One literal of a clause: a normalized substring, required or excluded."""

    text: str
    negated: bool = False


@dataclass(frozen=True, slots=True)
class Query:
    """A parsed query: every clause must hold; a clause holds when any of its terms does."""

    clauses: tuple[tuple[Term, ...], ...] = ()

    @property
    def is_empty(self) -> bool:
        return not self.clauses

    def positive_terms(self) -> list[str]:
        """The terms an article must (or may) contain, longest first: what snippets highlight."""
        found = {term.text for clause in self.clauses for term in clause if not term.negated}
        return sorted(found, key=lambda text: (-len(text), text))


class _Token(NamedTuple):
    text: str
    quoted: bool


def normalize_term(text: str) -> str:
    """A term as it is matched: see the module docstring."""
    return text.translate(_NORMALIZE)


def parse(query: str) -> Query:
    """The query ``query`` (any string; see the module docstring)."""
    tokens = _tokens(query)
    clauses: list[list[Term]] = []
    join_next = False
    index = 0
    while index < len(tokens):
        token = tokens[index]
        following = tokens[index + 1] if index + 1 < len(tokens) else None
        has_term_before = bool(clauses)
        if not token.quoted and token.text in ("OR", "AND") and has_term_before and following:
            join_next = token.text == "OR"
            index += 1
            continue
        negated = False
        if not token.quoted and token.text == "NOT" and following is not None:
            negated, token = True, following
            index += 1
        term = _term(token, negated)
        if join_next and clauses:
            clauses[-1].append(term)
        else:
            clauses.append([term])
        join_next = False
        index += 1
    return Query(_dedupe(clauses))


def _term(token: _Token, negated: bool) -> Term:
    text = token.text
    if not negated and not token.quoted and _is_negation(text):
        negated, text = True, text[1:]
        if len(text) >= 2 and text[0] == '"' and text.endswith('"'):
            text = text[1:-1]
    return Term(normalize_term(text), negated)


def _is_negation(text: str) -> bool:
    return len(text) > 1 and text[0] == "-" and text[1] != "-"


def _tokens(query: str) -> list[_Token]:
    """Words and phrases: a phrase opens with a quote at the start of a word (after an optional
    ``-``) and closes at the next quote; unclosed, its quote is an ordinary character."""
    tokens: list[_Token] = []
    position, end = 0, len(query)
    while position < end:
        if _is_separator(query[position]):
            position += 1
            continue
        start = position + (1 if query.startswith('-"', position) else 0)
        if query[start] == '"':
            close = query.find('"', start + 1)
            if close > start + 1:
                negation = "-" if start > position else ""
                phrase = query[start + 1 : close]
                if negation:
                    tokens.append(_Token(f'-"{phrase}"', False))
                else:
                    tokens.append(_Token(phrase, True))
                position = close + 1
                continue
        word_end = position
        while word_end < end and not _is_separator(query[word_end]):
            word_end += 1
        tokens.append(_Token(query[position:word_end], False))
        position = word_end
    return tokens


def _is_separator(char: str) -> bool:
    return char.isspace() or char < " " or "\x7f" <= char <= "\x9f"


def _dedupe(clauses: list[list[Term]]) -> tuple[tuple[Term, ...], ...]:
    seen: set[tuple[Term, ...]] = set()
    result: list[tuple[Term, ...]] = []
    for clause in clauses:
        terms = tuple(dict.fromkeys(term for term in clause if term.text))
        if terms and terms not in seen:
            seen.add(terms)
            result.append(terms)
    return tuple(result)
