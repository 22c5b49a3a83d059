"""QuickMetaRefreshMiddleware: follows meta refreshes like Scrapy's, skips pages without one."""

from __future__ import annotations

from scrapy.http import HtmlResponse, Request
from scrapy.utils.test import get_crawler

from crawler.crawl.middlewares.metarefresh import QuickMetaRefreshMiddleware


def middleware() -> QuickMetaRefreshMiddleware:
    return QuickMetaRefreshMiddleware.from_crawler(get_crawler(settings_dict={}))


def test_a_refresh_tag_redirects() -> None:
    body = '<html><head><META HTTP-EQUIV="Refresh" content="0; url=/xwzx/t1.html"></head></html>'
    request = Request("http://x.cn/old.html")
    response = HtmlResponse(request.url, body=body.encode("gbk"), encoding="gbk", request=request)
    result = middleware().process_response(request, response)
    assert isinstance(result, Request) and result.url == "http://x.cn/xwzx/t1.html"


def test_a_page_without_one_is_passed_on_undecoded() -> None:
    body = ("<html><body>" + "城市更新论坛在武汉举办。" * 2000 + "</body></html>").encode("gb18030")
    request = Request("http://x.cn/t20241104_1.html")
    response = HtmlResponse(request.url, body=body, encoding="gb18030", request=request)
    assert middleware().process_response(request, response) is response
    assert response._cached_ubody is None  # its text was never decoded


def test_a_refresh_to_a_non_http_url_is_not_followed() -> None:
    """Meta refreshes to file:, data: and ftp: URLs are never followed: the page is passed on."""
    for target in ("file:///etc/passwd", "data:text/html,<p>x</p>", "ftp://x.cn/a.html"):
        body = f'<html><head><meta http-equiv="refresh" content="0; url={target}"></head></html>'
        request = Request("http://x.cn/old.html")
        response = HtmlResponse(request.url, body=body.encode(), encoding="utf-8", request=request)
        assert middleware().process_response(request, response) is response, target
