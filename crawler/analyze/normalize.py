"""Normalization of extracted Chinese text: what is stored, searched and alerted on.

Pure functions; no settings read. In order:

1. leftover markup and entities removed (``</p>``, ``&nbsp;``, ``&amp;``), with the text of any
   ``<script>``/``<style>`` block written out as text; then control characters (C0 but newline
   and tab, DEL, C1) removed, *after* entities are decoded (``&#27;`` is an ESC);
2. pinyin readings that some sites insert after characters removed (``會(huì)議`` -> ``會議``;
   the rule is ``crawler.analyze.script.strip_pinyin``);
3. traditional characters converted to simplified (OpenCC ``t2s``), unless the source keeps them;
4. full-width letters and digits made half-width (Chinese punctuation stays full-width);
5. spacing damage repaired: spaces before punctuation (and after opening brackets) removed,
   runs of spaces collapsed to one (a single space between Chinese words separates names or
   title parts, ``习近平  李强``, so it stays), spaces between Latin words and numbers kept;
   leading indentation removed.

Paragraph breaks survive: the text stays one paragraph per line, without blank lines.
Encoding damage is handled by ``crawler.analyze.mojibake`` before this stage.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from crawler.analyze.script import HAN, strip_pinyin

# A script or style block that reached the text as text (a <title> is raw text to the parser).
_CODE_BLOCK = re.compile(
    r"<(script|style|noscript|template)\b[^>]{0,300}>.*?</\1\s*>", re.IGNORECASE | re.DOTALL
)
_UNCLOSED_CODE = re.compile(r"<(?:script|style)\b.*", re.IGNORECASE | re.DOTALL)
# C0 controls but tab and newline, DEL, C1 controls: never text, and a terminal obeys them.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
_ANY_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
_TAG = re.compile(r"</?[A-Za-z][A-Za-z0-9:-]{0,20}(?:\s[^<>]{0,300})?/?>")
_ENTITY = re.compile(r"&(?:#\d{1,7}|#[xX][0-9a-fA-F]{1,6}|[A-Za-z][A-Za-z0-9]{1,31});")
_HALF_WIDTH = str.maketrans(
    {
        **{chr(code): chr(code - 0xFEE0) for code in range(0xFF10, 0xFF1A)},
        **{chr(code): chr(code - 0xFEE0) for code in range(0xFF21, 0xFF3B)},
        **{chr(code): chr(code - 0xFEE0) for code in range(0xFF41, 0xFF5B)},
        "\u3000": " ",
        "\u00a0": " ",
        "\u2002": " ",
        "\u2003": " ",
        "\u2009": " ",
        "\u200b": "",
        "\ufeff": "",
    }
)
_SPACES = re.compile(r"[ \t]+")
# spaces before punctuation (ASCII or Chinese), after opening brackets and quotes
_BEFORE_PUNCT = re.compile(r"(?<=\S) +(?=[，。、；：？！”’）》〉】」』〕…,.;:!?)\]%])")
_AFTER_OPEN = re.compile(r"(?<=[“‘（《〈【「『〔(\[]) +")
_AFTER_CJK_PUNCT = re.compile(rf"(?<=[，。、；：？！”’）》〉】」』〕]) +(?=[{HAN}“‘（《【「\d])")


@dataclass(frozen=True)
class NormalizedText:
    """A normalized text and what normalization changed (for quality flags)."""

    text: str
    traditional_chars: int  # characters converted from traditional to simplified
    pinyin_readings: int  # inserted pinyin readings removed


@lru_cache(maxsize=1)
def _converter() -> Any:
    """OpenCC's t2s converter, built once a process (no reset: it reads OpenCC's own
    dictionaries, not a file anyone edits)."""
    import opencc

    return opencc.OpenCC("t2s")


def normalize_text(text: str, *, keep_traditional: bool = False) -> NormalizedText:
    """Normalize a multi-line body; lines stay lines, blank lines are dropped."""
    text = strip_markup(text)
    text, readings = strip_pinyin(text)
    converted = 0
    if not keep_traditional and text:
        simplified = _converter().convert(text)
        converted = _changed_chars(text, simplified)
        text = simplified
    lines = (normalize_spacing(line.translate(_HALF_WIDTH)) for line in text.split("\n"))
    return NormalizedText("\n".join(line for line in lines if line), converted, readings)


def normalize_field(value: str | None, *, keep_traditional: bool = False) -> str | None:
    """Normalize a one-line field (title, author, origin); None stays None, '' becomes None."""
    if value is None:
        return None
    text = normalize_text(value.replace("\n", " "), keep_traditional=keep_traditional).text
    return text or None


def strip_markup(text: str) -> str:
    """Remove stray tags (and script/style blocks written as text), decode entities (``</p>``,
    ``&nbsp;``, ``&#8220;``), then remove control characters (``&#27;`` decodes to an ESC)."""
    if "<" in text:
        text = _TAG.sub("", _CODE_BLOCK.sub(" ", text))
    if "&" in text and _ENTITY.search(text):
        text = html.unescape(text)
    return strip_controls(text)


def strip_controls(text: str) -> str:
    """``text`` without control characters: C0 but newline and tab, DEL, and C1 (0x80-0x9f)."""
    return _CONTROL.sub("", text)


def plain_line(value: str | None) -> str:
    """A one-line plain text of a crawled string (a link text, a ``title`` attribute): markup
    and script text removed, entities decoded, every control character gone, spaces collapsed."""
    if not value:
        return ""
    if "<" in value:
        value = _UNCLOSED_CODE.sub(" ", _CODE_BLOCK.sub(" ", value))
    text = _ANY_CONTROL.sub(" ", strip_markup(value))
    return " ".join(text.split())


def normalize_spacing(line: str) -> str:
    """Repair the spacing of one line: see the module docstring, step 5."""
    line = line.translate(_HALF_WIDTH).replace("\t", " ").strip()
    if " " not in line:
        return line
    line = _SPACES.sub(" ", line)
    line = _BEFORE_PUNCT.sub("", line)
    line = _AFTER_OPEN.sub("", line)
    return _AFTER_CJK_PUNCT.sub("", line)


def _changed_chars(before: str, after: str) -> int:
    if len(before) != len(after):
        return max(1, abs(len(before) - len(after)))
    return sum(1 for old, new in zip(before, after, strict=True) if old != new)
