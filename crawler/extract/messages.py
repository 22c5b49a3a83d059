"""Login and error pages: what a person keeps of them is their message, never their menus.

Pure; reads no settings; the patterns live in ``crawler/data/boilerplate.yaml``
(``message_page_titles``, ``missing_page_lines``, ``message_lines``). A page is a message page when
its whole title says so (``用户登录``, ``页面不存在``, ``404 Not Found``, ``系统提示``), or when no article
was found on it and it has a password field or says the page is missing; its text is then the lines
that state the message (``您访问的页面不存在或已被删除！``, ``您尚未登录或登录已超时，请登录后继续访问。``),
and it has no publication date, author or origin. A page with a message title and no such line
has no text.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from crawler.analyze.script import HAN
from crawler.extract.boilerplate import get_patterns

_MAX_MESSAGE = 120  # chars; a longer line is prose, not a page's message
_MIN_LETTERS = 6  # a message is a sentence, not a menu item
_LETTERS = re.compile(f"[{HAN}A-Za-z]")
_SPACES = re.compile(r"\s+")


def is_message_page(title: str | None) -> bool:
    """The title, as a whole, names a login, error or notice page."""
    return bool(title) and bool(
        get_patterns().message_title.fullmatch(_SPACES.sub(" ", title or ""))
    )


def is_missing_page(page_lines: Sequence[str]) -> bool:
    """A line of the page says the page asked for is missing (``您访问的页面不存在或已被删除``):
    read only on a page where no article was found."""
    pattern = get_patterns().missing_page
    return any(len(line) <= _MAX_MESSAGE and pattern.search(line) for line in page_lines)


def message_lines(page_lines: Sequence[str], title: str | None) -> list[str]:
    """The lines of a message page that state its message, once each, in page order."""
    pattern = get_patterns().message_line
    squashed_title = _SPACES.sub("", title or "")
    found: list[str] = []
    for line in page_lines:
        if (
            len(line) <= _MAX_MESSAGE
            and len(_LETTERS.findall(line)) >= _MIN_LETTERS
            and _SPACES.sub("", line) != squashed_title
            and pattern.search(line)
            and line not in found
        ):
            found.append(line)
    return found
