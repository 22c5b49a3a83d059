"""A generated news column for ``HostileSite``: many articles over list pages chained by 下一页.

``PagedColumn(count, per_page)`` serves ``/news/index.html`` (newest first), ``/news/index_1.html``
and so on, each listing ``per_page`` TRS-style article links (``/news/202407/t20240726_<n>.html``)
and linking the next page by 下一页 (the last page links none). Pages are small so a crawl is
quick. ``failing`` maps article paths to the status they answer instead of the page (e.g. 500)
until the test removes them.
"""

from __future__ import annotations

from collections.abc import Mapping

from tests.faults.hostile import Handler, Reply, Request, html

ROBOTS = "User-agent: *\nDisallow:\n"


class PagedColumn:
    """``count`` articles, ``per_page`` per list page, under ``/news/``."""

    def __init__(self, count: int, per_page: int) -> None:
        self.count = count
        self.per_page = per_page
        self.failing: dict[str, int] = {}

    @property
    def start_path(self) -> str:
        return "/news/index.html"

    @property
    def pages(self) -> int:
        return -(-self.count // self.per_page)

    def list_path(self, page: int) -> str:
        """The path of list page ``page`` (1-based)."""
        return self.start_path if page == 1 else f"/news/index_{page - 1}.html"

    def article_path(self, index: int) -> str:
        """The path of article ``index`` (0 is the newest)."""
        return f"/news/202407/t20240726_{100000 + self.count - index}.html"

    def article_paths(self) -> list[str]:
        return [self.article_path(i) for i in range(self.count)]

    def page_of(self, index: int) -> int:
        return index // self.per_page + 1

    def routes(self) -> Mapping[str, Handler]:
        return {"/robots.txt": self._robots, "/news/*": self._serve}

    def _robots(self, request: Request) -> Reply:
        return Reply(body=ROBOTS.encode(), content_type="text/plain")

    def _serve(self, request: Request) -> Reply:
        lists = {self.list_path(page): page for page in range(1, self.pages + 1)}
        if request.path in lists:
            return html(self._list_page(lists[request.path]))
        articles = {path: index for index, path in enumerate(self.article_paths())}
        if request.path not in articles:
            return html("<html><body>not found</body></html>", status=404)
        if request.path in self.failing:
            return html("<html><body>busy</body></html>", status=self.failing[request.path])
        return html(_article_page(articles[request.path]))

    def _list_page(self, page: int) -> str:
        first = (page - 1) * self.per_page
        items = "\n".join(
            f'<li><a href="{self.article_path(i)}">关于第{i}号城市发展论坛筹备工作的情况通报</a>'
            f"<span>2024-07-26</span></li>"
            for i in range(first, min(first + self.per_page, self.count))
        )
        pager = (
            f'<a href="{self.list_path(page + 1)}">下一页</a>'
            if page < self.pages
            else "<span>尾页</span>"
        )
        return (
            f"<html><head><meta charset='utf-8'><title>新闻动态 第{page}页</title></head><body>"
            f'<div class="main"><ul class="news-list">{items}</ul>'
            f'<div class="pages">{pager}</div></div></body></html>'
        )


def _article_page(index: int) -> str:
    paragraph = (
        f"第{index}号通报：城市发展论坛筹备工作有序推进，各有关单位围绕会议议程、嘉宾邀请、"
        f"会场布置和安全保障等方面开展了大量工作，编号{index}。"
    )
    body = "".join(f"<p>{paragraph}</p>" for _ in range(4))
    return (
        f"<html><head><meta charset='utf-8'><title>第{index}号通报</title></head><body>"
        f"<h1>关于第{index}号城市发展论坛筹备工作的情况通报</h1>"
        f"<div class='info'>发布时间：2024-07-26 09:00 来源：市政府办公室</div>"
        f"<div class='article-content'>{body}</div></body></html>"
    )
