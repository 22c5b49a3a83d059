"""A small CSS reader, enough to tell what a page hides: the declarations of a ``style``
attribute, and the rules of the page's own ``<style>`` blocks matched to elements.

Pure; reads no settings. Not a CSS engine, and robust rather than complete:

- declarations: property names and values lower-cased, whitespace collapsed, comments dropped,
  ``!important`` kept as a flag; the ``font`` and ``margin`` shorthands give ``font-size`` and
  ``margin-top``/``margin-left``;
- selectors: compounds of a tag (or ``*``), classes and ids, joined by descendant (`` ``) or
  child (``>``) combinators, with their specificity. A selector with pseudo-classes, attribute
  tests or sibling combinators is skipped: such rules neither hide nor show anything here;
- ``@media`` blocks count when they apply to screens regardless of size (``screen``, ``all``);
  other at-rules (print, width queries, ``@font-face``, ``@keyframes``) are skipped.
"""

from __future__ import annotations

import re
from bisect import bisect_left
from collections.abc import Iterator
from dataclasses import dataclass, field

from lxml.html import HtmlElement

MAX_CSS_CHARS = 300_000  # style text read per page (a page embedding a whole framework)
MAX_RULES = 3_000

_COMMENT = re.compile(r"/\*.*?(?:\*/|$)", re.DOTALL)
_SPACES = re.compile(r"\s+")
_BRACE = re.compile(r"[{}]")
_IMPORTANT = re.compile(r"\s*!\s*important\s*$")
_COMPOUND = re.compile(r"^(?P<tag>\*|[a-z][a-z0-9-]*)?(?P<rest>(?:[.#][\w-]+)*)$", re.IGNORECASE)
_SIMPLE = re.compile(r"[.#][\w-]+")
_SCREEN_MEDIA = re.compile(r"^(?:only\s+)?(?:screen|all)(?:\s*,\s*(?:screen|all))*$")
_FONT_SIZE = re.compile(r"^(?:[\d.]+[a-z%]*|xx-small|x-small|small|medium|large|x-large|xx-large)$")

Declarations = dict[str, tuple[str, bool]]
"""property -> (value, important)"""


@dataclass(frozen=True)
class Compound:
    """One compound selector: ``div.a.b#c``; ``tag`` None matches any element."""

    tag: str | None
    classes: frozenset[str]
    ids: frozenset[str]

    def matches(self, element: HtmlElement) -> bool:
        if self.tag is not None and element.tag != self.tag:
            return False
        if self.ids and element.get("id") not in self.ids:
            return False
        return not self.classes or self.classes <= set((element.get("class") or "").split())


@dataclass(frozen=True)
class Selector:
    """Compounds left to right with the combinators between them (``" "`` or ``">"``)."""

    compounds: tuple[Compound, ...]
    combinators: tuple[str, ...]
    specificity: tuple[int, int, int]

    def matches(self, element: HtmlElement) -> bool:
        """Right-to-left match, as browsers do (descendant steps may backtrack)."""
        return self.compounds[-1].matches(element) and self._ancestors_match(
            element, len(self.compounds) - 2
        )

    def _ancestors_match(self, element: HtmlElement, index: int) -> bool:
        if index < 0:
            return True
        compound, combinator = self.compounds[index], self.combinators[index]
        parent = element.getparent()
        while parent is not None:
            if compound.matches(parent) and self._ancestors_match(parent, index - 1):
                return True
            if combinator == ">":
                return False
            parent = parent.getparent()
        return False

    @property
    def key(self) -> tuple[str, str]:
        """What the rightmost compound requires most narrowly: ("id", x), ("class", x),
        ("tag", x) or ("any", "") (rules are indexed by it)."""
        last = self.compounds[-1]
        if last.ids:
            return "id", min(last.ids)
        if last.classes:
            return "class", min(last.classes)
        return ("tag", last.tag) if last.tag else ("any", "")


@dataclass(frozen=True)
class Rule:
    selector: Selector
    declarations: Declarations
    order: int


@dataclass
class StyleSheet:
    """The rules of a page, indexed by the rightmost compound of their selector."""

    rules: list[Rule] = field(default_factory=list)
    _index: dict[tuple[str, str], list[Rule]] = field(default_factory=dict)

    def add(self, rule: Rule) -> None:
        self.rules.append(rule)
        self._index.setdefault(rule.selector.key, []).append(rule)

    def groups(self) -> Iterator[tuple[tuple[str, str], list[Rule]]]:
        """The rules by the key of their rightmost compound (see ``Selector.key``)."""
        yield from self._index.items()

    def matching(self, element: HtmlElement) -> Iterator[Rule]:
        """The rules whose selector matches ``element``."""
        keys: list[tuple[str, str]] = [("any", "")]
        if isinstance(element.tag, str):
            keys.append(("tag", element.tag))
        if element.get("id"):
            keys.append(("id", element.get("id") or ""))
        keys.extend(("class", name) for name in (element.get("class") or "").split())
        seen: set[int] = set()
        for key in keys:
            for rule in self._index.get(key, ()):
                if id(rule) not in seen and rule.selector.matches(element):
                    seen.add(id(rule))
                    yield rule


def parse_declarations(text: str | None) -> Declarations:
    """``"DISPLAY : None !important; left:-9999px"`` -> ``{"display": ("none", True), ...}``."""
    found: Declarations = {}
    if not text:
        return found
    for part in _COMMENT.sub("", text).split(";"):
        name, colon, value = part.partition(":")
        if not colon:
            continue
        name = name.strip().lower()
        value = _SPACES.sub(" ", value.strip().lower())
        important = bool(_IMPORTANT.search(value))
        value = _IMPORTANT.sub("", value).strip()
        if not name or not value:
            continue
        for prop, prop_value in _expand(name, value):
            if important or not found.get(prop, ("", False))[1]:
                found[prop] = (prop_value, important)
    return found


def _expand(name: str, value: str) -> list[tuple[str, str]]:
    """Longhands read from the shorthands that can hide (``font: 0/0 a``, ``margin``)."""
    if name == "font":
        for token in value.split():
            size = token.split("/", 1)[0]
            if size == "0" or (_FONT_SIZE.match(size) and not size.isdigit()):  # 700: a weight
                return [("font-size", size)]
        return []
    if name == "margin":
        parts = value.split()
        if not parts:
            return []
        left = parts[3] if len(parts) == 4 else parts[1] if len(parts) > 1 else parts[0]
        return [("margin-top", parts[0]), ("margin-left", left)]
    return [(name, value)]


def parse_stylesheet(
    css: str, properties: frozenset[str], hint: re.Pattern[str] | None = None
) -> StyleSheet:
    """The rules of ``css`` that declare any of ``properties`` (others are dropped). With
    ``hint``, only rules whose declarations hold a match of the pattern are read: one scan of
    the whole text instead of parsing every rule."""
    sheet = StyleSheet()
    order = 0
    text = _COMMENT.sub("", css[:MAX_CSS_CHARS])
    hits: list[int] | None = None
    if hint is not None:
        hits = [match.start() for match in hint.finditer(scan_text(text))]
        if not hits:
            return sheet
    for prelude, start, end in _blocks(text):
        if hits is not None and not _has_hit(hits, start, end):
            continue
        declarations = {
            name: value
            for name, value in parse_declarations(text[start:end]).items()
            if name in properties
        }
        if not declarations:
            continue
        for selector_text in prelude.split(","):
            selector = parse_selector(selector_text)
            if selector is not None and len(sheet.rules) < MAX_RULES:
                sheet.add(Rule(selector, declarations, order))
                order += 1
    return sheet


def scan_text(text: str) -> str:
    """``text`` lower-cased for case-sensitive screening patterns, every offset kept (the rare
    characters whose lower case is longer, such as U+0130, stay as they are)."""
    lowered = text.lower()
    if len(lowered) == len(text):
        return lowered
    return "".join(char.lower() if len(char.lower()) == 1 else char for char in text)


def _has_hit(hits: list[int], start: int, end: int) -> bool:
    """Whether a sorted offset in ``hits`` lies in ``[start, end)``."""
    index = bisect_left(hits, start)
    return index < len(hits) and hits[index] < end


def _blocks(css: str) -> Iterator[tuple[str, int, int]]:
    """(selector list, start, end of the declarations) of every style rule, descending into
    screen media blocks."""
    stack: list[tuple[str, str, int]] = []  # open blocks: (kind, prelude, where the body starts)
    start = 0  # where the text since the last brace begins
    for match in _BRACE.finditer(css):
        if match.group() == "{":
            prelude = css[start : match.start()].rsplit(";", 1)[-1].strip()
            if not all(kind == "media" for kind, _, _ in stack):
                kind = "skip"  # inside a rule (nesting) or a skipped at-rule
            elif prelude.startswith("@"):
                is_media = prelude.lower().startswith("@media")
                kind = "media" if is_media and for_screens(prelude[6:]) else "skip"
            else:
                kind = "rule"
            stack.append((kind, prelude, match.end()))
        elif stack:
            kind, prelude, body_start = stack.pop()
            if kind == "rule":
                yield prelude, body_start, match.start()
        start = match.end()


def for_screens(media: str | None) -> bool:
    """A media query (``media`` attribute or ``@media`` prelude) that holds on every screen:
    none, ``screen`` or ``all`` (not print, not a width or orientation condition)."""
    return not media or not media.strip() or bool(_SCREEN_MEDIA.match(media.strip().lower()))


def parse_selector(text: str) -> Selector | None:
    """A selector of compounds and descendant/child combinators, or None when it uses anything
    else (pseudo-classes, attributes, sibling combinators, namespaces)."""
    text = _SPACES.sub(" ", text.replace(">", " > ")).strip()
    if not text or any(char in text for char in ":[]+~|()@\\"):
        return None
    compounds: list[Compound] = []
    combinators: list[str] = []
    pending = " "
    for token in text.split(" "):
        if token == ">":
            if not compounds or pending == ">":
                return None
            pending = ">"
            continue
        compound = _compound(token)
        if compound is None:
            return None
        if compounds:
            combinators.append(pending)
        compounds.append(compound)
        pending = " "
    if not compounds or pending == ">":
        return None
    ids = sum(len(c.ids) for c in compounds)
    classes = sum(len(c.classes) for c in compounds)
    tags = sum(1 for c in compounds if c.tag)
    return Selector(tuple(compounds), tuple(combinators), (ids, classes, tags))


def _compound(token: str) -> Compound | None:
    match = _COMPOUND.match(token)
    if not match or not token:
        return None
    tag = (match.group("tag") or "*").lower()
    parts = _SIMPLE.findall(match.group("rest"))
    return Compound(
        tag=None if tag == "*" else tag,
        classes=frozenset(part[1:] for part in parts if part[0] == "."),
        ids=frozenset(part[1:] for part in parts if part[0] == "#"),
    )
