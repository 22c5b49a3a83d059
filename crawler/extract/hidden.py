"""What a browser would not show. Hacked pages hide gambling links in hidden blocks: the
extraction stage removes hidden elements from the text and hands their text to the spam check.

Pure; reads no settings. Styles come from ``style`` attributes and the page's own ``<style>``
blocks (``crawler.extract.css``: case-insensitive, ``!important`` honoured, the later or more specific
declaration winning as in CSS; external style sheets are not fetched). An element is hidden by:

- the ``hidden`` attribute; ``display: none``; ``opacity: 0``;
- ``visibility: hidden`` or ``collapse``, unless a descendant is made ``visible`` again;
- ``font-size: 0`` (or ``font: 0/0 a``), unless a descendant sets an absolute size again (the
  whitespace trick of inline-block menus);
- an off-screen place: a positioned element with ``left``/``top``/``right``/``bottom`` far
  negative (``FAR_OFF_PX`` pixels, or -100 % / -100vw or beyond), or ``text-indent``,
  ``margin-left``/``margin-top`` or a ``translate()`` that far; a positioned element clipped
  to nothing (``clip: rect(0 0 0 0)``, ``clip-path: inset(50%)``);
- a collapsed box: ``height``/``max-height``/``width``/``max-width`` 0 with ``overflow``
  hidden (and no padding that opens it again: the aspect-ratio box of video embeds).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache

from lxml.html import HtmlElement

from crawler.extract import xpaths
from crawler.extract.css import (
    Declarations,
    StyleSheet,
    for_screens,
    parse_declarations,
    parse_stylesheet,
    scan_text,
)

FAR_OFF_PX = 500.0  # an offset this far left or up puts an element off any screen
_FAR_OFF_RELATIVE = 100.0  # ... in %, vw or vh
_MAX_RESTORE_SCAN = 500  # descendants searched for a visibility/font-size that undoes the hiding
PROPERTIES = frozenset(
    [
        "display", "visibility", "opacity", "font-size", "position", "left", "top", "right",
        "bottom", "text-indent", "margin-top", "margin-left", "transform", "clip", "clip-path",
        "height", "max-height", "width", "max-width", "overflow", "overflow-x", "overflow-y",
        "padding", "padding-top", "padding-bottom",
    ]
)  # fmt: skip
_UNIT_PX = {"": 1.0, "px": 1.0, "pt": 4 / 3, "pc": 16.0, "em": 16.0, "rem": 16.0, "ex": 8.0,
            "ch": 8.0, "cm": 37.8, "mm": 3.78, "q": 0.945, "in": 96.0}  # fmt: skip
_RELATIVE_UNITS = frozenset(["%", "vw", "vh", "vmin", "vmax"])
_ABSOLUTE_SIZE_UNITS = frozenset(["", "px", "pt", "pc", "rem", "cm", "mm", "q", "in"])
_LENGTH = re.compile(r"^(-?\d*\.?\d+)([a-z%]*)$")
_NUMBER = re.compile(r"^(\d*\.?\d+)(%?)$")
_TRANSLATE = re.compile(r"translate(?:x|y|3d)?\(\s*([^,)\s]+)(?:\s*,\s*([^,)\s]+))?")
_RECT_ZERO = re.compile(r"^rect\(\s*0[a-z]*(?:[\s,]+0[a-z]*){3}\s*\)$")
_INSET = re.compile(r"^inset\(\s*(\d*\.?\d+)%")
_POSITIONED = frozenset(["absolute", "fixed", "relative", "sticky"])
_OUT_OF_FLOW = frozenset(["absolute", "fixed"])
_CLIPPING = frozenset(["hidden", "clip"])
_NEVER_DROPPED = frozenset(["html", "body"])
_LOOKUPS = {"class": xpaths.BY_CLASS, "id": xpaths.BY_ID, "tag": xpaths.BY_TAG}
# The declarations ``could_hide`` looks for, as text: a rule or style attribute without any of
# them cannot hide anything, so most rules (``margin:0``, ``list-style:none``, ``overflow:hidden``)
# are never parsed. A screen only: what it lets through is checked exactly. Anchored at the start
# of a name (not inside one) and run on lower-cased text, it scans 47 KB of CSS in about 1 ms.
HIDING_HINT = re.compile(
    r"(?<![\w-])(?:display\s*:\s*none|visibility\s*:\s*(?:hidden|collapse)"
    r"|opacity\s*:\s*[-+]?[0.]"
    r"|font(?:-size)?\s*:[^;}]*?(?<![\d.])[-+]?0*\.?0+(?:[a-z%]*)?(?:/|\s|;|$|!)"
    r"|(?:left|top|right|bottom|text-indent|margin(?:-top|-left)?)\s*:[^;}]*-\s*\.?\d"
    r"|translate|clip|(?:max-)?(?:height|width)\s*:\s*[-+]?0*\.?0+(?![.\d]*[1-9]))"
)  # matched against lower-cased text (``css.scan_text``): faster than IGNORECASE


@dataclass(frozen=True)
class Hidden:
    """A hidden element and what hides it (``attribute``, ``display``, ``visibility``,
    ``opacity``, ``font-size``, ``offscreen``, ``collapsed``)."""

    element: HtmlElement
    reason: str


class PageStyles:
    """A page's style rules that bear on hiding (``sheet``, read only when an element may be
    hidden: most pages have none) and those of them that can hide on their own (``hiding``, the
    ones matched against the whole page, found by a cheap screen of the declarations first)."""

    def __init__(self, css: str) -> None:
        self.css = css
        self.hiding = StyleSheet()
        if css.strip():
            for rule in parse_stylesheet(css, PROPERTIES, HIDING_HINT).rules:
                if could_hide(rule.declarations):
                    self.hiding.add(rule)
        self._sheet: StyleSheet | None = None

    @property
    def sheet(self) -> StyleSheet:
        if self._sheet is None:
            self._sheet = (
                parse_stylesheet(self.css, PROPERTIES) if self.css.strip() else StyleSheet()
            )
        return self._sheet


def read_styles(tree: HtmlElement) -> PageStyles:
    """The rules of the page's ``<style>`` blocks that hold on every screen."""
    sheets = [el.text or "" for el in xpaths.STYLE_SHEETS(tree) if for_screens(el.get("media"))]
    return _parsed("\n".join(sheets))


@lru_cache(maxsize=32)
def _parsed(css: str) -> PageStyles:
    """Parsed once per style text: a site's pages share their ``<style>`` blocks. Reset with
    ``reset_cache()``."""
    return PageStyles(css)


def reset_cache() -> None:
    """Forget the parsed style sheets (tests)."""
    _parsed.cache_clear()


def find_hidden(tree: HtmlElement, styles: PageStyles | None = None) -> list[Hidden]:
    """The outermost hidden elements of ``tree`` in source order (``html``/``body`` never)."""
    styles = styles or read_styles(tree)
    reasons: dict[HtmlElement, str] = {}
    for element in _candidates(tree, styles.hiding):
        if element.tag in _NEVER_DROPPED:
            continue
        reason = hiding_reason(element, styles.sheet)
        if reason is not None:
            reasons[element] = reason
    found = [
        Hidden(element, reason)
        for element, reason in reasons.items()
        if not any(ancestor in reasons for ancestor in element.iterancestors())
    ]
    return sorted(found, key=lambda hidden: hidden.element.sourceline or 0)


def _candidates(tree: HtmlElement, hiding: StyleSheet) -> list[HtmlElement]:
    """Elements with a style or ``hidden`` attribute, and those a hiding rule matches (looked up
    by the rule's rightmost class, id or tag, then matched in full)."""
    found: list[HtmlElement] = [
        element
        for element in xpaths.STYLED_OR_HIDDEN(tree)
        if element.get("hidden") is not None
        or HIDING_HINT.search(scan_text(element.get("style") or ""))
    ]
    for (kind, name), rules in hiding.groups():
        elements = tree.iter() if kind == "any" else _LOOKUPS[kind](tree, name=name)
        found.extend(
            element
            for element in elements
            if isinstance(element.tag, str) and any(r.selector.matches(element) for r in rules)
        )
    return list(dict.fromkeys(found))


def hiding_reason(element: HtmlElement, sheet: StyleSheet) -> str | None:
    """Why ``element`` is not shown, or None when it is (as far as its own styles tell)."""
    if element.get("hidden") is not None:
        return "attribute"
    values = declared(element, sheet)
    reason = _reason(values)
    if reason in ("visibility", "font-size") and _restored(element, sheet, reason):
        return None
    return reason


def declared(element: HtmlElement, sheet: StyleSheet) -> dict[str, str]:
    """The cascaded values of ``PROPERTIES`` declared for the element itself (no inheritance):
    importance first, then the ``style`` attribute over rules, then specificity, then order."""
    best: dict[str, tuple[tuple[bool, bool, tuple[int, int, int], int], str]] = {}
    for rule in sheet.matching(element):
        for prop, (value, important) in rule.declarations.items():
            key = (important, False, rule.selector.specificity, rule.order)
            if prop not in best or key > best[prop][0]:
                best[prop] = (key, value)
    for prop, (value, important) in parse_declarations(element.get("style")).items():
        key = (important, True, (0, 0, 0), 0)
        if prop in PROPERTIES and (prop not in best or key > best[prop][0]):
            best[prop] = (key, value)
    return {prop: value for prop, (_, value) in best.items()}


def could_hide(declarations: Declarations) -> bool:
    """Whether a rule's declarations alone can hide what it matches (the rules worth matching
    against every element of a page)."""
    values = {prop: value for prop, (value, _) in declarations.items()}
    if values.get("display") == "none" or values.get("visibility") in ("hidden", "collapse"):
        return True
    if _is_transparent(values.get("opacity")) or _is_zero(values.get("font-size")):
        return True
    offsets = ("left", "top", "right", "bottom", "text-indent", "margin-top", "margin-left")
    if any(_far_off(values.get(prop)) for prop in offsets) or _translated_off(values):
        return True
    sizes = ("height", "max-height", "width", "max-width")
    return any(_is_zero(values.get(prop)) for prop in sizes) or _clipped_to_nothing(values)


def _reason(values: Mapping[str, str]) -> str | None:
    if values.get("display") == "none":
        return "display"
    if values.get("visibility") in ("hidden", "collapse"):
        return "visibility"
    if _is_transparent(values.get("opacity")):
        return "opacity"
    if _is_zero(values.get("font-size")):
        return "font-size"
    if _off_screen(values):
        return "offscreen"
    if _collapsed(values):
        return "collapsed"
    return None


def _off_screen(values: Mapping[str, str]) -> bool:
    position = values.get("position", "static")
    if position in _POSITIONED and any(
        _far_off(values.get(side)) for side in ("left", "top", "right", "bottom")
    ):
        return True
    if any(_far_off(values.get(prop)) for prop in ("text-indent", "margin-left", "margin-top")):
        return True
    return _translated_off(values) or (position in _OUT_OF_FLOW and _clipped_to_nothing(values))


def _translated_off(values: Mapping[str, str]) -> bool:
    match = _TRANSLATE.search(values.get("transform", ""))
    return match is not None and any(_far_off(arg) for arg in match.groups() if arg)


def _clipped_to_nothing(values: Mapping[str, str]) -> bool:
    if _RECT_ZERO.match(values.get("clip", "")):
        return True
    inset = _INSET.match(values.get("clip-path", ""))
    return inset is not None and float(inset.group(1)) >= 50


def _collapsed(values: Mapping[str, str]) -> bool:
    if not any(values.get(p) in _CLIPPING for p in ("overflow", "overflow-x", "overflow-y")):
        return False
    if not any(_is_zero(values.get(p)) for p in ("height", "max-height", "width", "max-width")):
        return False
    padding = " ".join(values.get(p, "") for p in ("padding", "padding-top", "padding-bottom"))
    return all(_is_zero(part) for part in padding.split())


def _restored(element: HtmlElement, sheet: StyleSheet, reason: str) -> bool:
    """A descendant undoes the hiding: ``visibility: visible``, or an absolute font size."""
    for count, descendant in enumerate(element.iterdescendants()):
        if count >= _MAX_RESTORE_SCAN:
            break
        if not isinstance(descendant.tag, str):
            continue
        values = declared(descendant, sheet)
        if reason == "visibility" and values.get("visibility") == "visible":
            return True
        if reason == "font-size" and _absolute_size(values.get("font-size")):
            return True
    return False


def _length(value: str | None) -> tuple[float, str] | None:
    match = _LENGTH.match(value or "")
    if not match:
        return None
    return float(match.group(1)), match.group(2)


def _is_zero(value: str | None) -> bool:
    length = _length(value)
    return length is not None and length[0] == 0


def _far_off(value: str | None) -> bool:
    """A length far enough negative to put what it offsets off the screen."""
    length = _length(value)
    if length is None:
        return False
    number, unit = length
    if unit in _RELATIVE_UNITS:
        return number <= -_FAR_OFF_RELATIVE
    return number * _UNIT_PX.get(unit, 1.0) <= -FAR_OFF_PX


def _is_transparent(value: str | None) -> bool:
    match = _NUMBER.match(value or "")
    if not match:
        return False
    number = float(match.group(1)) / (100 if match.group(2) else 1)
    return number <= 0.01


def _absolute_size(value: str | None) -> bool:
    """A font size that does not depend on the (zero) size of the parent."""
    if not value:
        return False
    length = _length(value)
    if length is None:
        return value not in ("inherit", "smaller", "larger", "unset", "revert")
    return length[0] > 0 and length[1] in _ABSOLUTE_SIZE_UNITS
