"""Encoding damage in extracted text: found, measured, and repaired where that needs no guess.

Pure functions; no settings read. Damage seen on Chinese sites:

- UTF-8 bytes shown as Latin-1/cp1252 (``æ–°è´¨``) and GBK bytes shown as Latin-1 (``ÖÐ¹ú``):
  reversible, repaired when the round trip decodes strictly to Chinese text;
- UTF-8 bytes shown as GBK (``浣犲ソ``, ``锟斤拷``, seed 000's ``?!背峭秾N瘯``): the bytes a
  GBK decoder could not map are gone (they became ``?``), so it is only detected; a run is
  repaired only when it decodes back strictly and completely;
- U+FFFD replacement characters and ``?`` runs inside Chinese text: detected, never guessed at.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from crawler.analyze.script import HAN, HAN_CHAR

# How UTF-8 or GBK bytes look when read as Latin-1/cp1252: runs of Latin-1 letters and the
# cp1252 symbols that continuation bytes become; a run needs two Latin-1 letters to count.
_LATIN1_RUN = re.compile(
    "[\u0080-\u00ff\u0152\u0153\u0160\u0161\u0178\u017d\u017e\u02c6\u02dc\u2013\u2014"
    "\u2018-\u201e\u2020-\u2022\u2026\u2030\u2039\u203a\u20ac\u2122]{3,}"
)
# Latin-1 letters (× and ÷ are not: ××× is the placeholder of government templates)
_LATIN1_LETTER = re.compile("[\u00c0-\u00d6\u00d8-\u00f6\u00f8-\u00ff]")
_CJK_SIDE = f"{HAN}、，。：；“”！"
# ``?`` where a GBK decoder dropped bytes: a run next to Chinese text, one before ``!`` or a
# quote, or one between two Han characters that does not end a question (吗/呢/么/吧...).
_QUESTION_IN_HAN = re.compile(
    f'(?<=[{_CJK_SIDE}])\\?{{2,}}|\\?{{2,}}(?=[{_CJK_SIDE}])|(?<=[{_CJK_SIDE}])\\?(?=[!“”"])'
    f"|(?<=[{HAN}])(?<![吗呢么吧啊呀嘛])\\?(?=[{HAN}])|\\?{{3,}}"
)
_REPLACEMENT = "\ufffd"
# Byte pairs UTF-8 Chinese becomes when decoded as GBK: the classic tell-tale sequences.
_GBK_TELLS = re.compile(r"锟斤拷|烫烫烫|屯屯屯|鈥[溿渶攢]|銆[傗€]|锛[屸殬氾紵]")


@dataclass(frozen=True)
class EncodingReport:
    """What damage a text showed, and the text with what could be repaired repaired."""

    text: str
    damaged: int  # damaged spans still in ``text``
    repaired: int  # spans repaired


def repair_text(text: str, replacement_chars: int = 0) -> EncodingReport:
    """Repair reversible mojibake in ``text`` and count what damage remains.

    ``replacement_chars`` is how many U+FFFD the page had before extraction dropped them.
    """
    repaired = 0
    if _LATIN1_RUN.search(text):
        text, repaired = _repair_latin1(text)
    damaged = replacement_chars + text.count(_REPLACEMENT)
    damaged += len(_QUESTION_IN_HAN.findall(text))
    damaged += len(_GBK_TELLS.findall(text))
    if HAN_CHAR.search(text):
        damaged += sum(1 for run in _LATIN1_RUN.findall(text) if _is_mojibake_run(run))
    return EncodingReport(text=text, damaged=damaged, repaired=repaired)


def _repair_latin1(text: str) -> tuple[str, int]:
    count = 0

    def fix(match: re.Match[str]) -> str:
        nonlocal count
        if not _is_mojibake_run(match.group(0)):
            return match.group(0)
        fixed = _decode_back(match.group(0))
        if fixed is None:
            return match.group(0)
        count += 1
        return fixed

    return _LATIN1_RUN.sub(fix, text), count


def _is_mojibake_run(run: str) -> bool:
    return len(_LATIN1_LETTER.findall(run)) >= 2 and not set(run) <= {"×", "÷"}


def _decode_back(run: str) -> str | None:
    """The Chinese text a Latin-1/cp1252 mojibake run came from, if it decodes strictly."""
    for shown_as in ("cp1252", "latin-1"):
        try:
            raw = run.encode(shown_as)
        except UnicodeEncodeError:
            continue
        for real in ("utf-8", "gb18030"):
            try:
                decoded = raw.decode(real)
            except UnicodeDecodeError:
                continue
            if _mostly_han(decoded):
                return decoded
    return None


def _mostly_han(text: str) -> bool:
    letters = [char for char in text if not char.isspace()]
    return bool(letters) and len(HAN_CHAR.findall(text)) >= 0.6 * len(letters)
