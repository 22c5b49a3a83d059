"""Unit tests for crawler.extract.dates: only stated publication dates, never body or related-list dates."""

from __future__ import annotations

from collections.abc import Sequence
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
        ("2024-11-04 23:59:59", date(2024, 11, 4), None),  # the end-of-day placeholder
        ("2024-11-04 23:59", date(2024, 11, 4), utc(2024, 11, 4, 15, 59)),  # a time of day
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


def test_meta_end_of_day_time_is_a_placeholder() -> None:
    """A CMS that knows only the day writes 23:59:59 (as others write 00:00:00): the day stays,
    no time of day is claimed, and the meta line's real time is taken instead."""
    meta = {"pubdate": "2025-03-07 23:59:59"}
    assert date_from_meta(meta) == PublicationDate(date(2025, 3, 7))
    found = find_publication_date(meta, head_lines=["发布时间：2025-03-07 09:15"])
    assert found == PublicationDate(date(2025, 3, 7), utc(2025, 3, 7, 1, 15))


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


def test_month_day_year_needs_a_label_or_a_plain_order_and_reads_am_pm() -> None:
    assert date_from_head(["发布日期： 9/17/2004 12:05:00 AM"]) == PublicationDate(
        date(2004, 9, 17), utc(2004, 9, 16, 16, 5)
    )
    # unlabelled: only when a part over 12 says which is the day
    assert date_from_head(["9/17/2004 5:54:13 AM"]) == PublicationDate(
        date(2004, 9, 17), utc(2004, 9, 16, 21, 54, 13)
    )
    assert date_from_head(["17/9/2004"]) == PublicationDate(date(2004, 9, 17))
    assert date_from_head(["9/7/2004 5:54:13 AM"]) is None
    assert date_from_head(["日期：9/7/2004"]) == PublicationDate(date(2004, 9, 7))  # labelled: M/D
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


# More date-line variants of pages nobody here wrote (issue 11, continued) ----------------------


@pytest.mark.parametrize(
    ("meta_line", "day"),
    [
        ("时间：2005-07-18", date(2005, 7, 18)),
        ("[2005-07-18]", date(2005, 7, 18)),
        ("(2005-07-18)", date(2005, 7, 18)),
        ("日期:2005/7/18", date(2005, 7, 18)),
        ("2005.07.18", date(2005, 7, 18)),
        ("2005-7-8 9:05", date(2005, 7, 8)),
        ("发布时间：2005年7月18日 星期一", date(2005, 7, 18)),
        ("2005年7月18日 星期一", date(2005, 7, 18)),
        ("更新时间：2005-07-18 10:20", date(2005, 7, 18)),
        ("录入时间：2005-7-18 10:20:00", date(2005, 7, 18)),
        ("时间：2005年07月18日 10时20分", date(2005, 7, 18)),
        ("来源：新华网 2005-07-18 13:03:17", date(2005, 7, 18)),
        ("2005-07-18 来源：人民网", date(2005, 7, 18)),
        ("2005年7月18日 10:20  来源: 荆门日报  作者: 王五", date(2005, 7, 18)),
        ("www.hbgov.gov.cn 2005年03月31日03:18", date(2005, 3, 31)),
        ("信息来源：市建设局  发布时间：2005年7月18日  浏览次数：120", date(2005, 7, 18)),
        ("【发布时间：2005-07-18】【来源：市政府办公室】", date(2005, 7, 18)),
        ("作者：张三　点击数：123　更新时间：2005-7-18", date(2005, 7, 18)),
        ("２００５年７月１８日", date(2005, 7, 18)),
        ("二〇〇五年七月十八日", date(2005, 7, 18)),
        ("二○○五年七月十八日", date(2005, 7, 18)),
        ("（二〇〇五年十二月三十一日）", date(2005, 12, 31)),
        ("2005年七月十八日", date(2005, 7, 18)),
        ("成文日期：二〇〇五年七月十五日", date(2005, 7, 15)),
        ("发布日期：2005-07-18　成文日期：二〇〇五年七月十五日", date(2005, 7, 18)),
        ("成文日期：二〇〇五年七月十五日　发布日期：2005年07月18日", date(2005, 7, 18)),
        ("日期：9/17/2004", date(2004, 9, 17)),
        ("9/17/2004", date(2004, 9, 17)),
        ("<time datetime='2005-07-18T09:30:00+08:00'>7月18日</time>", date(2005, 7, 18)),
        ("来源：本站 <time pubdate>2005-07-18</time>", date(2005, 7, 18)),
        ("9/7/2004", None),  # 9 July or 7 September: no date rather than a guess
        ("二〇〇五年二十月一日", None),
    ],
)
def test_more_meta_lines(meta_line: str, day: date | None) -> None:
    from crawler.extract.extraction import extract_from_text

    page = _zh_page("全市城市建设工作会议召开", meta_line)
    assert extract_from_text(page, "http://a.cn/x.asp?id=1").published_on == day


_TITLE = "全市城市建设工作会议召开"
_LIST = '<div class="side"><h3>最新文章</h3><ul>{}</ul></div>'.format(
    "".join(
        f'<li><a href="/n{i}.html">市政府召开第{i}次常务会议研究部署工作</a> 2005-07-{10 + i:02d}</li>'
        for i in range(1, 8)
    )
)


def _layout(body: str, title: str = _TITLE) -> str:
    return (
        f"<html><head><title>{title}</title></head><body>"
        f'<div class="nav"><a href="/">首页</a> <a href="/news/">新闻</a></div>{body}'
        "<div class='footer'>版权所有 2003-2005 某某网</div></body></html>"
    )


@pytest.mark.parametrize(
    ("body", "day"),
    [
        # a date cell next to the title cell
        (
            f'<table><tr><td class="bt"><b>{_TITLE}</b></td><td align="right">2005-7-18</td></tr>'
            f"<tr><td colspan=2>{_ZH_TEXT}</td></tr></table>",
            date(2005, 7, 18),
        ),
        # the info bar under the body, labelled or with a hit counter only
        (
            f"<h1>{_TITLE}</h1><div>{_ZH_TEXT}</div>"
            "<div>作者：张三　来源：本站　点击数：123　更新时间：2005-7-18</div>",
            date(2005, 7, 18),
        ),
        (
            f"<h1>{_TITLE}</h1><div>{_ZH_TEXT}</div><div>点击数：123　2005-7-18</div>",
            date(2005, 7, 18),
        ),
        (
            f"<h1>{_TITLE}</h1><div>{_ZH_TEXT}</div>"
            f"<div>【录入时间：2005-7-18 9:05:03】【点击数：56】</div>{_LIST}",
            date(2005, 7, 18),
        ),
        # a list of articles with dates, before or after the article, is not its date
        (f"{_LIST}<h1>{_TITLE}</h1><div>{_ZH_TEXT}</div>", None),
        (f"<h1>{_TITLE}</h1><div>{_ZH_TEXT}</div>{_LIST}", None),
        (
            f"{_LIST}<h1>{_TITLE}</h1><div>2005-06-30 来源：本站</div><div>{_ZH_TEXT}</div>",
            date(2005, 6, 30),
        ),
        # the site header's clock is not the article's date
        (
            f'<div class="top">今天是：2024年11月4日 星期一</div><h1>{_TITLE}</h1><div>{_ZH_TEXT}</div>',
            None,
        ),
        # a government document: 发布日期 in the index table wins over 成文日期 and the signature
        (
            '<table class="xxgk"><tr><td>索引号：11420800/2005-00123</td><td>分类：城乡建设</td></tr>'
            "<tr><td>发布机构：市政府办公室</td><td>成文日期：二〇〇五年七月十五日</td></tr>"
            "<tr><td>文号：荆政发〔2005〕12号</td><td>发布日期：2005-07-18</td></tr></table>"
            f"<h1>{_TITLE}</h1><div>{_ZH_TEXT}<p>某某市人民政府</p><p>二〇〇五年七月十五日</p></div>",
            date(2005, 7, 18),
        ),
        # the signature date at the end of the body alone is a body date
        (
            f"<h1>{_TITLE}</h1><div>{_ZH_TEXT}<p>某某市人民政府</p><p>二〇〇五年七月十五日</p></div>",
            None,
        ),
        # forum posts: the first post's date, not a reply's
        (
            f"<h1>{_TITLE}</h1><div>城市观察 发表于 2005-8-12 16:12</div><div>{_ZH_TEXT}</div>"
            "<div>路人 发表于 2005-8-13 09:00</div><div>同意楼主的看法。</div>",
            date(2005, 8, 12),
        ),
    ],
)
def test_date_line_layouts(body: str, day: date | None) -> None:
    from crawler.extract.extraction import extract_from_text

    assert extract_from_text(_layout(body), "http://a.cn/x.asp?id=1").published_on == day


def test_blog_comments_do_not_beat_the_post() -> None:
    from crawler.extract.extraction import extract_from_text

    comments = (
        f'<div class="feedback"><h3>评论</h3><div># re: {_TITLE} 2005-08-13 10:00 某某</div>'
        f"<p>写得好，支持一下。</p><div># re: {_TITLE} 2005-08-14 09:00 路人</div><p>同意。</p></div>"
    )
    post = f"<div class='post'><h2>{_TITLE}</h2><div>{_ZH_TEXT}</div>{{}}</div>{comments}"
    foot = "<div class='postfoot'>posted on 2005-08-12 16:12 城市观察 阅读(120) 评论(2)</div>"
    article = extract_from_text(_layout(post.format(foot)), "http://blog.a.cn/x/archive/1.html")
    assert (article.published_on, article.published_at) == (
        date(2005, 8, 12),
        utc(2005, 8, 12, 8, 12),
    )
    # without the post's own date, a comment's date is no date for the post
    article = extract_from_text(_layout(post.format("")), "http://blog.a.cn/x/archive/1.html")
    assert article.published_on is None


@pytest.mark.parametrize("posted", ["posted @", "Posted @", "posted on"])
def test_blog_footer_date_under_a_long_post(posted: str) -> None:
    """cnblogs/.Text posts state their date only in the footer under the body (``posted @
    2014-02-09 16:33 作者 阅读(120) 评论(2)``); the comments below carry their own dates."""
    from crawler.extract.extraction import extract_from_text

    steps = "".join(f"<p>第{n}步：打开设置页面，勾选第{n}个选项</p>" for n in range(1, 9))
    page = (
        "<html><head><title>配置笔记 - 城市观察 - 博客园</title></head><body>"
        "<div id='navigator'><a href='/'>博客园</a> <a href='/u/'>首页</a> <a href='/rss'>订阅</a></div>"
        "<div class='post'><h1 class='postTitle'><a href='/u/p/1.html'>配置笔记</a></h1>"
        f"<div class='postBody'><div id='post_body'>{steps}<p>{_ZH_TEXT}</p></div>"
        "<div id='blog_post_info'><a href='#'>好文要顶</a> <a href='#'>关注我</a> "
        "<a href='#'>收藏该文</a></div><div id='post_next_prev'>« 上一篇：<a href='/u/p/0.html'>"
        "旧笔记</a><br>» 下一篇：<a href='/u/p/2.html'>新笔记</a></div></div>"
        f"<div class='postDesc'>{posted} <span id='post-date'>2014-02-09 16:33</span> "
        "<a href='/u/'>城市观察</a> 阅读(<span>120</span>) 评论(<span>2</span>) "
        "<a href='/edit'>编辑</a> <a href='#'>收藏</a></div></div>"
        "<div class='feedback_area_title'>评论列表</div>"
        "<div class='feedbackItem'><a href='#1'>#1楼</a> <span class='comment_date'>2014-02-10 "
        "18:41</span> <a href='/a/'>路人</a><div class='blog_comment_body'>学习了。</div></div>"
        "</body></html>"
    )
    article = extract_from_text(page, "http://www.cnblogs.com/u/p/1.html")
    assert (article.published_on, article.published_at) == (
        date(2014, 2, 9),
        utc(2014, 2, 9, 8, 33),
    )


_FORUM_POST = (
    "Has anyone else noticed the bus schedule changes on the north side? The 42 now skips "
    "three stops after nine in the evening and nobody at the depot could tell me why. "
) * 2
_FORUM_REPLY = "I asked the council about this last week and they said it is temporary. " * 2


def _phpbb(first: str, replies: Sequence[str]) -> str:
    rows = (
        '<tr><td class="row1"><span class="name"><b>northsider</b></span><br>'
        '<span class="postdetails">Joined: 12 Mar 2012<br>Posts: 45</span></td>'
        f'<td class="row1"><span class="postdetails">{first}&nbsp; &nbsp;Post subject: Bus 42 '
        f'schedule changes</span><hr><span class="postbody">{_FORUM_POST}</span></td></tr>'
    )
    for reply in replies:
        rows += (
            '<tr><td class="row2"><span class="name"><b>maria</b></span><br>'
            '<span class="postdetails">Joined: 02 Jan 2010<br>Posts: 1203</span></td>'
            f'<td class="row2"><span class="postdetails">{reply}&nbsp; &nbsp;Post subject: Re: '
            f'Bus 42</span><hr><span class="postbody">{_FORUM_REPLY}</span></td></tr>'
        )
    return (
        "<html><head><title>City Forums :: View topic - Bus 42 schedule changes</title></head>"
        '<body><a class="maintitle" href="viewtopic.php?t=77">Bus 42 schedule changes</a>'
        f'<table class="forumline">{rows}</table></body></html>'
    )


@pytest.mark.parametrize(
    ("first", "replies", "at"),
    [
        (
            "Posted: Sat Jul 19, 2014 10:22 pm",
            ["Posted: Sun Jul 20, 2014 8:01 am", "Posted: Mon Jul 21, 2014 11:45 am"],
            utc(2014, 7, 19, 14, 22),
        ),
        (
            "Posted on 07-19-2014 10:22 PM",
            ["Posted on 07-20-2014 08:01 AM"],
            utc(2014, 7, 19, 14, 22),
        ),
        ("Posted by northsider on July 19th, 2014 at 10:22 p.m.", [], utc(2014, 7, 19, 14, 22)),
        ("Posted: 19 Jul 2014", ["Posted: 02 Aug 2014"], None),
    ],
)
def test_english_forum_posts(first: str, replies: list[str], at: datetime | None) -> None:
    """The first post's own line; member-since dates (Joined: 12 Mar 2012) are no post dates.
    Times without a zone are read as China time, as everywhere."""
    from crawler.extract.extraction import extract_from_text

    article = extract_from_text(
        _phpbb(first, replies), "http://forum.example.com/viewtopic.php?t=77"
    )
    assert (article.published_on, article.published_at) == (date(2014, 7, 19), at)


def test_unlabelled_month_day_year_only_in_plain_order() -> None:
    assert date_from_head(["07-19-2014, 10:22 PM"]) == PublicationDate(
        date(2014, 7, 19), utc(2014, 7, 19, 14, 22)
    )
    assert date_from_head(["07-08-2014, 10:22 PM"]) is None
    assert date_from_head(["Joined: Mar 2012"]) is None


def test_a_utc_stamp_gives_the_day_the_page_shows() -> None:
    """``23:15Z`` is already the next day in Rome, ``02:18Z`` still the previous one in Miami: the
    page's visible date decides, and only a neighbouring day the stamp's hour allows."""
    late = {"article:published_time": "2020-12-05T23:15:0Z"}
    shown = ["Domenica 06 Dicembre 2020 | 00:36", "Politica"]
    assert find_publication_date(late, page_lines=shown).day == date(2020, 12, 6)  # type: ignore[union-attr]
    early = {"article:published_time": "2020-02-18T02:18:11Z"}
    assert find_publication_date(early, page_lines=["| 17 de Febrero 2020"]).day == date(
        2020, 2, 17
    )  # type: ignore[union-attr]
    assert find_publication_date(early, page_lines=["Feb. 17, 2020"]).day == date(2020, 2, 17)  # type: ignore[union-attr]
    # the stamp's own day shown, no date shown, a day the hour cannot reach, a zone given: kept
    for lines in (["17 de Febrero 2020", "18 de Febrero 2020"], [], ["19.02.2020"]):
        assert find_publication_date(early, page_lines=lines).day == date(2020, 2, 18)  # type: ignore[union-attr]
    noon = {"article:published_time": "2020-02-18T12:00:00Z"}
    assert find_publication_date(noon, page_lines=["17/02/2020"]).day == date(2020, 2, 18)  # type: ignore[union-attr]
    zoned = {"article:published_time": "2020-02-18T02:18:11+01:00"}
    assert find_publication_date(zoned, page_lines=["17/02/2020"]).day == date(2020, 2, 18)  # type: ignore[union-attr]


def test_a_label_cell_and_its_value_cell() -> None:
    """Index tables of information-disclosure pages hold the label and the date in two cells."""
    from crawler.extract.extraction import extract_from_text

    table = (
        "<table><tr><td>发布机构：</td><td>市政府办公室</td><td>成文日期：</td>"
        "<td>二〇〇五年七月十五日</td></tr><tr><td>文号：</td><td>荆政发〔2005〕12号</td>"
        "<td>{}</td><td>2005年07月18日</td></tr></table>"
    )
    page = _layout(f"{table.format('发布日期：')}<h1>{_TITLE}</h1><div>{_ZH_TEXT}</div>")
    assert extract_from_text(page, "http://a.cn/x.asp?id=1").published_on == date(2005, 7, 18)
    assert date_from_head([], ["成文日期：", "二〇〇五年七月十五日"]) == PublicationDate(
        date(2005, 7, 15)
    )
    assert date_from_head([], ["发布日期：", "市政府办公室", "2005-07-18"]) is None


def test_the_opening_posts_floor_dates_a_tieba_thread() -> None:
    """百度贴吧 states a post's time only in its tail under the post, beside the floor number;
    the 1st floor's time is the thread's, a reply's (2楼) is not."""
    from crawler.extract.extraction import extract_from_text

    def floor(number: int, when: str, text: str) -> str:
        return (
            f'<div class="l_post j_l_post"><div class="d_author"><a class="p_author_name">吧友{number}'
            f'</a></div><div class="d_post_content_main"><cc><div class="d_post_content">{text}</div>'
            '</cc><div class="core_reply_tail"><span class="tail-info">来自Android客户端</span>'
            f'<span class="tail-info">{number}楼</span><span class="tail-info">{when}</span>'
            "</div></div></div>"
        )

    posts = floor(1, "2013-05-04 21:35", _ZH_TEXT) + floor(2, "2013-05-04 22:10", "同意，支持。")
    page = (
        f"<html><head><title>{_TITLE}【某某吧】_百度贴吧</title></head><body>"
        f'<h3 class="core_title_txt">{_TITLE}</h3><div id="j_p_postlist">{posts}</div></body></html>'
    )
    article = extract_from_text(page, "https://tieba.baidu.com/p/5190000001")
    assert (article.published_on, article.published_at) == (
        date(2013, 5, 4),
        utc(2013, 5, 4, 13, 35),
    )
    # only replies' floors: no date for the thread
    article = extract_from_text(page.replace("1楼", "3楼"), "https://tieba.baidu.com/p/5190000001")
    assert article.published_on is None
