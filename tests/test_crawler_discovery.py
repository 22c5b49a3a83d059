"""Link discovery on list pages shaped like real Chinese government CMS pages."""

from __future__ import annotations

import pytest

from crawler.discover.links import (
    LinkReport,
    article_score,
    discover,
    filter_listed_urls,
    find_next_page,
    parse_html,
)

BASE = "http://www.example.gov.cn/xwzx/gzdt/index.html"

CHROME = """
<div class="header"><a href="/">首页</a><a href="/about.html">关于我们</a></div>
<ul class="nav"><li><a href="/xwzx/">新闻中心</a></li><li><a href="/zwgk/">政务公开</a></li>
<li><a href="/xwzx/2024-11/05/content_999.htm">导航里的一篇很长的置顶新闻标题文字</a></li></ul>
<div id="position">当前位置：<a href="/">首页</a> &gt; <a href="/xwzx/">新闻中心</a></div>
"""
FOOTER = """
<div class="footer"><a href="/contact.html">联系我们</a><a href="/sitemap.html">网站地图</a>
<a href="http://www.beian.gov.cn/">京公网安备</a><a href="/map/index.html">站点地图</a></div>
"""


def _page(body: str) -> str:
    return f"<html><head><title>工作动态</title></head><body>{CHROME}{body}{FOOTER}</body></html>"


def test_trs_list_with_js_pager_finds_articles_only() -> None:
    items = "".join(
        f'<li><a href="./202408/t202408{20 + i}_{5678 + i}.html" title="全文标题">'
        f"第{i}届城市发展论坛在京召开会议纪要</a><span>2024-08-{20 + i}</span></li>"
        for i in range(5)
    )
    html = _page(
        f'<div class="list"><ul>{items}</ul></div>'
        '<div class="page"><script>createPageHTML(7, 0, "index", "html");</script></div>'
        '<div class="side"><a href="/zt/index.html">专题专栏</a></div>'
    )
    report = discover(parse_html(html), BASE)
    assert len(report.articles) == 5
    assert all("/xwzx/gzdt/202408/t2024082" in url for url in report.articles)
    assert report.next_page == "http://www.example.gov.cn/xwzx/gzdt/index_1.html"


def test_js_pager_on_last_page_has_no_next() -> None:
    html = _page('<script>createPageHTML(3, 2, "index", "shtml");</script>')
    assert find_next_page(parse_html(html), BASE, page_number=3) is None


def test_hanweb_art_links_and_next_page_text() -> None:
    items = "".join(
        f'<tr><td><a href="/art/2024/11/4/art_100_{3001 + i}.html">关于召开城市更新工作座谈会的通知{i}</a></td>'
        f"<td>2024-11-0{i + 1}</td></tr>"
        for i in range(4)
    )
    html = _page(
        f"<table class='tb'>{items}</table>"
        '<div><a href="/col/col100/index.html?uid=1&pageNum=2">下一页</a>'
        '<a href="/col/col100/index.html?uid=1&pageNum=9">尾页</a></div>'
    )
    report = discover(parse_html(html), "http://www.example.gov.cn/col/col100/index.html")
    assert [u.rsplit("_", 1)[1] for u in report.articles] == [
        "3001.html",
        "3002.html",
        "3003.html",
        "3004.html",
    ]
    assert report.next_page is not None and report.next_page.endswith("pageNum=2")


def test_numbered_pager_and_query_page() -> None:
    items = "".join(
        f'<li><a href="/show-{80 + i}.html">市长论坛开展对话交流共话新质生产力{i}</a></li>'
        for i in range(3)
    )
    html = _page(
        f'<ul class="newslist">{items}</ul>'
        '<div class="pages"><a href="/list-12.html?page=1">1</a><a href="/list-12.html?page=2">2</a>'
        '<a href="/list-12.html?page=3">3</a></div>'
    )
    root = parse_html(html)
    report = discover(root, "http://www.example.org.cn/list-12.html", page_number=1)
    assert len(report.articles) == 3
    assert report.next_page == "http://www.example.org.cn/list-12.html?page=2"
    second = find_next_page(root, "http://www.example.org.cn/list-12.html?page=2", page_number=2)
    assert second == "http://www.example.org.cn/list-12.html?page=3"


def test_dated_paths_attachments_and_other_sites() -> None:
    html = _page(
        '<div class="main"><ul>'
        '<li><a href="/xwzx/2017-11/23/content_88.htm">2017中国新型城市论坛荆门峰会综述</a></li>'
        '<li><a href="/xwzx/2017-11/22/content_87.htm">峰会筹备工作推进会召开</a></li>'
        '<li><a href="/upload/2017/plan.pdf">实施方案全文下载</a></li>'
        '<li><a href="http://www.other.com/2017-11/22/content_1.htm">其他网站的一篇报道标题</a></li>'
        "</ul></div>"
    )
    report = discover(parse_html(html), BASE)
    assert [u.rsplit("/", 1)[1] for u in report.articles] == ["content_88.htm", "content_87.htm"]
    assert report.attachments == [
        ("http://www.example.gov.cn/upload/2017/plan.pdf", "实施方案全文下载")
    ]


def test_override_css_and_regex() -> None:
    html = _page(
        '<div class="odd"><p><a href="/a/b/x.aspx?k=1">不规则链接一</a></p>'
        '<p><a href="/a/b/x.aspx?k=2">不规则链接二</a></p></div>'
    )
    root = parse_html(html)
    by_css = discover(root, BASE, article_links="div.odd a")
    assert [u[-3:] for u in by_css.articles] == ["k=1", "k=2"]
    by_regex = discover(root, BASE, article_links=r"re:x\.aspx\?k=2")
    assert [u[-3:] for u in by_regex.articles] == ["k=2"]


@pytest.mark.parametrize(
    ("url", "text", "positive"),
    [
        ("http://x.gov.cn/zwgk/202408/t20240820_5678.html", "城市更新", True),
        ("http://x.gov.cn/about.html", "关于我们", False),
        ("http://x.gov.cn/news/index.html", "新闻中心", False),
        ("http://x.gov.cn/detail.asp?id=123", "全国城投产业发展会议在杭州召开", True),
        ("http://x.gov.cn/zt/", "专题", False),
    ],
)
def test_article_score(url: str, text: str, positive: bool) -> None:
    assert (article_score(url, text) >= 3) is positive


def test_sitemap_urls_are_filtered_to_article_shapes() -> None:
    listed = [
        "http://x.cn/",
        "http://x.cn/about.html",
        "http://x.cn/list-12.html",
        "http://x.cn/index_2.html",
        "http://x.cn/show-88.html",
        "http://x.cn/xwzx/202411/t20241104_5678.html",
        "http://x.cn/art/2024/11/4/art_100_3001.html",
        "http://x.cn/news.php?id=1234",
        "http://x.cn/show-88.html#top",
    ]
    assert filter_listed_urls(listed) == [
        "http://x.cn/show-88.html",
        "http://x.cn/xwzx/202411/t20241104_5678.html",
        "http://x.cn/art/2024/11/4/art_100_3001.html",
        "http://x.cn/news.php?id=1234",
    ]
    assert filter_listed_urls(listed, r"re:/list-\d+") == ["http://x.cn/list-12.html"]


HOSTILE_HREFS = (
    "file:///etc/passwd",
    "data:text/html;base64,PGgxPnBhZ2U8L2gxPg==",
    "ftp://www.example.gov.cn/pub/t20240101_1.html",
    "s3://bucket/t20240101_2.html",
)


@pytest.mark.parametrize("selector", ["ul.hostile", "//ul[@class='hostile']", "re:."])
def test_override_never_yields_non_http_links(selector: str) -> None:
    """An article_links override (CSS, XPath, regex) matching file:, data:, ftp: and s3: hrefs
    yields none of them, even when nothing else matches; http(s) links beside them still come."""
    hostile = "".join(
        f'<li><a href="{href}">本地文件看起来像一篇很长的文章</a></li>' for href in HOSTILE_HREFS
    )
    page = parse_html(_page(f'<ul class="hostile">{hostile}</ul>'))
    assert discover(page, BASE, article_links=selector).articles == []
    mixed = parse_html(
        _page(
            f'<ul class="hostile">{hostile}<li><a href="/xwzx/t20240101_9.html">城市发展论坛开幕式举行</a></li></ul>'
        )
    )
    assert discover(mixed, BASE, article_links=selector).articles == [
        "http://www.example.gov.cn/xwzx/t20240101_9.html"
    ]


def test_no_non_http_link_comes_out_of_a_list_page() -> None:
    """A <base href="file:///"> and non-http next-page links give no article, attachment or next
    page (the TRS JS pager included); the sitemap filter drops them too."""
    items = "".join(
        f'<li><a href="t2024082{i}_{i}.html">第{i}届城市发展论坛在京召开会议纪要</a></li>'
        for i in range(3)
    )
    html = (
        '<html><head><base href="file:///var/www/"></head><body>'
        f'<div class="list"><ul>{items}</ul></div><a href="plan.pdf">附件</a>'
        '<script>createPageHTML(5, 0, "index", "html");</script></body></html>'
    )
    report = discover(parse_html(html), BASE)
    assert report == LinkReport()
    pager = '<a href="ftp://www.example.gov.cn/list_2.html">下一页</a>'
    assert find_next_page(parse_html(_page(pager)), BASE) is None
    assert filter_listed_urls(HOSTILE_HREFS, "re:.") == []
    assert filter_listed_urls(HOSTILE_HREFS) == []
