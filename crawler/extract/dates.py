"""Publication date of an article page: meta tags, then the meta line by the title, then the URL,
then htmldate.

Pure functions; no settings read. A date is taken only from places that state the publication
date: structured metadata (meta tags, JSON-LD), the labelled or bare date of the meta line just
under the title (``发布时间：2024-11-04``, ``2024年11月04日 10:30``, ``2005-07-18 13:03:17``,
``新华网 2005-07-18 13:03:17``, ``发布日期： 9/17/2004 5:54:13 AM``, ``本贴由 某某 于2005年8月12日…发表``,
``发表于 2005-8-12``), a ``发布时间`` label elsewhere on the page, or the URL (``t20210524_``,
``/2024-11/04/``, ``/202411/04/``, ``/20241104/``); a headline's event date
(``年会（2004年12月11－12日）``) is not the page's. When none of these gives a date, htmldate's
``find_date`` is asked (metadata the rules do not know, ``<time>``, European formats); its year-
and month-only guesses are refused, and on Chinese pages only a day it read from markup counts.
Never a year or date from the body or from related-article lists of a Chinese page, and never a
guess: no reliable date gives None. Times without a zone are China time (UTC+8); ``published_at``
is UTC-aware and set only when a time of day is stated (a bare ``00:00:00`` is a placeholder, not
a time). The day is the calendar day as the page states it, in the page's own zone
(``2020-11-09T20:00:00-05:00`` is 9 November, though it is already the 10th in Beijing).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, timezone

from htmldate import find_date
from lxml.html import HtmlElement

from crawler.analyze.script import without_pinyin

CHINA_TZ = timezone(timedelta(hours=8), "Asia/Shanghai")
_MIN_YEAR = 1990

# Meta names/properties (lower-case) that carry the publication date, most trusted first.
PUBDATE_META_NAMES: tuple[str, ...] = (
    "article:published_time",
    "og:article:published_time",
    "og:published_time",
    "og:release_date",
    "pubdate",
    "publishdate",
    "publish_date",
    "publish-date",
    "publishtime",
    "publish_time",
    "publishedtime",
    "firstpublishedtime",
    "datepublished",
    "releasedate",
    "dc.date.issued",
    "dc.date.created",
    "dc.date",
    "dcterms.issued",
    "dcterms.created",
    "citation_publication_date",
    "sailthru.date",
    "parsely-pub-date",
    "article.published",
    "weibo:article:create_at",
    "date",
)

_DIGITS = str.maketrans("０１２３４５６７８９：－／", "0123456789:-/")
_DATE = re.compile(
    r"(?<!\d)(?P<y>(?:19|20)\d{2})\s*[-/.年]\s*(?P<m>\d{1,2})\s*[-/.月]\s*(?P<d>\d{1,2})"
    r"(?!\d)\s*日?"
    r"(?:\s*(?:T|-)?\s*(?P<H>\d{1,2})\s*[:时]\s*(?P<M>\d{2})(?:\s*[:分]\s*(?P<S>\d{2}))?"
    r"(?:\.\d+)?\s*(?P<ap>[AaPp][Mm](?![A-Za-z]))?\s*(?P<z>Z|[+-]\d{2}:?\d{2}(?!\d))?)?"
)
# Month/day/year, only after a label (``发布日期： 9/17/2004 5:54:13 AM``, ASP-era CMSs)
_MDY = re.compile(
    r"(?<![\d/])(?P<m>\d{1,2})/(?P<d>\d{1,2})/(?P<y>(?:19|20)\d{2})(?![\d/])"
    r"(?:\s+(?P<H>\d{1,2}):(?P<M>\d{2})(?::(?P<S>\d{2}))?\s*(?P<ap>[AaPp][Mm](?![A-Za-z]))?)?"
    r"(?P<z>)"
)
_COMPACT = re.compile(
    r"^\s*(?P<y>(?:19|20)\d{2})(?P<m>\d{2})(?P<d>\d{2})(?:(?P<H>\d{2})(?P<M>\d{2}))?"
)
_DATE_ONLY = re.compile(
    r"^[\[【（(]?\s*(?:发布|更新)?(?:时间|日期)?\s*[:：]?\s*"
    r"(?P<date>(?:19|20)\d{2}\s*[-/.年]\s*\d{1,2}\s*[-/.月]\s*\d{1,2}\s*日?"
    r"(?:\s*\d{1,2}\s*[:时]\s*\d{2}(?:\s*[:分]\s*\d{2})?)?)"
    r"\s*(?:星期[一二三四五六日天]|周[一二三四五六日天])?\s*[\]】）)]?$"
)
_DATE_START = re.compile(
    r"^[\[【（(]?\s*(?:(?:发布|更新|發布|發佈)?(?:时间|日期|時間)\s*[:：]\s*)?"
    r"(?:19|20)\d{2}\s*[-/.年]\s*\d{1,2}\s*[-/.月]\s*\d{1,2}(?!\d)"
)
_LABEL = re.compile(
    r"(?:发布时间|发布日期|发表时间|发表日期|发文日期|发稿时间|发布于|更新时间|更新日期|录入时间|"
    r"上传时间|成文日期|時間|發布時間|發佈時間|發布日期|时间|日期|Date|date|Published|发布|"
    r"发表于|发帖于|回复于)\s*[:：]?\s*$"
)
_FORUM_LABEL = re.compile(r"本[贴帖]由\s*\S{1,20}\s*于\s*$")  # 本贴由 某某 于2005年8月12日…发表
_STRONG_LABEL = re.compile(r"(?:发布|发表|發布|發佈)(?:时间|日期|時間|于)\s*[:：]?\s*$")
_CLOCK = re.compile(r"\d\s*\d{1,2}\s*[:时]\s*\d{2}")
_PERIOD_END = re.compile(r"\s*日?\s*[-－—–~～至到]\s*\d{1,2}\s*日")
_HEADLINE_BRACKET = re.compile(r"[\u4e00-\u9fffA-Za-z0-9]{8,}[（(]\s*$")  # not 新华网（…）
_STANDS_APART = re.compile(r"(?:^|[\s|｜丨/【\[（(:：])\s*$")
_PARAGRAPH_LINE = 80
_META_LINE = 80
_UNLABELLED_SLACK = 40  # chars besides the date that an unlabelled meta line may hold
_URL_PATTERNS = (
    re.compile(r"[/_]t(?P<y>20\d{2})(?P<m>\d{2})(?P<d>\d{2})_"),
    re.compile(r"/(?P<y>20\d{2})-(?P<m>\d{1,2})/(?P<d>\d{1,2})/"),
    re.compile(r"/(?P<y>20\d{2})(?P<m>\d{2})/(?P<d>\d{2})/"),
    re.compile(r"/(?P<y>20\d{2})/(?P<m>\d{1,2})/(?P<d>\d{1,2})/"),
    re.compile(r"/(?P<y>20\d{2})/(?P<m>\d{2})(?P<d>\d{2})/"),
    re.compile(r"/(?P<y>20\d{2})-(?P<m>\d{2})-(?P<d>\d{2})/"),
    re.compile(r"/(?P<y>20\d{2})(?P<m>\d{2})(?P<d>\d{2})/"),
    re.compile(r"(?<![\d])(?P<y>20\d{2})(?P<m>\d{2})(?P<d>\d{2})(?=[_.-][^/]*$)"),
)
_JSONLD_DATE = re.compile(r'"datePublished"\s*:\s*"([^"]{8,40})"')
# Publication dates that CMS templates hand to scripts (``var pubDate = "2024-11-04 10:30";``).
_SCRIPT_DATE = re.compile(
    r"""\b(?:pubDate|pubdate|publishDate|publishdate|publishTime|publishtime|pubTime|pubtime|"""
    r"""releaseTime|releasetime|fbsj|firstPublishTime)\b["']?\s*[=:]\s*["']([^"']{8,30})["']"""
)


@dataclass(frozen=True)
class PublicationDate:
    """A publication date and, when the page states a time of day, the UTC instant."""

    day: date
    at: datetime | None = None


def is_date_only(line: str) -> bool:
    """True for a line that is just a date (optionally labelled, timed, with a weekday)."""
    return bool(_DATE_ONLY.match(line.translate(_DIGITS)))


def starts_with_date(line: str) -> bool:
    """True for a line opening with a full date (``2024-05-20 14:22 南方网``), label allowed."""
    return bool(_DATE_START.match(without_pinyin(line).translate(_DIGITS)))


def parse_date(text: str) -> PublicationDate | None:
    """The first plausible date (with its time, if any) in ``text``."""
    text = text.translate(_DIGITS)
    for match in _DATE.finditer(text):
        parsed = _from_match(match)
        if parsed:
            return parsed
    return None


def find_publication_date(
    meta: Mapping[str, str],
    *,
    jsonld: Iterable[str] = (),
    head_lines: Sequence[str] = (),
    before_title: Sequence[str] = (),
    tagged: Sequence[str] = (),
    scripts: Sequence[str] = (),
    page_lines: Sequence[str] = (),
    url: str = "",
) -> PublicationDate | None:
    """The publication date by priority: metadata, the meta line (``head_lines`` after the title,
    ``tagged`` elements such as ``#pubtime_baidu``, a ``pubDate`` script variable), the URL, a
    labelled date elsewhere."""
    found = (
        date_from_meta(meta, jsonld)
        or date_from_head(head_lines, before_title)
        or next(filter(None, map(parse_date, tagged)), None)
        or date_from_scripts(scripts)
        or date_from_url(url)
        or date_from_labelled(page_lines)
    )
    if found and found.at is None:
        # the meta tag may state only the day while the meta line adds the time
        timed = date_from_head(head_lines, before_title)
        if timed and timed.day == found.day and timed.at:
            return timed
    return found


def date_from_htmldate(
    page: str | HtmlElement, url: str = "", *, markup_only: bool = False
) -> PublicationDate | None:
    """htmldate's search (metadata, ``<time>``, URL, European formats such as ``19. Juli
    2014``): the fallback when the project's own rules find nothing. The fast search first; when
    it finds nothing, the extensive one (free-text dates such as ``July 19, 2014``) except with
    ``markup_only``. Its year- and month-only guesses (``2014-01-01``, ``2014-07-01``) are refused:
    a first of the month is taken only when the page states that day in full. ``markup_only``
    (Chinese pages, whose text patterns the project's rules already read): the day must stand in
    a ``datetime``/``content`` attribute or a JSON date field, never only in the text (htmldate's
    last resort is any date in the body)."""
    found = _htmldate(page, url, extensive=False)
    if found is None and not markup_only:
        found = _htmldate(page, url, extensive=True)
    if found is None:
        return None
    if markup_only and not _in_markup(page, found):
        return None
    return PublicationDate(found)


def _htmldate(page: str | HtmlElement, url: str, *, extensive: bool) -> date | None:
    try:
        found = find_date(
            page,
            extensive_search=extensive,
            original_date=True,
            outputformat="%Y-%m-%d",
            url=url or None,
        )
    except Exception:  # htmldate must never cost the article
        return None
    if not found:
        return None
    day = _valid_day(found[:4], found[5:7], found[8:10])
    if day is None or (day.day == 1 and not _states_first(page, day)):
        return None
    return day


def _in_markup(page: str | HtmlElement, day: date) -> bool:
    """The day in a ``datetime=``/``content=`` attribute or a JSON ``"date…"`` field."""
    if not isinstance(page, str):
        return False
    iso = rf"{day.year}-{day.month:02d}-{day.day:02d}"
    stated = re.compile(
        rf"""(?:\b(?:datetime|content)\s*=\s*["']?\s*|"date\w*"\s*:\s*"){iso}""", re.IGNORECASE
    )
    return bool(stated.search(page))


def _states_first(page: str | HtmlElement, day: date) -> bool:
    """The page writes the first of the month in full (``2020-05-01``, ``2020/5/1``)."""
    if not isinstance(page, str):
        return False
    stated = re.compile(rf"(?<!\d){day.year}\s*[-/.年]\s*0?{day.month}\s*[-/.月]\s*0?1(?!\d)")
    return bool(stated.search(page))


def date_from_scripts(scripts: Iterable[str]) -> PublicationDate | None:
    """A date assigned to a publication-date variable in an inline script."""
    for script in scripts:
        for raw in _SCRIPT_DATE.findall(script):
            parsed = parse_date(raw)
            if parsed:
                return parsed
    return None


def date_from_meta(meta: Mapping[str, str], jsonld: Iterable[str] = ()) -> PublicationDate | None:
    """Date from ``<meta>`` tags (name/property/itemprop, lower-cased keys) or JSON-LD."""
    for name in PUBDATE_META_NAMES:
        value = meta.get(name)
        if value:
            parsed = parse_date(value) or _parse_compact(value)
            if parsed:
                return parsed
    for script in jsonld:
        for raw in _JSONLD_DATE.findall(script):
            parsed = parse_date(_json_unescape(raw))
            if parsed:
                return parsed
    return None


def date_from_head(
    head_lines: Sequence[str], before_title: Sequence[str] = ()
) -> PublicationDate | None:
    """Date of the meta line: lines right after the title (labelled first, then a bare date in a
    short line), or a labelled date in the few lines right before the title (or before the body),
    or an unlabelled date with a time on the last of them."""
    region: list[str] = []
    for line in head_lines:
        if len(line) >= _PARAGRAPH_LINE or "。" in line:
            break
        region.append(line)
    return (
        _first_labelled(region, strong_only=True)
        or _first_labelled(region, strong_only=False)
        or _first_unlabelled(region)
        or _first_labelled(before_title, strong_only=False)
        or _timed_line(before_title[-1:])
    )


def _timed_line(lines: Sequence[str]) -> PublicationDate | None:
    """An unlabelled date with a time of day right above the body (``2005-07-18 13:03:17``):
    the date line of a page whose headline was not recognised as its title."""
    if not lines or not _CLOCK.search(lines[0].translate(_DIGITS)):
        return None
    return _first_unlabelled(lines)


def date_from_labelled(lines: Iterable[str]) -> PublicationDate | None:
    """A date labelled 发布时间/发布日期 anywhere on the page (a last resort)."""
    return _first_labelled([line for line in lines if len(line) < _PARAGRAPH_LINE], True)


def date_from_url(url: str) -> PublicationDate | None:
    """A date in the URL path (``t20210524_``, ``/2024-11/04/``, ``/202411/04/``, ...)."""
    path = url.split("?", 1)[0].split("#", 1)[0]
    for pattern in _URL_PATTERNS:
        for match in pattern.finditer(path):
            day = _valid_day(match.group("y"), match.group("m"), match.group("d"))
            if day:
                return PublicationDate(day)
    return None


def _first_labelled(lines: Iterable[str], strong_only: bool) -> PublicationDate | None:
    label = _STRONG_LABEL if strong_only else _LABEL
    for line in lines:
        text = without_pinyin(line).translate(_DIGITS)
        matches = sorted([*_DATE.finditer(text), *_MDY.finditer(text)], key=lambda m: m.start())
        for match in matches:
            before = text[: match.start()]
            if label.search(before[-12:]) or _FORUM_LABEL.search(before[-30:]):
                parsed = _from_match(match)
                if parsed:
                    return parsed
    return None


def _first_unlabelled(lines: Iterable[str]) -> PublicationDate | None:
    """A bare date standing apart in a short, prose-free line (``2024-11-04 | 来源：X``)."""
    for line in lines:
        if len(line) > _META_LINE or "，" in line:
            continue
        text = line.translate(_DIGITS)
        match = _DATE.search(text)
        if not match or len(text) - (match.end() - match.start()) > _UNLABELLED_SLACK:
            continue
        if _STANDS_APART.search(text[: match.start()]) and not _is_event_date(text, match):
            parsed = _from_match(match)
            if parsed:
                return parsed
    return None


def _is_event_date(text: str, match: re.Match[str]) -> bool:
    """A headline's event date, not the page's: a period (``2004年12月11－12日``) or a date in
    brackets after a headline's words (``第四届中国城市论坛年会（2004年12月11日）``)."""
    if _PERIOD_END.match(text, match.end("d")):
        return True
    return bool(_HEADLINE_BRACKET.search(text[: match.start()]))


def _from_match(match: re.Match[str]) -> PublicationDate | None:
    day = _valid_day(match.group("y"), match.group("m"), match.group("d"))
    if day is None:
        return None
    hour = match.group("H")
    meridiem = (match.group("ap") or "").lower()
    if hour is not None and meridiem and 1 <= int(hour) <= 12:
        hour = str(int(hour) % 12 + (12 if meridiem == "pm" else 0))
    return _with_time(day, hour, match.group("M"), match.group("S"), match.group("z") or None)


def _parse_compact(value: str) -> PublicationDate | None:
    match = _COMPACT.match(value.translate(_DIGITS))
    if not match:
        return None
    day = _valid_day(match.group("y"), match.group("m"), match.group("d"))
    if day is None:
        return None
    return _with_time(day, match.group("H"), match.group("M"), None, None)


def _valid_day(year: str, month: str, day: str) -> date | None:
    try:
        value = date(int(year), int(month), int(day))
    except ValueError:
        return None
    latest = datetime.now(CHINA_TZ).date() + timedelta(days=2)
    return value if value.year >= _MIN_YEAR and value <= latest else None


def _with_time(
    day: date, hour: str | None, minute: str | None, second: str | None, zone: str | None
) -> PublicationDate:
    if hour is None or minute is None:
        return PublicationDate(day)
    try:
        clock = time(int(hour), int(minute), int(second or 0))
    except ValueError:
        return PublicationDate(day)
    if clock == time(0, 0) and not zone:
        return PublicationDate(day)
    tz = _zone(zone) if zone else CHINA_TZ
    stamp = datetime.combine(day, clock, tzinfo=tz)
    # the day is the calendar day the page states (in its own zone), the instant is exact
    return PublicationDate(day, stamp.astimezone(UTC))


def _zone(text: str) -> timezone:
    if text == "Z":
        return UTC
    sign = -1 if text.startswith("-") else 1
    digits = text[1:].replace(":", "")
    return timezone(sign * timedelta(hours=int(digits[:2]), minutes=int(digits[2:4])))


def _json_unescape(raw: str) -> str:
    try:
        value = json.loads(f'"{raw}"')
    except ValueError:
        return raw
    return value if isinstance(value, str) else raw
