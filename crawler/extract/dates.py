"""Publication date of an article page: meta tags, then the meta line by the title, then the URL,
then htmldate.

Pure functions; no settings read. A date is taken only from places that state the publication
date: structured metadata (meta tags, JSON-LD), the labelled or bare date of the meta line just
under the title (``发布时间：2024-11-04``, ``2024年11月04日 10:30``, ``2005-07-18 13:03:17``,
``新华网 2005-07-18 13:03:17``, ``发布日期： 9/17/2004 5:54:13 AM``, ``本贴由 某某 于2005年8月12日…发表``,
``发表于 2005-8-12``, ``Posted: Sat Jul 19, 2014 10:22 pm``), a ``发布时间`` or ``Posted on`` label
or the opening post's floor (``1楼 2013-05-04 21:35``) elsewhere on the page, the URL
(``t20210524_``, ``/2024-11/04/``, ``/202411/04/``, ``/20241104/``),
or the page's one info bar (``点击数：123　更新时间：2005-7-18``, often under the body). Full-width
digits and Chinese numerals (``二〇〇五年七月十八日``) read as digits; a month/day/year reads as
such after a label, and unlabelled only when a part over 12 shows the order (``9/17/2004``, never
``9/7/2004``); 发布日期 beats 成文日期. A headline's event date (``年会（2004年12月11－12日）``) is
not the page's. When none of these gives a date, htmldate's
``find_date`` is asked (metadata the rules do not know, ``<time>``, European formats); its year-
and month-only guesses are refused, and on Chinese pages only a day it read from markup counts.
Never a year or date from the body or from related-article lists of a Chinese page, and never a
guess: no reliable date gives None. Times without a zone are China time (UTC+8); ``published_at``
is UTC-aware and set only when a time of day is stated (a bare ``00:00:00`` or ``23:59:59`` is a
placeholder, not a time). The day is the calendar day as the page states it, in the page's own zone
(``2020-11-09T20:00:00-05:00`` is 9 November, though it is already the 10th in Beijing).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
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
# Dates in Chinese numerals (成文日期 of government documents: 二〇〇五年七月十八日)
_CN_DIGIT = {c: i for i, c in enumerate("〇一二三四五六七八九")} | {
    "○": 0,
    "零": 0,
    "Ｏ": 0,
    "O": 0,
}
_CN_YEAR = "[〇○零Ｏ一二三四五六七八九]"
_CN_NUMBER = "[一二三四五六七八九十]{1,3}"
_CN_DATE = re.compile(
    rf"(?P<y>{_CN_YEAR}{{4}}|(?:19|20)\d{{2}})\s*年\s*(?P<m>{_CN_NUMBER}|\d{{1,2}})\s*月"
    rf"\s*(?P<d>{_CN_NUMBER}|\d{{1,2}})\s*[日号]"
)
_DATE = re.compile(
    r"(?<!\d)(?P<y>(?:19|20)\d{2})\s*[-/.年]\s*(?P<m>\d{1,2})\s*[-/.月]\s*(?P<d>\d{1,2})"
    r"(?!\d)\s*日?"
    r"(?:\s*(?:T|-)?\s*(?P<H>\d{1,2})\s*[:时]\s*(?P<M>\d{2})(?:\s*[:分]\s*(?P<S>\d{1,2})(?!\d))?"
    r"(?:\.\d+)?\s*(?P<ap>[AaPp][Mm](?![A-Za-z]))?\s*(?P<z>Z|[+-]\d{2}:?\d{2}(?!\d))?)?"
)
_CLOCK_TAIL = (
    r"(?:,?\s+(?:at\s+)?(?P<H>\d{1,2}):(?P<M>\d{2})(?::(?P<S>\d{2}))?"
    r"\s*(?P<ap>[AaPp]\.?[Mm]\.?(?![A-Za-z]))?)?(?P<z>)"
)
# Month/day/year (``发布日期： 9/17/2004 5:54:13 AM`` of ASP-era CMSs, vBulletin's
# ``07-19-2014, 10:22 PM``): after a label, or unlabelled when the order is plain (a part > 12)
_MDY = re.compile(
    r"(?<![\d/-])(?P<m>\d{1,2})(?P<sep>[/-])(?P<d>\d{1,2})(?P=sep)(?P<y>(?:19|20)\d{2})(?![\d/-])"
    + _CLOCK_TAIL
)
_MONTH_NAMES = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
_MONTH_WORD = (
    r"(?P<mn>(?i:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec))"
    r"(?:[a-z]{0,6}\b\.?|(?=\s))"
)
_WEEKDAY = r"(?:(?i:mon|tue|wed|thu|fri|sat|sun)[a-z]{0,6}\.?,?\s+)?"
# English dates of forum and blog posts (``Posted: Sat Jul 19, 2014 10:22 pm``, ``19 July 2014``)
_TEXT_MDY = re.compile(
    rf"\b{_WEEKDAY}{_MONTH_WORD}\s*(?P<d>\d{{1,2}})(?:st|nd|rd|th)?,?\s+(?P<y>(?:19|20)\d{{2}})(?!\d)"
    + _CLOCK_TAIL
)
_TEXT_DMY = re.compile(
    rf"\b{_WEEKDAY}(?P<d>\d{{1,2}})(?:st|nd|rd|th)?\s+(?:of\s+)?{_MONTH_WORD},?\s+"
    r"(?P<y>(?:19|20)\d{2})(?!\d)" + _CLOCK_TAIL
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
_LABEL_ONLY = re.compile(r"^[\[【]?[\u4e00-\u9fff\s　]{2,8}[:：]$")
_FORUM_LABEL = re.compile(r"本[贴帖]由\s*\S{1,20}\s*于\s*$")  # 本贴由 某某 于2005年8月12日…发表
# the opening post's floor beside its time (百度贴吧's tail: 来自Android客户端 1楼 2013-05-04 21:35)
_FIRST_FLOOR = re.compile(r"(?:(?<!\d)1\s*[楼樓#]|楼主|樓主)\s*[:：]?\s*$")
_STRONG_LABEL = re.compile(r"(?:发布|发表|發布|發佈)(?:时间|日期|時間|于)\s*[:：]?\s*$")
# ``Posted:``, ``Posted on``, ``Published on``, ``Posted by someone on`` opening a line (English
# forums and blogs; ``was published on`` inside a sentence is no label), and the ``posted @``
# footer of .Text/cnblogs posts (``posted @ 2014-02-09 16:33 作者 阅读(120)``)
_POSTED_LABEL = re.compile(
    r"^\W{0,3}(?:Posted|Published|Submitted)(?:\s+by\s+[^:\n]{1,30}?)?(?:\s+on|\s*@)?\s*[:\-–]?\s*$",
    re.IGNORECASE,
)
# an info bar's hit counter (点击数：123, 浏览次数: 56, 阅读：12) and its entry labels
_COUNTER = re.compile(
    r"(?:点击|點擊|浏览|瀏覽|阅读|閱讀|访问|訪問|人气)(?:数|次数|次數|量|率)?\s*[:：]"
)
_ENTRY_LABEL = re.compile(r"(?:更新|录入|錄入|上传|添加|加入|入库)(?:时间|日期|時間)\s*[:：]")
# Month-name stems (en, de, fr, it, es, pt, nl) for the day a page shows its readers
_MONTH_STEMS = (
    ("jan", "jän", "gen", "ene"),
    ("feb", "fév", "fev"),
    ("mar", "mär", "maa"),
    ("apr", "avr", "abr"),
    ("may", "mai", "mag", "mei"),
    ("jun", "juin", "giu"),
    ("jul", "juil", "lug"),
    ("aug", "août", "aout", "ago"),
    ("sep", "set"),
    ("oct", "okt", "ott", "out"),
    ("nov",),
    ("dec", "dez", "déc", "dic"),
)
# times that CMSs write when only the day is known: the start and the end of the day
_PLACEHOLDER_CLOCKS = (time(0, 0), time(23, 59, 59))
_EAST_HOURS = 15  # UTC hour from which a zone east of Greenwich (up to +09:00) is on the next day
_WEST_HOURS = 9  # UTC hour before which a zone west of it (down to -09:00) is on the previous day
_LATIN = re.compile(r"[A-Za-z]{3}")
_POSTED = re.compile(r"\W{0,3}(?:Posted|Published|Submitted)\b", re.IGNORECASE)
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
    # the stamp was written in UTC (``Z``, ``+00:00``): the publisher's own day may be the next or
    # the previous one
    in_utc: bool = field(default=False, compare=False)


def is_date_only(line: str) -> bool:
    """True for a line that is just a date (optionally labelled, timed, with a weekday)."""
    return bool(_DATE_ONLY.match(line.translate(_DIGITS)))


def starts_with_date(line: str) -> bool:
    """True for a line opening with a full date (``2024-05-20 14:22 南方网``), label allowed."""
    return bool(_DATE_START.match(without_pinyin(line).translate(_DIGITS)))


def parse_date(text: str) -> PublicationDate | None:
    """The first plausible date (with its time, if any) in ``text``."""
    text = _normalized(text)
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
        or date_from_info_bar(page_lines)
    )
    if found and found.in_utc:
        found = _publisher_day(found, page_lines)
    if found and found.at is None:
        # the meta tag may state only the day while the meta line adds the time
        timed = date_from_head(head_lines, before_title)
        if timed and timed.day == found.day and timed.at:
            return timed
    return found


def _publisher_day(found: PublicationDate, page_lines: Sequence[str]) -> PublicationDate:
    """A stamp written in UTC (``2020-12-05T23:15:00Z``) gives UTC's day; the publisher's is the
    next one east of Greenwich late in the day, the previous one west of it early in the day.
    The day the page shows its readers decides: the neighbouring day when the text states it
    and never the stamp's own day."""
    assert found.at is not None
    hour = found.at.hour
    neighbours = [found.day + timedelta(days=1)] if hour >= _EAST_HOURS else []
    neighbours += [found.day - timedelta(days=1)] if hour < _WEST_HOURS else []
    if not neighbours:
        return found
    text = "\n".join(line for line in page_lines if len(line) < _PARAGRAPH_LINE)
    if _states_day(text, found.day):
        return found
    shown = [day for day in neighbours if _states_day(text, day)]
    return replace(found, day=shown[0]) if len(shown) == 1 else found


def _states_day(text: str, day: date) -> bool:
    """``text`` writes ``day`` with its year: in digits (2020-12-06, 06.12.2020, 12/6/2020) or with
    the month's name in English, German, French, Italian, Spanish, Portuguese or Dutch."""
    d, m, y = day.day, day.month, day.year
    numeric = (
        rf"(?<!\d){y}\s*[-/.年]\s*0?{m}\s*[-/.月]\s*0?{d}(?!\d)"
        rf"|(?<!\d)0?{d}\s*[-/.]\s*0?{m}\s*[-/.]\s*{y}(?!\d)"
        rf"|(?<!\d)0?{m}\s*/\s*0?{d}\s*/\s*{y}(?!\d)"
    )
    if re.search(numeric, text):
        return True
    month = "|".join(_MONTH_STEMS[m - 1])
    worded = (
        rf"(?<!\d)0?{d}(?:st|nd|rd|th|er|º)?\.?\s+(?:de\s+|of\s+)?(?:{month})\w*\.?,?\s+(?:de\s+)?{y}"
        rf"|\b(?:{month})\w*\.?\s+0?{d}(?:st|nd|rd|th)?,?\s+{y}(?!\d)"
    )
    return bool(re.search(worded, text, re.IGNORECASE))


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
        if (len(line) >= _PARAGRAPH_LINE and not _POSTED.match(line)) or "。" in line:
            break
        region.append(line)
    return (
        _first_labelled(region, strong_only=True)
        or _first_labelled(region, strong_only=False)
        or _first_unlabelled(region)
        or _first_labelled(before_title, strong_only=True)
        or _first_labelled(before_title, strong_only=False)
        or _timed_line(before_title[-1:])
    )


def _timed_line(lines: Sequence[str]) -> PublicationDate | None:
    """An unlabelled date with a time of day right above the body (``2005-07-18 13:03:17``):
    the date line of a page whose headline was not recognised as its title."""
    if not lines or not _CLOCK.search(_normalized(lines[0])):
        return None
    return _first_unlabelled(lines)


def date_from_labelled(lines: Iterable[str]) -> PublicationDate | None:
    """A date labelled 发布时间/发布日期 anywhere on the page (a last resort)."""
    return _first_labelled(
        [line for line in lines if len(line) < _PARAGRAPH_LINE or _POSTED.match(line)], True
    )


def date_from_info_bar(lines: Iterable[str]) -> PublicationDate | None:
    """The date of the article's info bar wherever it stands (old CMSs put it under the body:
    ``作者：X　点击数：123　更新时间：2005-7-18``): a short line with a hit counter or an entry
    label (更新时间, 录入时间) and a date, when the page has exactly one such line (a list of
    articles repeats its lines, an info bar is alone)."""
    bars = []
    for line in lines:
        if len(line) >= _PARAGRAPH_LINE or "。" in line or "，" in line:
            continue
        text = _normalized(without_pinyin(line))
        if not (_COUNTER.search(text) or _ENTRY_LABEL.search(text)) or not _DATE.search(text):
            continue
        bars.append(line)
        if len(bars) > 1:
            return None
    if not bars:
        return None
    return _first_labelled(bars, strong_only=False) or _first_unlabelled(bars)


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
    for line in _with_cell_values(lines):
        text = _normalized(without_pinyin(line))
        for match in _date_matches(text):
            before = text[: match.start()]
            if (
                label.search(before[-12:])
                or _FORUM_LABEL.search(before[-30:])
                or _FIRST_FLOOR.search(before[-8:])
                or _POSTED_LABEL.search(before)
            ):
                parsed = _from_match(match)
                if parsed:
                    return parsed
    return None


def _with_cell_values(lines: Iterable[str]) -> list[str]:
    """The lines, a label standing alone (a table cell ``发布日期：``) joined to the next line (the
    next cell ``2005年07月18日``)."""
    lines = list(lines)
    return [
        f"{line} {lines[index + 1]}"
        if index + 1 < len(lines) and _LABEL_ONLY.match(line.strip())
        else line
        for index, line in enumerate(lines)
    ]


def _date_matches(text: str) -> list[re.Match[str]]:
    """Every full date in ``text`` in reading order: year first, month/day/year, English words."""
    patterns = (_DATE, _MDY, _TEXT_MDY, _TEXT_DMY) if _LATIN.search(text) else (_DATE, _MDY)
    return sorted(
        (match for pattern in patterns for match in pattern.finditer(text)),
        key=lambda match: match.start(),
    )


def _first_unlabelled(lines: Iterable[str]) -> PublicationDate | None:
    """A bare date standing apart in a short, prose-free line (``2024-11-04 | 来源：X``); a
    month/day/year one only when its order is plain (``07-19-2014``, not ``07-08-2014``)."""
    for line in lines:
        if len(line) > _META_LINE or "，" in line:
            continue
        text = _normalized(line)
        match = _DATE.search(text) or _MDY.search(text)
        if not match or len(text) - (match.end() - match.start()) > _UNLABELLED_SLACK:
            continue
        if _STANDS_APART.search(text[: match.start()]) and not _is_event_date(text, match):
            parsed = _from_match(match, plain_order=True)
            if parsed:
                return parsed
    return None


def _is_event_date(text: str, match: re.Match[str]) -> bool:
    """A headline's event date, not the page's: a period (``2004年12月11－12日``) or a date in
    brackets after a headline's words (``第四届中国城市论坛年会（2004年12月11日）``)."""
    if _PERIOD_END.match(text, match.end("d")):
        return True
    return bool(_HEADLINE_BRACKET.search(text[: match.start()]))


def _normalized(text: str) -> str:
    """ASCII digits for full-width ones and for dates in Chinese numerals."""
    text = text.translate(_DIGITS)
    if "年" in text:
        text = _CN_DATE.sub(_cn_date_digits, text)
    return text


def _cn_date_digits(match: re.Match[str]) -> str:
    year = match.group("y")
    if not year.isdigit():
        year = "".join(str(_CN_DIGIT[c]) for c in year)
    month, day = _cn_number(match.group("m")), _cn_number(match.group("d"))
    if month is None or day is None:
        return match.group(0)
    return f"{year}年{month}月{day}日"


def _cn_number(text: str) -> int | None:
    """1-31 in digits or Chinese numerals (七, 十, 十八, 二十, 三十一)."""
    if text.isdigit():
        return int(text)
    tens, ten, units = text.partition("十")
    digits = [_CN_DIGIT.get(part) for part in (tens, units) if part]
    if None in digits or len(tens) > 1 or len(units) > 1 or (not ten and tens and units):
        return None
    if not ten:
        value = _CN_DIGIT[tens]
    else:
        value = (_CN_DIGIT[tens] if tens else 1) * 10 + (_CN_DIGIT[units] if units else 0)
    return value if 1 <= value <= 31 else None


def _from_match(match: re.Match[str], *, plain_order: bool = False) -> PublicationDate | None:
    """The date (and time) of a match of ``_DATE``, ``_MDY`` or ``_TEXT_*``. A month/day/year
    whose first part is over 12 is day/month/year; with ``plain_order`` an order that could be
    either (``07-08-2014``) gives None."""
    groups = match.groupdict()
    if groups.get("mn"):
        month = _MONTH_NAMES.index(groups["mn"].lower()) + 1
        day_number = int(match.group("d"))
    else:
        month, day_number = int(match.group("m")), int(match.group("d"))
        if groups.get("sep"):
            if month > 12:
                month, day_number = day_number, month
            elif plain_order and day_number <= 12:
                return None
    day = _valid_day(match.group("y"), str(month), str(day_number))
    if day is None:
        return None
    hour = match.group("H")
    meridiem = (match.group("ap") or "").lower().replace(".", "")
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
    if clock in _PLACEHOLDER_CLOCKS and not zone:
        return PublicationDate(day)
    tz = _zone(zone) if zone else CHINA_TZ
    stamp = datetime.combine(day, clock, tzinfo=tz)
    # the day is the calendar day the page states (in its own zone), the instant is exact
    in_utc = bool(zone) and not tz.utcoffset(None)
    return PublicationDate(day, stamp.astimezone(UTC), in_utc)


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
