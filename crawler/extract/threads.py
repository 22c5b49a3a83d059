"""Comment threads and multi-post pages: the parts of a page that are not the post it is about.

Pure (lxml only); reads no settings; the class/id tokens of comment sections and the reply markers
live in ``crawler/data/boilerplate.yaml`` (``comment_tokens``, ``reply_starts``). The extraction
stage runs ``drop_replies`` on the tree before it chooses the article's container, so that no
comment thread (however long), no other post of a blog page and no reply of a forum thread can be
taken for the body:

- comment sections: elements whose class or id names comments (``comments``, ``commentform``,
  ``feedbackItem``, ``allComm``, ``SG_revert_Cont``, ``pinglun`` ...), unless they hold the
  title's heading (or, when it was not found, half the page's text);
- repeated posts: two or more sibling elements of one shape (tag, first class without digits:
  phpwind's opening floor ``t t2`` among its replies ``t``), each a post: a byline line (a name
  or marker beside a date with a time of day, or a date after a posting marker: ``王强
  2006-05-12 16:02``, ``发表于 2008-4-12``) and text of its own on other lines. The post holding
  the title's heading is the one the page is about; without it, the first post is (a forum
  thread's opening post) unless it is itself a reply (``# re:``, ``回复:``): then none is. A
  removed post's date header (a blog's day heading) goes with it.

``poster_line`` names the poster of a kept post whose name stands in a cell of its own (a table
forum's floor: name, floor label and counters left, ``发表于: …`` and the text right).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from functools import lru_cache
from itertools import islice
from typing import NamedTuple

from lxml.html import HtmlElement

from crawler.analyze.script import HAN
from crawler.extract import xpaths
from crawler.extract.boilerplate import Patterns, get_patterns
from crawler.extract.dates import is_date_only

LinesOf = Callable[[HtmlElement], list[str]]

_TOKEN_SPLIT = re.compile(r"[\s_\-]+")
_CAMEL_PART = re.compile(r"[A-Z]?[a-z]+|[A-Z]+(?![a-z])|\d+")
_DAY = r"(?:19|20)\d{2}\s*[-/.年]\s*\d{1,2}\s*[-/.月]\s*\d{1,2}\s*日?"
# a posting time: a date with a time of day, or a date after a posting marker
_DATE_TIME = re.compile(
    rf"{_DAY}\s*\d{{1,2}}\s*[:：时]\s*\d{{2}}"
    rf"|(?:发表于|发布于|发贴于|发帖于|posted\s+(?:on|@)|本[贴帖]由\s*\S{{1,20}}\s*于)\s*[:：]?\s*{_DAY}",
    re.IGNORECASE,
)
_LETTERS = re.compile(f"[{HAN}A-Za-z]")
_DIGITS = re.compile(r"\d+")
_BYLINE_MIN_EXTRA = 2  # chars besides the date and time on a byline (a name, 发表于)
_BYLINE_MAX = 80  # chars; a longer line is prose that mentions a time
_POST_LETTERS = 10  # letters a post holds outside its byline
_PREFIX_TOKEN = 5  # a comment token this long also matches as a prefix (commentform)
_ANCESTOR_LEVELS = 8  # ancestors of a byline searched for the post that holds it
_HOLDS_PAGE = 0.5  # without the title's heading, an element with this share of the text stays
_POSTER_LINES = 3  # lines of a poster cell searched for the name ...
_POSTER_MAX = 20  # ... a line no longer than this
_FLOOR_LABEL = re.compile(
    r"^\s*(?:楼主|樓主|沙发|沙發|板凳|地板|\d{1,5}\s*[楼樓#]|#\s*\d{1,5})\s*$"
)


class Dropped(NamedTuple):
    """What ``drop_replies`` did: whether it removed anything, and the posts it kept among
    repeated ones (the page's own post)."""

    removed: bool
    own_posts: list[HtmlElement]


def drop_replies(
    tree: HtmlElement, title_element: HtmlElement | None, lines_of: LinesOf
) -> Dropped:
    """Remove comment sections and the posts that are not the page's own (see the module doc);
    ``title_element`` (the heading stating the title) and its ancestors are never removed.
    ``lines_of`` renders an element as a reader sees it, one line per block."""
    patterns = get_patterns()
    keep = (
        set(title_element.iterancestors()) | {title_element} if title_element is not None else set()
    )
    sections = _comment_sections(tree, patterns)
    page_letters = len(_LETTERS.findall(tree.text_content())) if sections and not keep else 0
    removed = False
    for element in sections:
        if element in keep or element.getparent() is None:
            continue
        if not keep and len(_LETTERS.findall(element.text_content())) >= _HOLDS_PAGE * page_letters:
            continue
        element.drop_tree()
        removed = True
    own: list[HtmlElement] = []
    for posts in _post_groups(tree, lines_of):
        kept = [post for post in posts if post in keep]
        if not kept and not _is_reply(posts[0], patterns, lines_of):
            kept = posts[:1]
        for post in posts:
            if post not in kept and post.getparent() is not None:
                _drop_post(post, lines_of)
                removed = True
        own.extend(post for post in kept if post.getparent() is not None)
    return Dropped(removed, own)


def poster_line(post: HtmlElement, lines_of: LinesOf) -> str | None:
    """A table forum's poster: the first short line, floor labels (楼主, 1楼) aside, of the
    post's first cell when that cell is beside the byline's (phpwind, dvbbs, Discuz: the
    name, the floor and counters on the left, ``发表于: …`` and the text on the right)."""
    cell = next(post.iter("td", "th"), None)
    if cell is None:
        return None
    lines = lines_of(cell)
    if not lines or any(_is_byline(line) for line in lines):
        return None
    for line in lines[:_POSTER_LINES]:
        if _FLOOR_LABEL.match(line):
            continue
        return line if len(line) <= _POSTER_MAX else None
    return None


def _drop_post(post: HtmlElement, lines_of: LinesOf) -> None:
    """Remove a post and the date header right before it (a blog's day heading)."""
    header = post.getprevious()
    if header is not None and isinstance(header.tag, str):
        lines = lines_of(header)
        if len(lines) == 1 and is_date_only(lines[0]):
            header.drop_tree()
    post.drop_tree()


@lru_cache(maxsize=4096)
def _names_comments(names: str, patterns: Patterns) -> bool:
    """Class and id names (``allComm``, ``comment-list``) that name a comment section."""
    for token in _TOKEN_SPLIT.split(names):
        parts = {token.lower(), *(part.lower() for part in _CAMEL_PART.findall(token))}
        for part in parts:
            if part in patterns.comment_tokens or any(
                len(word) >= _PREFIX_TOKEN and part.startswith(word)
                for word in patterns.comment_tokens
            ):
                return True
    return False


def _comment_sections(tree: HtmlElement, patterns: Patterns) -> list[HtmlElement]:
    """The outermost elements whose class or id names a comment section."""
    found = [
        element
        for element in xpaths.WITH_CLASS_OR_ID(tree)
        if element.tag not in ("html", "body")
        and _names_comments(f"{element.get('class', '')} {element.get('id', '')}", patterns)
    ]
    members = set(found)
    return [el for el in found if not any(a in members for a in el.iterancestors())]


def _post_groups(tree: HtmlElement, lines_of: LinesOf) -> Iterator[list[HtmlElement]]:
    """Groups of two or more sibling posts of one shape, outermost first."""
    children: dict[HtmlElement, dict[HtmlElement, None]] = {}
    for holder in _byline_holders(tree):
        child = holder
        for parent in islice(holder.iterancestors(), _ANCESTOR_LEVELS):
            if parent.tag in ("html",):
                break
            children.setdefault(parent, {})[child] = None  # an ordered set
            child = parent
    done: set[HtmlElement] = set()
    for parent, candidates in children.items():
        if len(candidates) < 2 or parent in done:
            continue
        shapes: dict[tuple[str, str], list[HtmlElement]] = {}
        for child in candidates:
            shape = (str(child.tag), _first_class(child))
            shapes.setdefault(shape, []).append(child)
        for group in shapes.values():
            letters = {child: _post_text(child, lines_of) for child in group}
            bylined = [child for child in group if letters[child] is not None]
            # a post: a byline line and this many letters on its other lines
            posts = [child for child in bylined if (letters[child] or 0) >= _POST_LETTERS]
            if len(posts) >= 2:
                # a reply too short to count as a post ('顶', '+1') goes with the others
                done.update(bylined)
                yield sorted(bylined, key=lambda post: parent.index(post))


def _first_class(element: HtmlElement) -> str:
    """The element's first class name without digits: a post's kind (``t`` of ``t t2``, the
    opening floor marked by a second class)."""
    names = element.get("class", "").split()
    return _DIGITS.sub("", names[0]) if names else ""


def _byline_holders(tree: HtmlElement) -> list[HtmlElement]:
    """Elements whose own text (or a child's tail) holds a date with a time of day."""
    holders: dict[HtmlElement, None] = {}  # an ordered set
    for text in xpaths.CLOCK_TEXTS(tree):
        if len(text) >= 10 and _DATE_TIME.search(text):
            parent = text.getparent()
            if parent is not None:
                holders[parent] = None
    return list(holders)


def _post_text(element: HtmlElement, lines_of: LinesOf) -> int | None:
    """Letters outside the element's byline line; None without a byline line."""
    lines = lines_of(element)
    byline = next((line for line in lines if _is_byline(line)), None)
    if byline is None:
        return None
    return sum(len(_LETTERS.findall(line)) for line in lines if line is not byline)


def _is_byline(line: str) -> bool:
    match = _DATE_TIME.search(line)
    if match is None or len(line) > _BYLINE_MAX:
        return False
    return len(line.replace(match.group(0), "").strip(" |:：()（）-")) >= _BYLINE_MIN_EXTRA


def _is_reply(post: HtmlElement, patterns: Patterns, lines_of: LinesOf) -> bool:
    lines = lines_of(post)
    return bool(lines) and any(patterns.reply_start.match(line) for line in lines[:2])
