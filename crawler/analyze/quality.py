"""Quality flags: stable string codes that say what is wrong with (or notable about) an article.

Pure; no settings read. Flags (documented in README; codes are only ever added):

- ``spam_injection``: gambling/casino SEO spam inserted into the page (``crawler.analyze.spam``);
- ``encoding_damage``: mojibake, ``?`` runs or replacement characters left after repair;
- ``encoding_repaired``: reversible mojibake was repaired;
- ``traditional_converted``: traditional characters were converted to simplified;
- ``pinyin_removed``: pinyin readings inserted after characters were removed;
- ``no_title``, ``no_date``, ``future_date`` (published after it was fetched);
- ``empty_body``, ``short_body`` (under ``SHORT_BODY_CHARS`` letters), ``boilerplate_only``
  (only short, link-like lines: a list or chrome page, no prose);
- ``attachment_only``: a short text that points to attachments, where the real content is;
- ``foreign_language``: not Chinese;
- ``repost``: the stated origin (来源/转自) is another site than the one that carries it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from crawler.analyze.script import HAN

SHORT_BODY_CHARS = 100
_TRADITIONAL_MIN = 5  # converted characters before the text counts as traditional
_LETTER = re.compile(f"[{HAN}A-Za-z0-9]")
_SENTENCE_END = re.compile(r"[。！？!?；]|[a-z]\.(?:\s|$)")
_PROSE_LINE = 30
_ATTACHMENT_WORD = re.compile(r"附件|附表|下载|详见")
_ATTACHMENT_ONLY_CHARS = 300
_MIN_ABBREVIATION = 4  # an origin this long may abbreviate the site's name (城投专委会)
_ORG_NOISE = re.compile(r"[\s()（）·•]")
# The places that lead a government site's name (荆门市, 荆门市东宝区) and a press office of theirs
# (市政府新闻办, 市委宣传部, 市新闻中心, 荆门发布): a city's own press office is not another site.
_SITE_PLACES = re.compile(
    r"^(?:中共)?(?:[^\s省]{2,7}省)?(?P<places>(?:[^\s省市县区州]{2,7}?(?:市|县|区|州)){1,3})"
)
_PLACE_PART = re.compile(r"[^\s省市县区州]{2,7}?(?:市|县|区|州)")
_PRESS_ORGAN = (
    r"(?:(?:委|人民政府|政府)?(?:新闻办公室|新闻办|宣传部|新闻(?:发布)?中心|融媒体中心|网信办)"
    r"|(?:人民政府|政府)?(?:新闻发布会|发布))"
)


@dataclass(frozen=True)
class QualityInput:
    """What the flags are computed from (all normalized)."""

    title: str | None
    text: str
    published_on: date | None
    fetched_at: datetime | None
    language: str | None
    origin: str | None
    site_name: str | None
    source_name: str | None
    attachments: int
    spam: list[str]
    encoding_damaged: int
    encoding_repaired: int
    traditional_chars: int
    pinyin_readings: int


def quality_flags(item: QualityInput) -> list[str]:
    """The flags of one article, in a fixed order."""
    flags: list[str] = []
    checks = [
        ("spam_injection", bool(item.spam)),
        ("encoding_damage", item.encoding_damaged > 0),
        ("encoding_repaired", item.encoding_repaired > 0),
        ("traditional_converted", item.traditional_chars >= _TRADITIONAL_MIN),
        ("pinyin_removed", item.pinyin_readings > 0),
        ("no_title", not item.title),
        ("no_date", item.published_on is None),
        ("future_date", _in_future(item.published_on, item.fetched_at)),
        ("empty_body", not item.text.strip()),
        ("short_body", 0 < _letters(item.text) < SHORT_BODY_CHARS),
        ("boilerplate_only", _boilerplate_only(item.text)),
        ("attachment_only", _attachment_only(item.text, item.attachments)),
        ("foreign_language", item.language not in (None, "zh")),
        ("repost", _is_repost(item.origin, item.site_name, item.source_name)),
    ]
    flags.extend(code for code, hit in checks if hit)
    return flags


def _letters(text: str) -> int:
    return len(_LETTER.findall(text))


def _in_future(published: date | None, fetched: datetime | None) -> bool:
    if published is None or fetched is None:
        return False
    return published > fetched.date() + timedelta(days=1)


def _boilerplate_only(text: str) -> bool:
    lines = [line for line in text.split("\n") if line.strip()]
    if not lines:
        return False
    prose = [line for line in lines if len(line) >= _PROSE_LINE and _SENTENCE_END.search(line)]
    return not prose and len(_SENTENCE_END.findall(text)) < 2


def _attachment_only(text: str, attachments: int) -> bool:
    return (
        attachments > 0
        and _letters(text) < _ATTACHMENT_ONLY_CHARS
        and bool(_ATTACHMENT_WORD.search(text))
    )


def _is_repost(origin: str | None, site_name: str | None, source_name: str | None) -> bool:
    """The origin names an organization that is neither the site nor the source."""
    if not origin:
        return False
    own = [_squash(name) for name in (site_name, source_name) if name]
    if not own:
        return False
    stated = _squash(origin)
    if not stated or stated in ("本站", "本网", "原创"):
        return False
    return not any(
        _same_organization(stated, name) or _own_press_office(stated, name) for name in own
    )


def _own_press_office(stated: str, own: str) -> bool:
    """The stated origin is the press office of the place whose site this is: 荆门市政府新闻办,
    中共荆门市委宣传部, 市新闻中心 or 荆门发布 on 荆门市人民政府's site (not 武汉市政府新闻办)."""
    site = _SITE_PLACES.match(own)
    if not site:
        return False
    places = _PLACE_PART.findall(site.group("places"))
    local = places[-1]
    higher = "|".join(re.escape(place) for place in places[:-1])
    prefix = f"(?:{higher})?" if higher else ""
    pattern = (
        rf"(?:中共)?(?:[^\s省]{{2,7}}省)?"
        rf"(?:{prefix}(?:{re.escape(local)}|{re.escape(local[:-1])})|{re.escape(local[-1])})"
        rf"{_PRESS_ORGAN}"
    )
    return re.fullmatch(pattern, stated) is not None


def _same_organization(stated: str, own: str) -> bool:
    """One name contains the other (荆门市人民政府网站, 荆门市人民政府), or the stated one abbreviates
    the other: its characters occur in it in order (城投专委会 of 城市建设投融资研究专业委员会).
    人民网 is not 成都市人民政府, nor 中国网 中国政府网."""
    if stated in own or own in stated:
        return True
    return len(stated) >= _MIN_ABBREVIATION and _is_subsequence(stated, own)


def _is_subsequence(short: str, long: str) -> bool:
    remaining = iter(long)
    return all(char in remaining for char in short)


def _squash(name: str) -> str:
    return _ORG_NOISE.sub("", name)
