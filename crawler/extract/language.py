"""Language of an extracted text: a cheap script check first, langdetect only when needed.

Pure functions; no settings read. Chinese is decided by the share of Han characters among the
letters (langdetect is slower and occasionally labels short Chinese texts Korean); kana and hangul
decide Japanese and Korean the same way. Anything else goes to langdetect on the first
``_SAMPLE_CHARS`` characters with a fixed seed, so results are repeatable.
"""

from __future__ import annotations

import re

from langdetect import DetectorFactory, detect
from langdetect.lang_detect_exception import LangDetectException

from crawler.analyze.script import HAN_CHAR

_SAMPLE_CHARS = 500
_KANA = re.compile(r"[\u3040-\u30ff]")
_HANGUL = re.compile(r"[\uac00-\ud7af\u1100-\u11ff]")
_LATIN = re.compile(r"[A-Za-z\u00c0-\u024f]")
_MIN_SCRIPT_CHARS = 5
# Share of the letters that must be Han for "zh" (English acronyms in Chinese text are common).
_HAN_SHARE = 0.3
_KANA_SHARE = 0.05


def detect_language(text: str) -> str | None:
    """ISO 639-1 code of ``text`` ("zh" for Chinese), or None when it cannot be told."""
    sample = text[:_SAMPLE_CHARS]
    han = len(HAN_CHAR.findall(sample))
    kana = len(_KANA.findall(sample))
    hangul = len(_HANGUL.findall(sample))
    letters = han + kana + hangul + len(_LATIN.findall(sample))
    if letters == 0:
        return None
    if kana >= _MIN_SCRIPT_CHARS and kana >= letters * _KANA_SHARE:
        return "ja"
    if hangul >= _MIN_SCRIPT_CHARS and hangul > han:
        return "ko"
    if han >= _MIN_SCRIPT_CHARS and han >= letters * _HAN_SHARE:
        return "zh"
    return _langdetect(sample)


def _langdetect(sample: str) -> str | None:
    """langdetect with a fixed seed; codes like ``zh-cn`` are cut to their language."""
    DetectorFactory.seed = 0
    try:
        code = detect(sample)
    except LangDetectException:
        return None
    return code.split("-", 1)[0] or None
