"""Decode the bytes of an HTML page into text, robustly for Chinese sites.

Pure functions; no settings read. Chinese government and association sites often serve GB2312/GBK
with the charset missing, in a meta tag only, or wrong in the HTTP header (``utf-8`` or
``iso-8859-1`` over a GBK body), and old CMSs leave the odd invalid byte in otherwise clean pages.
The order of trust is:

1. ``override`` (per-source configuration) always wins;
2. a byte-order mark;
3. a strict UTF-8 trial (valid non-ASCII UTF-8 is never accidentally GBK);
4. UTF-8 with a handful of bad bytes;
5. the declared charsets (HTTP header, then ``<meta>`` in the first 4 KB), Latin ones excepted;
6. a GB18030 trial;
7. whichever candidate leaves the fewest replacement characters.

GB2312 and GBK are always decoded as GB18030 (a strict superset), and decoding uses
``errors="replace"`` so a few bad bytes cost a few characters, never the whole page.
"""

from __future__ import annotations

import codecs
import re

_META_SCAN_BYTES = 4096
_META_CHARSET = re.compile(
    rb"""<meta[^>]+?charset\s*=\s*["']?\s*([a-zA-Z0-9_:.\-]+)""",
    re.IGNORECASE,
)
_XML_ENCODING = re.compile(rb"""^\s*<\?xml[^>]+encoding\s*=\s*["']([a-zA-Z0-9_.\-]+)""")
_BOMS: tuple[tuple[bytes, str], ...] = (
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)
# Declared charsets that are merely defaults (servers send them for anything): never trusted
# over a trial decode, only used when every other candidate is worse.
_WEAK_CODECS = frozenset({"latin-1", "iso8859-1", "cp1252", "ascii"})
_ALIASES = {
    "gb2312": "gb18030",
    "gbk": "gb18030",
    "cp936": "gb18030",
    "x-gbk": "gb18030",
    "gb_2312-80": "gb18030",
    "euc-cn": "gb18030",
    "hz-gb-2312": "gb18030",
    "big5": "big5hkscs",
    "x-user-defined": "latin-1",
}
# A few replacement characters per page are tolerated; beyond this share of the non-ASCII
# bytes the codec is judged wrong.
_BAD_SHARE = 0.01
_BAD_FLOOR = 8
# ... but never more than this share (so a tiny page's few Chinese characters still count).
_BAD_CEILING = 0.05


def normalize_codec(name: str | None) -> str | None:
    """Python's canonical codec name for a charset label, GB2312/GBK mapped to GB18030."""
    if not name:
        return None
    label = name.strip().strip("\"'").lower()
    label = _ALIASES.get(label, label)
    try:
        canonical = codecs.lookup(label).name
    except LookupError:
        return None
    return _ALIASES.get(canonical, canonical)


def decode_html(
    body: bytes, *, header_charset: str | None = None, override: str | None = None
) -> tuple[str, str]:
    """Decode page bytes; returns ``(text, codec)`` where codec is the one actually used."""
    forced = normalize_codec(override)
    if forced:
        return body.decode(forced, errors="replace"), forced
    for bom, codec in _BOMS:
        if body.startswith(bom):
            return body[len(bom) :].decode(codec, errors="replace"), codec
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        return _decode_non_utf8(body, _declared_codecs(body, header_charset))
    if text.isascii():
        declared = _declared_codecs(body, header_charset)
        return text, declared[0] if declared else "utf-8"
    return text, "utf-8"


def declared_codecs(body: bytes, header_charset: str | None) -> list[str]:
    """Charsets the HTTP header and the page claim (normalized, in order of trust), without the
    Latin defaults that servers send for anything."""
    return [codec for codec in _declared_codecs(body, header_charset) if codec not in _WEAK_CODECS]


def _declared_codecs(body: bytes, header_charset: str | None) -> list[str]:
    """Charsets the HTTP header and the page itself claim, normalized, in order of trust."""
    labels: list[str | None] = [header_charset]
    head = body[:_META_SCAN_BYTES]
    labels.extend(match.decode("ascii", "ignore") for match in _META_CHARSET.findall(head))
    xml = _XML_ENCODING.match(head)
    if xml:
        labels.append(xml.group(1).decode("ascii", "ignore"))
    codecs_found: list[str] = []
    for label in labels:
        codec = normalize_codec(label)
        if codec and codec not in codecs_found and not codec.startswith("utf-16"):
            codecs_found.append(codec)
    return codecs_found


def _decode_non_utf8(body: bytes, declared: list[str]) -> tuple[str, str]:
    """Pick a codec for bytes that are not valid UTF-8 by trial decoding."""
    non_ascii = _count_non_ascii(body)
    allowed = min(max(_BAD_FLOOR, int(non_ascii * _BAD_SHARE)), int(non_ascii * _BAD_CEILING))
    trials = ["utf-8"] + [c for c in declared if c not in _WEAK_CODECS] + ["gb18030"]
    results: dict[str, tuple[str, int]] = {}
    for codec in dict.fromkeys(trials):
        text = body.decode(codec, errors="replace")
        bad = text.count("\ufffd")
        if bad <= allowed:
            return text, codec
        results[codec] = (text, bad)
    for codec in declared:
        if codec in _WEAK_CODECS:
            results[codec] = (body.decode(codec, errors="replace"), 0)
    best = min(results, key=lambda codec: results[codec][1])
    return results[best][0], best


def _count_non_ascii(body: bytes) -> int:
    """Number of bytes >= 0x80 (fast: via the ASCII-stripped length)."""
    return len(body) - len(body.translate(None, bytes(range(128))))
