"""One source's options travel as one ``ExtractOptions``: from its configuration through the
``PageItem`` to ``build_article``, and through ``reextract``, to every stage that reads them."""

from __future__ import annotations

import pickle
from datetime import UTC, datetime

import pytest

from crawler.config import SourceConfig
from crawler.crawl import reextract
from crawler.crawl.article_builder import build_article, compress_html
from crawler.crawl.items import ArticleItem, PageItem
from crawler.extract.options import DEFAULT_OPTIONS, ExtractOptions

PARAGRAPH = "城市發展論壇在臺北舉行，來自全國的三百餘位嘉賓參加論壇，共商城市更新。"
URL = "http://m.forum.example.cn/news/1.html"
# Big5 bytes that declare UTF-8: only the forced encoding reads them (a trial decode as
# GB18030 "succeeds" with garbage)
BODY = (
    '<html><head><meta charset="utf-8"><title>城市發展論壇</title></head><body>'
    f'<h1>城市發展論壇</h1><div id="zoom"><p>{PARAGRAPH * 3}</p>'
    '<p><a href="/files/plan.pdf">方案.pdf</a></p></div></body></html>'
).encode("big5")

SOURCE = SourceConfig(
    id="forum",
    name="城市论坛网",
    start_urls=["http://forum.example.cn/news/"],
    encoding="big5",
    keep_traditional=True,
    fold_hosts=["m."],
)


def page_item(options: ExtractOptions) -> PageItem:
    return PageItem(
        source_id="forum",
        url=URL,
        request_url=URL,
        body=BODY,
        fetched_at=datetime(2024, 11, 4, tzinfo=UTC),
        options=options,
    )


def test_a_source_config_gives_its_options() -> None:
    options = SOURCE.extract_options()
    assert options == ExtractOptions(
        source_name="城市论坛网", encoding="big5", keep_traditional=True, fold_hosts=("m.",)
    )
    assert pickle.loads(pickle.dumps(options)) == options  # crosses to worker processes
    with pytest.raises(AttributeError):
        options.encoding = "utf-8"  # type: ignore[misc]


def test_build_article_reads_the_page_with_its_source_options() -> None:
    built = build_article(page_item(SOURCE.extract_options()))
    assert isinstance(built, ArticleItem)
    article = built.article
    assert article.title == "城市發展論壇"  # decoded as Big5, traditional kept
    assert "臺北舉行" in article.text
    assert article.canonical_url == "http://forum.example.cn/news/1.html"  # m. folded
    assert [a.canonical_url for a in built.attachments] == [
        "http://forum.example.cn/files/plan.pdf"
    ]


def test_build_article_with_default_options() -> None:
    built = build_article(page_item(DEFAULT_OPTIONS))
    assert isinstance(built, ArticleItem)
    assert built.article.title != "城市發展論壇" and built.article.encoding == "gb18030"
    assert built.article.canonical_url == URL


def test_reextract_reads_each_source_with_its_options(monkeypatch: pytest.MonkeyPatch) -> None:
    fetched = datetime(2024, 11, 4, tzinfo=UTC)
    row = (1, URL, "forum", compress_html(BODY), None, fetched)
    monkeypatch.setattr(reextract, "_options", {"forum": SOURCE.extract_options()})
    update, _ = reextract.reextract_row(row)
    assert update.title == "城市發展論壇" and "臺北舉行" in update.text
    monkeypatch.setattr(reextract, "_options", {})  # a source no longer configured
    update, _ = reextract.reextract_row(row)
    assert update.title != "城市發展論壇" and "臺北舉行" not in update.text
