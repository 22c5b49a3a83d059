"""Unit tests for crawler.extract.dates: only stated publication dates, never body or related-list dates."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from crawler.extract.dates import (
    PublicationDate,
    date_from_head,
    date_from_meta,
    date_from_scripts,
    date_from_url,
    find_publication_date,
    is_date_only,
    parse_date,
    starts_with_date,
)


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)


@pytest.mark.parametrize(
    ("text", "day", "at"),
    [
        ("发布时间：2024-11-04", date(2024, 11, 4), None),
        ("2024/11/04", date(2024, 11, 4), None),
        ("2024.11.04", date(2024, 11, 4), None),
        ("2024年11月4日", date(2024, 11, 4), None),
        ("2017年11月23日", date(2017, 11, 23), None),
        ("2024年11月04日 10:30", date(2024, 11, 4), utc(2024, 11, 4, 2, 30)),
        ("２０２４－１１－０４　１０：３０", date(2024, 11, 4), utc(2024, 11, 4, 2, 30)),
        ("2024-11-04-10:30:00", date(2024, 11, 4), utc(2024, 11, 4, 2, 30)),
        ("2024-11-04T10:30:00+08:00", date(2024, 11, 4), utc(2024, 11, 4, 2, 30)),
        ("2024-11-03T16:00:00Z", date(2024, 11, 3), utc(2024, 11, 3, 16, 0)),  # the stated day
        ("2024-11-04 00:00:00", date(2024, 11, 4), None),  # a placeholder, not a time
        ("日期：2024年5月21日 星期二", date(2024, 5, 21), None),
    ],
)
def test_parse_date(text: str, day: date, at: datetime | None) -> None:
    assert parse_date(text) == PublicationDate(day, at)


@pytest.mark.parametrize(
    "text", ["2023年", "2024-13-01", "2024-02-30", "1980-01-01", "3099-01-01", "v2.5.1"]
)
def test_parse_date_rejects(text: str) -> None:
    assert parse_date(text) is None


@pytest.mark.parametrize(
    ("url", "day"),
    [
        ("http://x.gov.cn/zwdt/202105/t20210524_123456.html", date(2021, 5, 24)),
        ("http://news.cn/2024-11/04/c_1130213.htm", date(2024, 11, 4)),
        ("http://a.cn/202411/04/content_1.html", date(2024, 11, 4)),
        ("http://a.cn/news/20241104/123.html", date(2024, 11, 4)),
        ("http://a.cn/art/2024/11/4/art_1229_5678.html", date(2024, 11, 4)),
        ("http://a.cn/news/2024/1104/88.html", date(2024, 11, 4)),
        ("http://a.cn/doc_20241104.html", date(2024, 11, 4)),
    ],
)
def test_date_from_url(url: str, day: date) -> None:
    assert date_from_url(url) == PublicationDate(day)


@pytest.mark.parametrize(
    "url",
    [
        "http://tzswj.mofcom.gov.cn/article/gzdt/202105/20210503063063.shtml",
        "http://a.cn/news/show.php?id=20241104",
        "http://a.cn/2024/news.html",
        "",
    ],
)
def test_date_from_url_needs_a_full_date_in_the_path(url: str) -> None:
    assert date_from_url(url) is None


def test_meta_names_and_jsonld() -> None:
    assert date_from_meta({"pubdate": "2024-06-18 09:30"}) == PublicationDate(
        date(2024, 6, 18), utc(2024, 6, 18, 1, 30)
    )
    assert date_from_meta({"publishdate": "20240618"}) == PublicationDate(date(2024, 6, 18))
    assert date_from_meta({"lastmodifiedtime": "2024-06-20"}) is None
    jsonld = ['{"@type": "NewsArticle", "datePublished": "2024-06-18T09:30:00+08:00"}']
    assert date_from_meta({}, jsonld).day == date(2024, 6, 18)  # type: ignore[union-attr]


def test_head_prefers_labelled_then_bare_meta_line() -> None:
    head = ["2024-11-05 分享", "发布时间：2024-11-04 来源：人民网"]
    assert date_from_head(head).day == date(2024, 11, 4)  # type: ignore[union-attr]
    assert date_from_head(["2024-11-04"]).day == date(2024, 11, 4)  # type: ignore[union-attr]


def test_head_stops_at_the_first_paragraph() -> None:
    head = [
        "2023年10月31日，2023年世界城市日全球主场活动在伊斯坦布尔举行，我市代表团应邀出席。",
        "相关新闻 2023-11-02",
    ]
    assert date_from_head(head) is None


def test_head_ignores_dates_inside_prose_lines() -> None:
    assert (
        date_from_head(["本次论坛将于2024年5月21日在太原举办，敬请关注各方动态和后续报道安排"])
        is None
    )


def test_priority_meta_then_head_then_url() -> None:
    found = find_publication_date(
        {"pubdate": "2024-01-02"},
        head_lines=["发布时间：2024-01-03"],
        url="http://a.cn/t20240104_1.html",
    )
    assert found == PublicationDate(date(2024, 1, 2))
    found = find_publication_date({}, head_lines=["来源：本站"], url="http://a.cn/t20240104_1.html")
    assert found == PublicationDate(date(2024, 1, 4))


def test_meta_day_gets_the_meta_line_time() -> None:
    found = find_publication_date(
        {"pubdate": "2024-01-02"}, head_lines=["2024-01-02 08:15 来源：本站"]
    )
    assert found == PublicationDate(date(2024, 1, 2), utc(2024, 1, 2, 0, 15))


def test_labelled_date_elsewhere_is_a_last_resort() -> None:
    lines = ["正文……", "发布日期：2024-03-08", "某某新闻 2024-04-01"]
    assert find_publication_date({}, page_lines=lines).day == date(2024, 3, 8)  # type: ignore[union-attr]
    assert find_publication_date({}, page_lines=["某某新闻 2024-04-01"]) is None


def test_tagged_elements_come_before_the_url() -> None:
    found = find_publication_date(
        {}, tagged=["2024-05-06 07:08:09"], url="http://a.cn/t20240101_1.html"
    )
    assert found == PublicationDate(date(2024, 5, 6), utc(2024, 5, 5, 23, 8, 9))


@pytest.mark.parametrize(
    ("line", "only", "starts"),
    [
        ("2024-11-04", True, True),
        ("【2024年11月4日 星期一】", True, True),
        ("日期：2024-11-04 10:30", True, True),
        ("2024-05-20 14:22 南方网", False, True),
        ("2024年5月20日，论坛开幕", False, True),
        ("论坛于2024年5月20日开幕", False, False),
    ],
)
def test_line_shapes(line: str, only: bool, starts: bool) -> None:
    assert is_date_only(line) is only
    assert starts_with_date(line) is starts


def test_pinyin_readings_do_not_hide_labels() -> None:
    assert date_from_head(
        ["發(fā)布時間：2024-07-26 來源：城投專委會 瀏覽次數(shù)：1234 次 閱讀"]
    ) == (PublicationDate(date(2024, 7, 26)))
    # one reading for two characters, full-width brackets: the same rule as normalization's
    assert date_from_head(["發佈時間（shí jiān）：2024-07-26"]) == PublicationDate(
        date(2024, 7, 26)
    )
    assert starts_with_date("發(fā)布時間：2024-07-26 來(lái)源：新華社")


def test_script_variables_and_their_priority() -> None:
    scripts = ['var a = 1; var pubDate = "2024-11-04 10:30"; document.write(pubDate);']
    assert date_from_scripts(scripts) == PublicationDate(date(2024, 11, 4), utc(2024, 11, 4, 2, 30))
    assert date_from_scripts(['var updated = "2024-11-04";']) is None
    found = find_publication_date({}, scripts=scripts, url="http://a.cn/t20240101_1.html")
    assert found is not None and found.day == date(2024, 11, 4)


def test_strong_label_wins_within_the_meta_line() -> None:
    head = ["更新时间：2024-11-06 发布时间：2024-11-04"]
    assert date_from_head(head) == PublicationDate(date(2024, 11, 4))


# htmldate's turn: only when the project's rules find nothing -------------------------------------

_EN_BODY = (
    "<p>" + "The council met on Tuesday to discuss the budget and the new bridge. " * 4 + "</p>"
)
_ZH_BODY = "<p>" + "会议期间代表团与多个城市交流了城市治理经验，并就合作事项达成共识。" * 3 + "</p>"


def _page(head: str, body: str, *, lang: str = "en") -> str:
    return (
        f'<html lang="{lang}"><head><title>Council meets</title>{head}</head><body>'
        f"<h1>Council meets</h1>{body}</body></html>"
    )


def test_htmldate_reads_european_dates_and_time_elements() -> None:
    from crawler.extract.extraction import extract_from_text

    page = _page("", f'<p class="byline">By Anna Smith, July 19, 2014</p>{_EN_BODY}')
    assert extract_from_text(page, "http://a.example/news/x").published_on == date(2014, 7, 19)
    page = _page("", f'<time datetime="2020-09-23T20:12:38+03:00">Sept. 23</time>{_EN_BODY}')
    assert extract_from_text(page, "http://a.example/news/x").published_on == date(2020, 9, 23)


def test_htmldate_year_only_guesses_are_refused() -> None:
    from crawler.extract.extraction import extract_from_text

    page = _page("", f"{_EN_BODY}<footer>© 2019 The Courier</footer>")
    assert extract_from_text(page, "http://a.example/news/x").published_on is None


def test_htmldate_never_gives_a_chinese_page_a_body_date() -> None:
    from crawler.extract.extraction import extract_from_text

    body = f"<div class='content'>{_ZH_BODY}</div><ul><li><a href='/a'>相关新闻</a> 2023-11-02</li></ul>"
    page = _page("", body, lang="zh")
    assert extract_from_text(page, "http://a.cn/x.html").published_on is None
    marked = _page('<meta itemprop="dateCreated" content="2023-11-01T08:00:00+08:00">', body)
    assert extract_from_text(marked, "http://a.cn/x.html").published_on == date(2023, 11, 1)


# Chinese meta lines of older pages (issue 11) ---------------------------------------------------

_ZH_TEXT = (
    "<p>本报讯　全市城市建设工作会议昨天召开，会议总结了去年的工作，部署了今年的重点任务，"
    "与会代表围绕城市更新、基础设施和公共服务展开了讨论。</p>"
    "<p>会议指出，要坚持以人民为中心，推进城市治理体系和治理能力现代化。</p>"
)


def _zh_page(title: str, meta_line: str, *, before: str = "") -> str:
    return (
        f"<html><head><title>{title}</title></head><body>"
        f'<div class="nav"><a href="/">首页</a> <a href="/news/">新闻</a></div>{before}'
        f'<table><tr><td class="title"><b>{title}</b></td></tr>'
        f'<tr><td class="info">{meta_line}</td></tr>'
        f'<tr><td class="content">{_ZH_TEXT}</td></tr></table>'
        "<div class='footer'>版权所有 2003-2005 某某网</div></body></html>"
    )


@pytest.mark.parametrize(
    ("meta_line", "day", "at"),
    [
        ("2005-07-18 13:03:17", date(2005, 7, 18), utc(2005, 7, 18, 5, 3, 17)),
        ("2005年03月31日03:18", date(2005, 3, 31), utc(2005, 3, 30, 19, 18)),
        ("新华网 2005-07-18 13:03:17", date(2005, 7, 18), utc(2005, 7, 18, 5, 3, 17)),
        (
            "http://www.xinhuanet.com 2005年03月31日 03:18",
            date(2005, 3, 31),
            utc(2005, 3, 30, 19, 18),
        ),
        ("发布日期： 9/17/2004 5:54:13 AM", date(2004, 9, 17), utc(2004, 9, 16, 21, 54, 13)),
        ("发布日期：9/17/2004 5:54:13 PM", date(2004, 9, 17), utc(2004, 9, 17, 9, 54, 13)),
        (
            "本贴由 城市观察 于2005年8月12日16:12:21在〖城市论坛〗发表",
            date(2005, 8, 12),
            utc(2005, 8, 12, 8, 12, 21),
        ),
        ("作者：城市观察　发表于 2005-8-12", date(2005, 8, 12), None),
    ],
)
def test_old_meta_lines(meta_line: str, day: date, at: datetime | None) -> None:
    from crawler.extract.extraction import extract_from_text

    article = extract_from_text(
        _zh_page("全市城市建设工作会议召开", meta_line), "http://a.cn/x.asp?id=1"
    )
    assert (article.published_on, article.published_at) == (day, at)


def test_event_date_in_the_headline_does_not_beat_the_date_line() -> None:
    from crawler.extract.extraction import extract_from_text

    title = "第四届中国城市论坛年会（2004年12月11－12日）"
    for meta_line in ("2004-11-20 09:30:00", "发布日期：2004-11-20", "来源：本站　2004年11月20日"):
        article = extract_from_text(_zh_page(title, meta_line), "http://a.cn/x.asp?id=1")
        assert article.published_on == date(2004, 11, 20), meta_line
    # the headline's date alone is no publication date
    article = extract_from_text(_zh_page(title, "来源：本站"), "http://a.cn/x.asp?id=1")
    assert article.published_on is None


def test_month_day_year_needs_a_label_and_reads_am_pm() -> None:
    assert date_from_head(["发布日期： 9/17/2004 12:05:00 AM"]) == PublicationDate(
        date(2004, 9, 17), utc(2004, 9, 16, 16, 5)
    )
    assert date_from_head(["9/17/2004 5:54:13 AM"]) is None  # unlabelled: day/month order unknown
    assert parse_date("2004-09-17 5:54:13 PM") == PublicationDate(
        date(2004, 9, 17), utc(2004, 9, 17, 9, 54, 13)
    )


def test_forum_post_lines() -> None:
    line = "本贴由 城市观察 于2005年8月12日16:12:21在〖城市论坛〗发表"
    assert date_from_head([line]) == PublicationDate(date(2005, 8, 12), utc(2005, 8, 12, 8, 12, 21))
    assert date_from_head(["发表于 2005-8-12 | 回复 3"]) == PublicationDate(date(2005, 8, 12))
    # a forum label anywhere on the page is a stated date; "于" in prose is not a label
    assert find_publication_date({}, page_lines=["正文", line]).day == date(2005, 8, 12)  # type: ignore[union-attr]
    assert find_publication_date({}, page_lines=["论坛于2005年8月12日开幕"]) is None


@pytest.mark.parametrize("site_title", [False, True])
def test_headline_event_date_when_the_headline_is_not_the_page_title(site_title: bool) -> None:
    """The page's <title> is the site's name: the headline is one of the lines above the body."""
    from crawler.extract.extraction import extract_from_text

    for headline in (
        "第四届中国城市论坛年会（2004年12月11－12日）",
        "中国城市发展论坛年会举行（2004年12月11日）",
    ):
        for meta_line in (
            "2004-11-20 09:30:00",
            "【字体：大 中 小】</div><div>2004年11月20日08:15",
        ):
            title = "某某网" if site_title else "新闻中心"
            page = (
                f"<html><head><title>{title}</title></head><body><div>首页 新闻</div>"
                f"<div class='bt'>{headline}</div><div>{meta_line}</div>"
                f"<div class='content'>{_ZH_TEXT}</div></body></html>"
            )
            article = extract_from_text(page, "http://a.cn/x.asp?id=1")
            assert article.published_on == date(2004, 11, 20), (headline, meta_line)
    assert date_from_head(["新华网（2005-07-18）"]) == PublicationDate(date(2005, 7, 18))
    assert date_from_head(["2004年12月11－12日"]) is None
