"""The event an article reports: its name, host city and dates (2017中国新型城市论坛荆门峰会,
荆门, 2017-11-19 to 2017-11-21), read from the title and the body's first paragraphs.

Pure; no settings read. Cities come from ``crawler/data/cities.yaml`` (cached; ``reset_cities()``
drops the cache). Runs on normalized text. A date without a year takes the year of the event name
(``2017中国...``), else the one nearest the publication date (a report published in January about
"12月20日" means the December before).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta
from functools import lru_cache
from typing import Any

import yaml

from crawler.analyze.script import HAN
from crawler.datafiles import DATA_DIR

CITIES_FILE = DATA_DIR / "cities.yaml"

_SUFFIX = r"(?:论坛|峰会|年会|博览会|研讨会|对话会|洽谈会|推介会|交流会|大会|会议|座谈会)"
_NAME_CHAR = r"[^\s，。、；：:“”‘’（）()《》「」|｜!?！？在于由将已的举召开]"
_NAME_PART = rf"(?:{_NAME_CHAR}|“[^”]{{1,20}}”|[（(][^）)]{{1,8}}[）)])"
_NAMED = re.compile(
    rf"(?P<name>(?:(?:19|20)\d{{2}}(?:年|年度)?|第[一二三四五六七八九十百零〇\d]{{1,4}}届|首届)"
    rf"{_NAME_PART}{{2,30}}{_SUFFIX}"
    rf"|“(?P<quoted>[^”]{{2,30}}{_SUFFIX})”|《(?P<book>[^》]{{2,30}}{_SUFFIX})》)"
)
_PLAIN = re.compile(rf"(?P<name>{_NAME_PART}{{2,25}}{_SUFFIX})")
_SCHEDULED = re.compile(r"(?:将于|定于|拟于|于)\s*(?=(?:(?:19|20)\d{2}年)?\d{1,2}月)")
_HELD = r"(?:隆重|成功|正式|盛大)?(?:举行|召开|开幕|举办|启幕|揭幕|闭幕)"
# A date or a range (``11月19日至21日``, ``11月19—21日``, ``11月30日至12月2日``, ``2023年12月30日
# 至2024年1月2日``); spaces may sit between the parts (``11月19日 至 21 日``), a dash may be
# doubled (``——``) and a day may end in 号.
_DATE = re.compile(
    r"(?:(?P<y>(?:19|20)\d{2})\s*年\s*)?(?P<m>1[0-2]|0?[1-9])\s*月\s*"
    r"(?P<d>3[01]|[12]\d|0?[1-9])(?!\d)(?:\s*[日号])?"
    r"(?:上午|下午|晚上|晚)?"
    r"(?:\s*(?:至|到|[—–\-－～~〜]{1,2}|、)\s*(?:(?P<y2>(?:19|20)\d{2})\s*年\s*)?"
    r"(?:(?P<m2>1[0-2]|0?[1-9])\s*月\s*)?(?P<d2>3[01]|[12]\d|0?[1-9])\s*[日号])?"
)
_EVENT_CONTEXT = re.compile(rf"{_SUFFIX}|举行|召开|开幕|举办|启幕|将于|定于|拟于|时间[:：]")
_DURATION = re.compile(r"为期(?P<days>[两二三四五2-5])天")
_DAYS = {"两": 2, "二": 2, "三": 3, "四": 4, "五": 5}
_LEAD_CHARS = 400
_HALF_YEAR = 183


@dataclass(frozen=True)
class Event:
    name: str | None
    city: str | None
    start: date | None
    end: date | None


@dataclass(frozen=True)
class _Cities:
    names: tuple[str, ...]
    abbreviations: dict[str, str]
    pattern: re.Pattern[str]
    held: re.Pattern[str]


@lru_cache(maxsize=1)
def _cities() -> _Cities:
    data: dict[str, Any] = yaml.safe_load(CITIES_FILE.read_text(encoding="utf-8")) or {}
    names = tuple(sorted((str(c) for c in data.get("cities") or []), key=len, reverse=True))
    abbreviations = {str(k): str(v) for k, v in (data.get("abbreviations") or {}).items()}
    alternation = "|".join(map(re.escape, names))
    short = "|".join(map(re.escape, abbreviations))
    held = re.compile(
        rf"在(?:[{HAN}]{{2,3}}省|[{HAN}]{{2,8}}自治区)?"
        rf"(?:(?P<city>{alternation})(?!省|区|县|镇|乡|路|街|大道)(?:市)?[^，。；]{{0,20}}?"
        rf"|(?P<abbr>{short})){_HELD}"
    )
    return _Cities(names, abbreviations, re.compile(alternation), held)


def reset_cities() -> None:
    """Forget the cached city list (tests, live edits)."""
    _cities.cache_clear()


def find_event(title: str | None, text: str, published: date | None) -> Event:
    """The event named in the title or lead, where it was held and when (None where unstated)."""
    title = title or ""
    lead = text[:_LEAD_CHARS]
    name = _event_name(title, lead)
    city = _host_city(title) or _host_city(lead) or _city_in(name)
    start, end = _event_dates(title, lead, name, published)
    return Event(name=name, city=city, start=start, end=end)


def _event_name(title: str, lead: str) -> str | None:
    """The title's name (with a year or edition, else plain); the lead's fuller form of it
    (``2024中国—东盟城市合作市长论坛`` for a title's ``中国—东盟城市合作市长论坛``); else the lead's."""
    named = _named(title)
    if named:
        return named
    plain = _plain(title)
    in_lead = _named(lead)
    if plain and (in_lead is None or plain not in in_lead):
        return plain
    return in_lead or _plain(lead)


def _named(text: str) -> str | None:
    match = _NAMED.search(text)
    if not match:
        return None
    return match.group("name") or match.group("quoted") or match.group("book")


def _plain(text: str) -> str | None:
    match = _PLAIN.search(text)
    return match.group("name") if match else None


def _host_city(text: str) -> str | None:
    cities = _cities()
    match = cities.held.search(text)
    if not match:
        return None
    return match.group("city") or cities.abbreviations.get(match.group("abbr") or "")


def _city_in(name: str | None) -> str | None:
    if not name:
        return None
    match = _cities().pattern.search(name)
    return match.group(0) if match else None


def _event_dates(
    title: str, lead: str, name: str | None, published: date | None
) -> tuple[date | None, date | None]:
    """The date the event is scheduled for (将于/定于/于 + date), else the first date in a
    sentence of the title or lead that speaks of the event."""
    sentences = [title, *re.split(r"[。！？\n]", lead)]
    for sentence in sentences:
        for scheduled in _SCHEDULED.finditer(sentence):
            match = _DATE.match(sentence, scheduled.end())
            if match and _EVENT_CONTEXT.search(sentence):
                return _resolve(match, name, published)
    for sentence in sentences:
        if not _EVENT_CONTEXT.search(sentence):
            continue
        match = _DATE.search(sentence)
        if match:
            start, end = _resolve(match, name, published)
            return start, _lasting(sentence, start, end)
    return None, None


def _lasting(sentence: str, start: date | None, end: date | None) -> date | None:
    """``为期两天`` after a single date: the event ends that many days after it starts."""
    duration = _DURATION.search(sentence)
    if start is None or end != start or duration is None:
        return end
    days = _DAYS.get(duration.group("days")) or int(duration.group("days"))
    return start + timedelta(days=days - 1)


def _resolve(
    match: re.Match[str], name: str | None, published: date | None
) -> tuple[date | None, date | None]:
    month, day = int(match.group("m")), int(match.group("d"))
    year = _year(match.group("y"), name, published, month, day)
    if year is None:
        return None, None
    start = _date(year, month, day)
    if start is None:
        return None, None
    end_month = int(match.group("m2")) if match.group("m2") else month
    end_day = int(match.group("d2")) if match.group("d2") else day
    end_year = int(match.group("y2")) if match.group("y2") else year + (end_month < month)
    end = _date(end_year, end_month, end_day) or start
    return start, max(end, start)


def _year(
    explicit: str | None, name: str | None, published: date | None, m: int, d: int
) -> int | None:
    """The year of a date that states none: the event name's (``2017中国新型城市论坛``) when it
    is close to the publication date (not ``2023年度…年会`` held in 2024, nor ``2035…论坛``),
    else the year that puts the date nearest the publication date."""
    if explicit:
        return int(explicit)
    named = re.match(r"((?:19|20)\d{2})(年度)?", name or "")
    if named and not named.group(2):
        year = int(named.group(1))
        if published is None or abs(year - published.year) <= 1:
            return year
    if published is None:
        return None
    year = published.year
    candidate = _date(year, m, d)
    if candidate is None:
        return year
    if (candidate - published).days > _HALF_YEAR:
        return year - 1
    if (published - candidate).days > _HALF_YEAR:
        return year + 1
    return year


def _date(year: int, month: int, day: int) -> date | None:
    try:
        return date(year, month, day)
    except ValueError:
        return None
