"""Whether a block beside the article is a sidebar rather than more of the article.

The densest-block scorer (``crawler.extract.extraction``) widens its block to the parent while
the parent holds markedly more paragraph text (an article split over sibling wrappers). The
parent's other children that are sidebars do not count: a column or box named as one (``side``,
``right``, ``hot``, ``rank`` ..., ``<aside>``), a link list, a column narrower than the article's
by its stated width, a box that opens with its own short heading while the article does not
(``<h4>都市圈简介</h4>``, ``<b>热点新闻</b>``), a list of short lines without sentences beside
paragraphs (a 2005-era ``td|td`` layout's 热点新闻 column), or a block the title's heading
separates from the article (a sidebar before the title box). Pure; reads no settings.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from lxml.html import HtmlElement

# class/id tokens (camelCase parts count) of a page's side boxes and side columns: the boxes'
# names say what they hold; a column's name says only where it stands (the article's own column
# may be the left or the right one, so those say nothing of a heading inside them)
SIDE_BOX_TOKENS = frozenset(
    {
        "side", "sidebar", "sider", "aside", "related", "relate", "xgxw", "xgwz", "hot", "hots",
        "rank", "ranking", "paihang", "phb", "redian", "rdxw", "remen", "rmxw", "recommend",
        "tuijian", "rside", "lside",
    }
)  # fmt: skip
SIDE_COLUMN_TOKENS = frozenset({"right", "left", "r", "l", "fr", "fl"})
_HEADING_TAGS = frozenset(
    {"h1", "h2", "h3", "h4", "h5", "h6", "b", "strong", "th", "dt", "caption"}
)
_HEADING_CLASS = re.compile(r"tit|head|hd|biaoti|lanmu|lm|bt", re.IGNORECASE)
_TOKEN_SPLIT = re.compile(r"[\s_\-]+|(?<=[a-z])(?=[A-Z])")
_WIDTH = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(px|%)?\s*$", re.IGNORECASE)
_STYLE_WIDTH = re.compile(r"(?:^|;)\s*width\s*:\s*(\d+(?:\.\d+)?)\s*(px|%)", re.IGNORECASE)
_SENTENCE_END = re.compile(r"[。！？；!?;]")
_NUMBERED = re.compile(
    r"^\s*(?:[一二三四五六七八九十]+[、.．]|[（(][一二三四五六七八九十\d]+[)）]|\d+[、.．]|第)"
)
_WORD = re.compile(r"\w")
_MAX_LINK_SHARE = 0.4  # a block whose linked words exceed this share is a link list
_BOX_HEADING = 12  # chars: a box's own heading (热点新闻, 都市圈简介) is at most this long
_SHORT_LINE = 30  # chars: a list item's line (a headline) is at most this long ...
_MIN_LIST_LINES = 4  # ... and a list holds this many lines ...
_LIST_SHARE = 0.75  # ... this share of them short and without a sentence end
_MIN_LIST_LINKS = 2  # a list under a heading links this many headlines ...
_HEADLINE_LINK = 9  # ... each with this many word characters (a share button's name is shorter)
_MIN_CELLS = 2  # a table row with this many text cells makes a data table, not a list column


def is_sidebar(
    sibling: HtmlElement,
    article: HtmlElement,
    title_heading: HtmlElement | None,
    render: Callable[[HtmlElement], list[str]],
) -> bool:
    """``sibling`` (a child of ``article``'s parent) is a sidebar beside ``article``: named as
    one, a link list, narrower by its stated width, a box under its own heading, a list of short
    lines, or separated from ``article`` by the title's heading. ``render`` gives an element's
    rendered lines."""
    return (
        _named_sidebar(sibling)
        or _link_list(sibling)
        or _separated_by_title(sibling, article, title_heading)
        or _narrower(sibling, article)
        or _headed_box(sibling, article, render)
        or _short_line_list(sibling, article, render)
    )


def in_side_box(
    element: HtmlElement, *, in_lists: bool = False, article: HtmlElement | None = None
) -> bool:
    """``element`` is or sits in a box named as a side box (``<aside>``, ``.related``,
    ``#hotNews`` ...) that does not hold ``article``, or with ``in_lists`` in a list's item or
    under a list's heading: a heading there titles another page, a block there is not the
    article. (A wrapper of the whole layout, ``<body class="has-sidebar">``, is no box.)"""
    if in_lists and heads_list(element):
        return True
    side = ("aside", "li", "dd") if in_lists else ("aside",)
    for node in (element, *element.iterancestors()):
        if node.tag in ("body", "html") or (article is not None and _holds(node, article)):
            return False
        if node.tag in side or _named(node, SIDE_BOX_TOKENS):
            return True
    return False


def heads_list(heading: HtmlElement) -> bool:
    """The element after ``heading`` (its own, or its parent's when it stands alone in a title
    bar) is a list of linked headlines: ``<h2>通知公告</h2><ul>…``, not a byline's link or a
    row of share buttons."""
    for node in (heading, heading.getparent()):
        if node is None:
            return False
        following = node.getnext()
        if following is not None:
            listed = following.tag in ("ul", "ol", "dl", "table") or any(
                True for _ in following.iter("li", "tr")
            )
            return (
                listed and _link_list(following) and _linked_headlines(following) >= _MIN_LIST_LINKS
            )
        if node is not heading:
            return False
    return False


def _linked_headlines(element: HtmlElement) -> int:
    return sum(
        len(_WORD.findall(link.text_content())) >= _HEADLINE_LINK for link in element.iter("a")
    )


def _holds(node: HtmlElement, article: HtmlElement) -> bool:
    return node is article or any(ancestor is node for ancestor in article.iterancestors())


def _named_sidebar(element: HtmlElement) -> bool:
    return element.tag == "aside" or _named(element, SIDE_BOX_TOKENS | SIDE_COLUMN_TOKENS)


def _named(element: HtmlElement, tokens: frozenset[str]) -> bool:
    names = f"{element.get('class', '')} {element.get('id', '')}"
    return any(token.lower() in tokens for token in _TOKEN_SPLIT.split(names) if token)


def _link_list(element: HtmlElement) -> bool:
    total = len(_WORD.findall(element.text_content()))
    linked = sum(len(_WORD.findall(link.text_content())) for link in element.iter("a"))
    return total > 0 and linked > total * _MAX_LINK_SHARE


def _separated_by_title(
    sibling: HtmlElement, article: HtmlElement, title_heading: HtmlElement | None
) -> bool:
    """The title's heading stands between the two (in a child of their parent between them)."""
    parent = article.getparent()
    if title_heading is None or parent is None:
        return False
    branch = next(
        (
            node
            for node in (title_heading, *title_heading.iterancestors())
            if node.getparent() is parent
        ),
        None,
    )
    if branch is None or branch is sibling or branch is article:
        return False
    index = parent.index
    return min(index(sibling), index(article)) < index(branch) < max(index(sibling), index(article))


def _narrower(sibling: HtmlElement, article: HtmlElement) -> bool:
    """Both state a width in one unit and the sibling's is the smaller."""
    mine, theirs = _stated_width(article), _stated_width(sibling)
    return mine is not None and theirs is not None and mine[1] == theirs[1] and theirs[0] < mine[0]


def _stated_width(element: HtmlElement) -> tuple[float, str] | None:
    match = _STYLE_WIDTH.search(element.get("style") or "") or _WIDTH.match(
        element.get("width") or ""
    )
    if not match:
        return None
    return float(match.group(1)), (match.group(2) or "px").lower()


def _headed_box(
    sibling: HtmlElement, article: HtmlElement, render: Callable[[HtmlElement], list[str]]
) -> bool:
    """The sibling opens with its own short heading (not a numbered section heading) and the
    article does not."""
    lines = render(sibling)
    if len(lines) < 2 or not _opens_with_heading(sibling, lines[0]):
        return False
    first = render(article)[:1]
    return not (first and _opens_with_heading(article, first[0]))


def _opens_with_heading(element: HtmlElement, first_line: str) -> bool:
    if len(first_line) > _BOX_HEADING or _NUMBERED.match(first_line):
        return False
    if _SENTENCE_END.search(first_line) or first_line[-1:] in "，,：:":
        return False
    for node in element.iter():
        if not isinstance(node.tag, str) or not (node.text or "").strip():
            continue
        # the first element with text: it or an ancestor inside ``element`` sets the heading
        for holder in (node, *node.iterancestors()):
            if holder.tag in _HEADING_TAGS or _HEADING_CLASS.search(
                f"{holder.get('class', '')} {holder.get('id', '')}"
            ):
                return True
            if holder is element:
                break
        return False
    return False


def _short_line_list(
    sibling: HtmlElement, article: HtmlElement, render: Callable[[HtmlElement], list[str]]
) -> bool:
    """The sibling is a list of short lines without sentences (headlines), the article is not,
    and the sibling is no data table (rows of several text cells)."""
    if not _is_list(render(sibling)) or _is_list(render(article)):
        return False
    for row in sibling.iter("tr"):
        cells = [cell for cell in row if cell.tag in ("td", "th") and cell.text_content().strip()]
        if len(cells) >= _MIN_CELLS:
            return False
    return True


def _is_list(lines: list[str]) -> bool:
    if len(lines) < _MIN_LIST_LINES:
        return False
    short = [line for line in lines if len(line) <= _SHORT_LINE and not _SENTENCE_END.search(line)]
    return len(short) >= len(lines) * _LIST_SHARE
