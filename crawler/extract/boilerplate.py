"""Line-level cleanup of extracted article text: breadcrumbs, meta lines, widgets, related lists,
disclaimers, footers and trailing navigation.

Reads no settings; its patterns live in ``crawler/data/boilerplate.yaml`` (the file people tune),
compiled once into a module-level cache; ``reset_patterns()`` drops the cache (tests, live edits).
The DOM stage picks the article's container; this stage removes what the container still holds.
Rules are general (labels, markers, line shapes), never site-specific.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from crawler.analyze.script import without_pinyin
from crawler.datafiles import DATA_DIR
from crawler.extract.dates import starts_with_date

PATTERNS_FILE = DATA_DIR / "boilerplate.yaml"

_WORD = re.compile(r"\w")
_SPACES = re.compile(r"\s+")
# C0 controls and DEL (ESC, BEL... from character references such as ``&#27;``). C1 controls stay
# until the analysis stage: they are part of Latin-1 mojibake that the repair reads back.
_C0 = re.compile(r"[\x00-\x08\x0e-\x1b\x7f]")
_REPLACEMENT = "\ufffd"
_COLON = r"\s*[:：]"
_SLASH = r"\s*[/／]\s*[^\s/／]"  # a credit's label and its value: 摄影/张艳, 编辑／苏芳
_HEAD_LINES = 3  # lines at the start of a text where weak meta lines and bare dates are dropped
_SHORT_META = 60  # a line starting with a meta label and at most this long is a meta line
_MARKER_TAIL = r"(?:\s*[:：>》»]+|\s*(?:更多|more|MORE)\s*[>》»]*)?"
_BODY_LINE = 20  # chars; a line this long counts as article body before a cut marker
_CRUMB_TAIL = re.compile(r"\s*[:：]")
_CRUMB_SEPARATORS = (">", "»", "›", "→", "＞", "首页", "/")
_EDITOR_AFTER = 2  # body lines before an editor's credit for it to end the article
# a law's or a resolution's adoption note under its title: （2007年6月29日…会议通过）
_ADOPTION_NOTE = re.compile(r"^[（(].{6,}(?:通过|公布|批准|修正|修订|施行|发布)[）)]$")
# a path from the home page: 首页 - 新闻动态, 首页 > 要闻 > 正文, 网站首页/通知公告
_HOME_PATH = re.compile(r"^\s*(?:网站首页|首页|主页|Home|HOME)\s*(?:[-–—>»›→/＞|｜]|&gt;)")
_PARAGRAPH = 50  # chars; a footer line followed by a line this long is not the page footer


@dataclass(frozen=True, eq=False)  # hashed by identity: a cache key (threads)
class Patterns:
    """Compiled boilerplate patterns (see boilerplate.yaml for what each one is)."""

    breadcrumb: re.Pattern[str]
    meta_any: re.Pattern[str]
    meta_start: re.Pattern[str]
    credit_any: re.Pattern[str]
    credit_start: re.Pattern[str]
    editor_start: re.Pattern[str]
    weak_start: re.Pattern[str]
    labelled_date: re.Pattern[
        str
    ]  # a full date after a meta label standing alone (时间：2020-12-04)
    origin: re.Pattern[str]
    author: re.Pattern[str]
    editor: re.Pattern[str]
    widgets: re.Pattern[str]
    cut_marker: re.Pattern[str]
    cut: re.Pattern[str]
    footer: re.Pattern[str]
    contact: re.Pattern[str]
    drop: re.Pattern[str]
    trailing: re.Pattern[str]
    attachment_extensions: frozenset[str]
    attachment_link: re.Pattern[str]  # cheap pre-filter of hrefs for the extensions above
    chrome_tokens: frozenset[str]
    comment_tokens: frozenset[str]
    reply_start: re.Pattern[str]
    message_title: re.Pattern[str]
    byline: re.Pattern[str]
    message_line: re.Pattern[str]
    missing_page: re.Pattern[str]
    site_suffix: re.Pattern[str]
    channel_suffix: re.Pattern[str]


_PATTERNS: Patterns | None = None


def get_patterns() -> Patterns:
    """The compiled patterns, loaded from the YAML file on first use."""
    global _PATTERNS
    if _PATTERNS is None:
        _PATTERNS = load_patterns(PATTERNS_FILE)
    return _PATTERNS


def reset_patterns() -> None:
    """Forget the cached patterns; the next ``get_patterns()`` reads the file again."""
    global _PATTERNS
    _PATTERNS = None


def load_patterns(path: Path) -> Patterns:
    """Read and compile one boilerplate YAML file."""
    data: dict[str, Any] = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    strong = _words(data, "meta_labels")
    all_labels = _alternation(strong + _words(data, "weak_meta_labels"))
    multi_char = _alternation([label for label in strong if len(label) > 1])
    return Patterns(
        breadcrumb=re.compile(_alternation(_words(data, "breadcrumb_markers"))),
        meta_any=re.compile(f"(?:{multi_char}){_COLON}"),
        meta_start=re.compile(rf"^[\[【（(]?\s*(?:{_alternation(strong)}){_COLON}"),
        credit_any=re.compile(f"(?:{multi_char}){_SLASH}"),
        credit_start=re.compile(rf"^[\[【（(]?\s*(?:{_alternation(strong)}){_SLASH}"),
        editor_start=re.compile(
            rf"^[\[【（(]?\s*(?:{_alternation(_words(data, 'editor_labels'))}){_COLON}"
        ),
        weak_start=re.compile(
            rf"^[\[【（(]?\s*(?:{_alternation(_words(data, 'weak_meta_labels'))}){_COLON}"
        ),
        labelled_date=re.compile(
            rf"(?<![\u4e00-\u9fff])(?:{all_labels}){_COLON}\s*(?:19|20)\d{{2}}\s*[-/.年]\s*\d{{1,2}}\s*[-/.月]\s*\d"
        ),
        origin=_value_pattern(_words(data, "origin_labels"), all_labels),
        author=_value_pattern(_words(data, "author_labels"), all_labels),
        editor=_value_pattern(_words(data, "editor_labels"), all_labels),
        widgets=_union(data, "widget_patterns"),
        cut_marker=re.compile(
            rf"^[【\[]?\s*(?:{_alternation(_words(data, 'cut_markers'))})\s*[】\]]?{_MARKER_TAIL}$"
        ),
        cut=_union(data, "cut_patterns"),
        footer=_union(data, "footer_patterns"),
        contact=_union(data, "contact_patterns"),
        drop=_union(data, "drop_patterns"),
        trailing=_union(data, "trailing_patterns"),
        attachment_extensions=frozenset(w.lower() for w in _words(data, "attachment_extensions")),
        attachment_link=re.compile(
            rf"\.(?:{'|'.join(map(re.escape, _words(data, 'attachment_extensions'))) or '(?!)'})"
            r"(?=$|[?#&/])",
            re.IGNORECASE,
        ),
        chrome_tokens=frozenset(w.lower() for w in _words(data, "dom_chrome_tokens")),
        comment_tokens=frozenset(w.lower() for w in _words(data, "comment_tokens")),
        reply_start=re.compile(
            rf"^\s*#?\s*(?:{_alternation(_words(data, 'reply_starts'))})\s*[:：]", re.IGNORECASE
        ),
        message_title=re.compile(
            "|".join(f"(?:{p})" for p in _words(data, "message_page_titles")) or "(?!)",
            re.IGNORECASE,
        ),
        message_line=re.compile(
            "|".join(f"(?:{p})" for p in _words(data, "message_lines")) or "(?!)", re.IGNORECASE
        ),
        missing_page=re.compile(
            "|".join(f"(?:{p})" for p in _words(data, "missing_page_lines")) or "(?!)",
            re.IGNORECASE,
        ),
        byline=re.compile(
            "|".join(f"(?:{p})" for p in _words(data, "byline_patterns")) or "(?!)", re.IGNORECASE
        ),
        site_suffix=re.compile(f"(?:{_alternation(_words(data, 'site_name_suffixes'))})$"),
        channel_suffix=re.compile(f"(?:{_alternation(_words(data, 'channel_name_suffixes'))})$"),
    )


def _words(data: dict[str, Any], key: str) -> list[str]:
    return [str(word) for word in data.get(key) or [] if str(word).strip()]


def _alternation(words: Iterable[str]) -> str:
    """Regex alternation of literal words, longest first, tolerant of spaces between chars."""
    unique = sorted(set(words), key=len, reverse=True)
    return "|".join(r"\s*".join(re.escape(char) for char in word) for word in unique) or "(?!)"


def _union(data: dict[str, Any], key: str) -> re.Pattern[str]:
    patterns = _words(data, key)
    return re.compile("|".join(f"(?:{pattern})" for pattern in patterns) or "(?!)")


def _value_pattern(labels: list[str], all_labels: str) -> re.Pattern[str]:
    """``LABEL: value`` where the value ends at a wide gap, the next label, a bar or the end."""
    return re.compile(
        rf"(?:{_alternation(labels)}){_COLON}\s*(?P<value>.*?)"
        rf"(?=\s{{2,}}|\s*(?:{all_labels}){_COLON}|\s*[|丨｜】\]）)]|$)"
    )


def label_view(line: str) -> str:
    """The line as label patterns should see it: pinyin readings removed (``發(fā)布時間``)."""
    return without_pinyin(line)


def normalize_line(line: str) -> str:
    """Collapse whitespace runs (ideographic and no-break spaces too), drop U+FFFD and C0
    control characters, strip."""
    if _REPLACEMENT in line:
        line = line.replace(_REPLACEMENT, "")
    return _SPACES.sub(" ", _C0.sub("", line)).strip()


def is_meta_line(line: str, position: int = _HEAD_LINES) -> bool:
    """True for a publication meta line (发布时间/来源/作者/浏览次数 ...) rather than body.

    ``position`` is the line's index among the kept lines: weak labels (时间/日期), bare dates and
    a labelled date after other words count as metadata only at the head of the text.
    """
    view = label_view(line)
    if "。" in view or len(view) > 200:
        return False
    patterns = get_patterns()
    labels = len(patterns.meta_any.findall(view))
    if labels >= 2:
        return True
    if len(view) <= _SHORT_META and (
        patterns.meta_start.search(view)
        or patterns.credit_start.search(view)
        or labels + len(patterns.credit_any.findall(view)) >= 2
    ):
        return True
    if position < _HEAD_LINES and len(view) <= _SHORT_META and "，" not in view:
        if _ADOPTION_NOTE.match(view):
            return False  # （2007年6月29日…会议通过）: part of the document, not its dateline
        # a meta line may open with the site's name (中国证监会 www.csrc.gov.cn 时间：2020-12-04)
        return bool(
            patterns.weak_start.search(view)
            or starts_with_date(view)
            or patterns.labelled_date.search(view)
        )
    return False


def clean_lines(lines: Sequence[str]) -> list[str]:
    """Drop boilerplate lines of an article's text; cut at related lists, disclaimers, footers."""
    patterns = get_patterns()
    kept: list[str] = []
    for raw in lines:
        line = _strip_line(raw, patterns)
        if line and _ends_with_editor(line, kept, patterns):
            break
        if not line or is_meta_line(line, len(kept)) or patterns.drop.search(line):
            continue
        if _ends_article(line, patterns):
            if any(len(previous) >= _BODY_LINE for previous in kept):
                break
            continue
        kept.append(line)
    return _trim_trailing(_cut_footer(kept, patterns), patterns)


def _strip_line(raw: str, patterns: Patterns) -> str:
    """Remove widgets and breadcrumbs from one line; '' when nothing worth keeping remains."""
    line = normalize_line(raw)
    if not line:
        return ""
    if patterns.widgets.search(line):
        line = normalize_line(patterns.widgets.sub(" ", line))
    crumb = patterns.breadcrumb.search(line)
    if crumb and _is_breadcrumb(line[crumb.end() :]):
        line = line[: crumb.start()].strip()
    return line if _WORD.search(line) else ""


def is_breadcrumb_path(text: str) -> bool:
    """A breadcrumb path from the home page (``首页 - 新闻动态``, ``首页 > 要闻 > 正文``), which
    some pages set as a heading: never a headline."""
    return bool(_HOME_PATH.match(text))


def _is_breadcrumb(after_marker: str) -> bool:
    """What follows a breadcrumb marker: a colon, or a path with separators / 首页."""
    return bool(_CRUMB_TAIL.match(after_marker)) or (
        len(after_marker) <= 150 and any(sep in after_marker for sep in _CRUMB_SEPARATORS)
    )


def _ends_with_editor(line: str, kept: Sequence[str], patterns: Patterns) -> bool:
    """An editor's credit (责任编辑：…) after paragraphs of the article: what follows it is the
    page's (a reprint's promoted teaser, a portal's footer), not the article's."""
    return bool(
        len(line) <= _SHORT_META
        and patterns.editor_start.match(label_view(line))
        and sum(len(previous) >= _BODY_LINE for previous in kept) >= _EDITOR_AFTER
    )


def is_boilerplate_line(line: str, patterns: Patterns) -> bool:
    """A line ``clean_lines`` drops (a widget, a drop pattern) or cuts the article at."""
    return bool(
        patterns.drop.search(line) or patterns.widgets.search(line) or _ends_article(line, patterns)
    )


def _ends_article(line: str, patterns: Patterns) -> bool:
    """A related-list / sidebar heading or a disclaimer: nothing after it is the article."""
    view = label_view(line)
    return bool(patterns.cut_marker.match(view) or patterns.cut.search(view))


def _cut_footer(lines: list[str], patterns: Patterns) -> list[str]:
    """Cut at the first footer line that no paragraph follows; drop other footer lines."""
    kept: list[str] = []
    for index, line in enumerate(lines):
        if len(line) < 200 and patterns.footer.search(line):
            if all(len(after) < _PARAGRAPH for after in lines[index + 1 :]):
                break
            continue
        kept.append(line)
    return kept


def _trim_trailing(lines: list[str], patterns: Patterns) -> list[str]:
    """Pop trailing navigation bullets, contact lines and footers."""
    while lines:
        last = lines[-1]
        if not (
            patterns.trailing.search(last)
            or patterns.contact.search(last)
            or patterns.footer.search(last)
        ):
            break
        lines.pop()
    return lines
