"""Chinese script facts every stage shares: the Han character ranges and the pinyin-reading rule.

Pure; no settings read. ``HAN`` is the one definition of "a Han character" (CJK Unified
Ideographs, Extension A and the Compatibility Ideographs), written as the body of a regex
character class so that patterns can combine it with other characters (``f"[{HAN}A-Za-z]"``).

Some sites' simplified-to-traditional converters insert the pinyin reading after characters
(``會(huì)議``, ``負責(zé)人``); ``strip_pinyin`` removes them. A reading is one to three
lower-case pinyin syllables, at least one with a tone mark, in ASCII or full-width brackets,
whatever precedes it: a character, debris of a mis-decoded one (``?！背峭秾N瘯嚓P(guān)``), an
ideographic or no-break space, a control character or the start of a line. The reading is
never text. Only a gloss set apart by an ordinary space (``拼音 (pīn yīn)``) is the author's and
stays, as does a bracketed word that is no reading: ``(PPP)``, ``(2024)``, ``(café)``,
``Taiyuan (China)``.
"""

from __future__ import annotations

import re

HAN = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
HAN_CHAR = re.compile(f"[{HAN}]")

_TONED = "āáǎàēéěèīíǐìōóǒòūúǔùǖǘǚǜńňǹḿ"
_TONE_MARKS = frozenset(_TONED)
_TONELESS = str.maketrans(_TONED, "aaaaeeeeiiiioooouuuuüüüünnnm")
_READING = re.compile(
    rf"(?<![ \t])[(（]\s*(?P<reading>[a-zü{_TONED}]{{1,7}}"
    rf"(?:\s+[a-zü{_TONED}]{{1,7}}){{0,2}})\s*[)）]"
)
_SYLLABLE = re.compile(
    r"^(?:zh|ch|sh|[bpmfdtnlgkhjqxrzcsyw])?"
    r"(?:iang|iong|uang|ueng|ang|eng|ing|ong|ian|iao|uai|uan|üan|ai|ei|ao|ou|an|en|er|ia|ie|"
    r"iu|in|ua|uo|ui|un|ün|üe|ue|a|o|e|i|u|ü|ng|n|m)$"
)


def strip_pinyin(text: str) -> tuple[str, int]:
    """``text`` without inserted pinyin readings, and how many were removed."""
    if "(" not in text and "（" not in text:
        return text, 0
    removed = 0

    def drop(match: re.Match[str]) -> str:
        nonlocal removed
        if not is_reading(match.group("reading")):
            return match.group(0)
        removed += 1
        return ""

    return _READING.sub(drop, text), removed


def without_pinyin(text: str) -> str:
    """``text`` without inserted pinyin readings (``發(fā)布時間`` -> ``發布時間``)."""
    return strip_pinyin(text)[0]


def is_reading(reading: str) -> bool:
    """Pinyin syllables with a tone mark: ``jié``, ``huì``, ``fù zé`` (not ``café``, ``de``)."""
    if not _TONE_MARKS.intersection(reading):
        return False
    return all(_SYLLABLE.match(syllable) for syllable in reading.translate(_TONELESS).split())
