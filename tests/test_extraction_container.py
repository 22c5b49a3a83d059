"""Choosing the article's container: a short article beside wordier sidebars and footers."""

from __future__ import annotations

import pytest

from crawler.extract.extraction import extract_from_text, find_container, parse_html, render_lines

SIDEBAR = (
    "本院是住房和城乡建设部直属事业单位，主要承担全国市长和城市管理干部的培训任务，"
    "开展城市发展战略研究、政策咨询与国际交流合作，先后举办各类培训班数百期，"
    "培训学员数万人次，形成了覆盖规划建设管理全过程的课程体系和案例库。"
)
FOOTER = [
    "版权所有：某某学院 地址：北京市海淀区三里河路9号 邮编：100835",
    "教学基地：北京、上海、深圳、成都、杭州、厦门、苏州、雄安新区",
    "合作院校：清华大学、同济大学、东南大学、重庆大学、天津大学、华南理工大学",
]
BODY = [
    "11月11日至15日，学院在北京举办第十二期城市更新专题研究班。",
    "研究班围绕城市更新行动、城市体检、历史文化保护传承等内容安排了专题讲座。",
    "学员们表示将把学习成果转化为推动城市高质量发展的具体行动。",
]


def _page(title_block: str) -> str:
    paragraphs = "".join(f"<p>{line}</p>" for line in BODY)
    footer = "".join(f"<p>{line}</p>" for line in FOOTER)
    return f"""<html><head><title>学院举办第十二期城市更新专题研究班_某某学院</title></head><body>
    <div class="main"><div class="left"><div id="Article">{title_block}
    <div class="content">{paragraphs}</div></div></div>
    <div class="right"><div class="box"><h5>学院简介</h5><div class="content"><p>{SIDEBAR}</p>
    </div></div></div></div><div class="bottom-info">{footer}</div></body></html>"""


def test_short_article_beats_wordier_sidebar_and_footer() -> None:
    html = _page(
        "<h1>学院举办第十二期城市更新专题研究班<br><span>2024-11-15 来源：某某学院</span></h1>"
    )
    article = extract_from_text(html, "http://x.cn/show-91.html")
    assert article.title == "学院举办第十二期城市更新专题研究班"
    assert article.text.split("\n") == BODY
    assert article.origin == "某某学院"


def test_summary_box_by_the_title_does_not_hide_a_long_body() -> None:
    summary = "导读：" + "本期研究班聚焦城市更新，" * 4
    long_body = "".join(f"<p>{BODY[0]}{SIDEBAR}</p>" for _ in range(6))
    html = f"""<html><head><title>研究班开班</title></head><body>
    <div class="head"><h1>研究班开班</h1><div class="summary">{summary}</div></div>
    <div class="article-wrap"><div class="txt">{long_body}</div></div></body></html>"""
    article = extract_from_text(html, "http://x.cn/show-92.html")
    assert article.text.count(SIDEBAR) == 6


ARTICLE = "".join(f"<p>{line}</p>" for line in BODY)


def test_visible_headline_wins_over_a_stale_og_title() -> None:
    page = f"""<html><head><meta property="og:title" content="学院召开上一期研究班结业式">
    <meta property="og:site_name" content="某某学院"><title>某某学院</title></head><body>
    <div class="logo">某某学院</div><h1>学院举办第十二期城市更新专题研究班</h1>
    <div class="info">来源：培训部 2024-11-16</div><div class="text">{ARTICLE}</div>
    <div class="side"><h2>热点排行</h2><ul><li><a href="/9">学院召开上一期研究班结业式</a></li></ul>
    </div></body></html>"""
    article = extract_from_text(page, "http://example.org/a.html")
    assert article.title == "学院举办第十二期城市更新专题研究班"
    assert article.text == "\n".join(BODY)


def test_visible_headline_wins_over_a_keyword_stuffed_title() -> None:
    page = f"""<html><head><title>城市更新 研究班 培训 学院 城市更新专题 第十二期 某某学院官网</title>
    </head><body><table><tr><td class="biaoti"><font size="5"><b>学院举办第十二期城市更新专题研究班</b>
    </font></td></tr><tr><td class="zw">{ARTICLE}</td></tr></table>
    <table><tr><td class="title">热点新闻</td></tr><tr><td><a href="/1">某新闻</a></td></tr></table>
    </body></html>"""
    article = extract_from_text(page, "http://example.org/a.html")
    assert article.title == "学院举办第十二期城市更新专题研究班"
    assert article.text == "\n".join(BODY)


def test_title_tag_kept_when_no_headline_stands_above_the_body() -> None:
    page = f"""<html><head><title>学院举办第十二期城市更新专题研究班_某某学院</title></head><body>
    <div class="nav"><h2>工作动态</h2></div><div class="text">{ARTICLE}</div></body></html>"""
    article = extract_from_text(page, "http://example.org/a.html")
    assert article.title == "学院举办第十二期城市更新专题研究班"


def test_breadcrumb_heading_is_no_title_and_an_h5_headline_is() -> None:
    """``<title>`` names only the channel and the site; a breadcrumb path is set as a heading and
    the headline is an ``<h5>`` above the meta line."""
    page = f"""<html><head><title>工作动态--某某学会官网</title></head><body>
    <div class="crumbs"><h3>首页 - 工作动态</h3></div><div class="news"><div class="left">
    <h5>学院举办第十二期城市更新专题研究班</h5><div class="ly"><b>发布时间：2024-11-15</b>
    <i>来源：某某学会</i></div><div class="detail">{ARTICLE}</div></div>
    <div class="right"><h4>联系我们</h4><p>地址：北京市海淀区三里河路9号</p></div></div>
    <div class="foot">版权所有：© 2001-2024 某某学会 京ICP备12345678号</div></body></html>"""
    article = extract_from_text(page, "http://example.org/content.aspx?id=7")
    assert article.title == "学院举办第十二期城市更新专题研究班"
    assert article.text == "\n".join(BODY)
    assert article.origin == "某某学会"
    assert article.site_name == "某某学会"


def test_title_before_a_glued_column_name_when_the_page_shows_it() -> None:
    page = f"""<html><head><title>城市更新条例-纪检</title></head><body>
    <table><tr><td class="lm">纪检监察</td></tr><tr><td><span class="s8">城市更新条例</span></td></tr>
    <tr><td>来源: | 发布时间: 2024-05-17 | 浏览次数: 218</td></tr><tr><td>
    <div id="content"><p><strong>城市更新条例</strong></p>{ARTICLE}</div></td></tr></table>
    </body></html>"""
    article = extract_from_text(page, "http://example.org/info/1081/1.htm")
    assert article.title == "城市更新条例"
    assert article.text == "\n".join(BODY)


def test_headline_set_over_lines_is_one_title_and_leaves_the_body() -> None:
    """A resolution's headline broken with ``<br>`` inside the content: the title has no spaces
    at the breaks, its lines leave the body, and the adoption note under it stays."""
    page = f"""<html><head><title>某某市人民代表大会常务委员会关于城市更新的决定_某某市人民政府</title>
    </head><body><div class="crumb">首页 &gt; 公报</div><div class="pages_content">
    <p align="center"><font style="FONT-SIZE: 18pt"><strong>某某市人民代表大会常务委员会<br>
    关于城市更新的决定</strong></font><br>
    （2024年6月29日某某市第十六届人民代表大会常务委员会第九次会议通过）</p>{ARTICLE}</div>
    </body></html>"""
    article = extract_from_text(page, "http://example.gov.cn/gb/content_1.htm")
    assert article.title == "某某市人民代表大会常务委员会关于城市更新的决定"
    assert article.text.split("\n") == [
        "（2024年6月29日某某市第十六届人民代表大会常务委员会第九次会议通过）",
        *BODY,
    ]


def test_one_paragraph_flash_is_not_widened_over_recommendations_below() -> None:
    """A one-paragraph flash whose text sits in its ``div`` directly, followed by a disclaimer box
    and a recommendation list with teasers: the block is not widened over them."""
    flash = "".join(BODY)
    teasers = "".join(
        f"<dl><dt><a href='/n/{i}.html'>推荐文章标题第{i}篇</a></dt><dd class='exp'>{line}</dd>"
        f"<dd class='sj'>2024-09-30</dd></dl>"
        for i, line in enumerate(MEETING)
    )
    page = f"""<html><head><title>研究班开班快讯_某某时报网</title></head><body>
    <div class="content"><div class="box_left"><div class="intal_tit"><h2>研究班开班快讯</h2>
    <div class="info">2024-09-26 12:11<span>来源：某某时报网</span></div></div>
    <div class="txt_con">{flash}<p></p></div>
    <div class="shenming"><p>声明：本网力求信息真实、准确，文章提及内容仅供参考，不构成投资建议。</p></div>
    <div class="tuijian"><h2>为你推荐</h2><div class="tuijian_con">{teasers}</div></div></div>
    </div></body></html>"""
    article = extract_from_text(page, "http://example.org/2024/0926/1.shtml")
    assert article.text == flash


def test_title_repeated_in_a_topic_box_below_is_not_body() -> None:
    """The page's topic box links back to this very article: its title there is not a line of
    the body (each place of trafilatura's text accounts for one line)."""
    paragraphs = "".join(f"<p>{line}</p>" for line in MEETING)
    page = f"""<html><head><title>{MEETING_TITLE}</title></head><body><div class="content">
    <div class="nav"><a href="/">首页</a><a href="/gj">国际</a><a href="/cj">财经</a></div>
    <ul class="two-coloum"><li class="left-main"><h3>{MEETING_TITLE}</h3>
    <div class="time"><span>2024-09-09 19:32:27</span><span>来源：某某网</span></div>
    <div class="all-txt">{paragraphs}</div>
    <ul class="article-other"><li>原标题：{MEETING_TITLE}</li></ul>
    <div class="img-special"><h4><a href="/zt">都市圈专题</a></h4>
    <div class="resemble-art"><a href="/a/1.shtml">{MEETING_TITLE}</a></div>
    <div class="resemble-art"><a href="/a/0.shtml">都市圈交通一体化规划印发</a></div></div>
    </li></ul></div></body></html>"""
    article = extract_from_text(page, "http://example.org/a/1.shtml")
    assert article.title == MEETING_TITLE
    assert article.text.split("\n") == MEETING


# --- a sidebar beside the article: the densest block is not widened over it -----------------

MEETING = [
    "11月8日，市发展改革委会同市城乡建设局召开都市圈协同发展座谈会，周边六个县市参加。",
    "座谈会上，各县市负责同志分别介绍了交通互联、产业协作和公共服务共享方面的进展。",
    "会议要求，各地要建立项目清单和责任清单，按月调度，确保年度重点任务落地见效。",
]
MEETING_TITLE = "都市圈协同发展座谈会召开"
INTRO_BOX = (
    "<h4>都市圈简介</h4><p>本市都市圈包括主城区及周边六个县市，总面积约1.8万平方公里，"
    "常住人口约960万人。</p><p>2023年，都市圈地区生产总值突破9000亿元，城镇化率71.5%。</p>"
)
HOT_LINES = [
    "市政府召开第四十次常务会议",
    "全市安全生产工作会议召开",
    "我市启动冬季供暖保障工作",
    "市领导调研重点项目建设情况",
    "全市秋冬季大气污染防治推进会",
]


def _container_lines(page: str, title: str = MEETING_TITLE) -> list[str]:
    """The rendered lines of the block that the container choice takes (before any cleaning)."""
    tree = parse_html(page)
    assert tree is not None
    container = find_container(tree, title)
    assert container is not None
    return render_lines(container)


def _columns_page(columns: str) -> str:
    return f"""<html><head><title>{MEETING_TITLE}-市发展和改革委员会</title></head><body>
    <div class="top"><a href="/">网站首页</a> <a href="/xxgk/">信息公开</a></div>
    <div class="tit-box"><h2>{MEETING_TITLE}</h2><div class="sj">2024-11-08 市发展改革委</div></div>
    {columns}<div class="bt">主办：市发展和改革委员会 地址：市民中心B区</div></body></html>"""


def test_a_headed_box_before_the_article_is_left_out() -> None:
    article = "".join(f"<p>{line}</p>" for line in MEETING)
    page = _columns_page(
        f'<div class="wrap"><div class="c1"><div class="box">{INTRO_BOX}</div></div>'
        f'<div class="c2">{article}</div></div>'
    )
    assert _container_lines(page) == MEETING
    extracted = extract_from_text(page, "http://fgw.example.gov.cn/a.html")
    assert extracted.title == MEETING_TITLE
    assert extracted.text.split("\n") == MEETING


def test_a_list_of_short_unlinked_lines_after_the_article_is_left_out() -> None:
    article = "".join(f"<p>{line}</p>" for line in MEETING)
    hot = "".join(f"<div>·{line}</div>" for line in HOT_LINES)
    page = _columns_page(f'<div class="wrap"><div>{article}</div><div>{hot}</div></div>')
    assert _container_lines(page) == MEETING
    extracted = extract_from_text(page, "http://fgw.example.gov.cn/a.html")
    assert extracted.text.split("\n") == MEETING


def test_a_hot_news_column_of_a_table_layout_is_left_out() -> None:
    """An old ``td|td`` layout: the article as ``<br>`` lines in one cell, a 热点新闻 column of
    short unlinked lines in the next."""
    hot = "<br>".join(f"·{line}" for line in HOT_LINES)
    page = _columns_page(
        '<table width="960"><tr><td valign="top">'
        + "<br>".join(f"　　{line}" for line in MEETING)
        + f'</td><td width="8"></td><td valign="top"><b>热点新闻</b><br>{hot}</td></tr></table>'
    )
    assert _container_lines(page) == MEETING
    extracted = extract_from_text(page, "http://fgw.example.gov.cn/a.html")
    assert extracted.text.split("\n") == MEETING


def test_the_widths_of_a_table_layout_tell_the_narrow_column() -> None:
    side = "".join(f"<p>{line}，详见专题。</p>" for line in HOT_LINES[:3])
    page = _columns_page(
        '<table><tr><td width="700">'
        + "".join(f"<p>{line}</p>" for line in MEETING)
        + f'</td><td width="240">{side}</td></tr></table>'
    )
    assert _container_lines(page) == MEETING
    extracted = extract_from_text(page, "http://fgw.example.gov.cn/a.html")
    assert extracted.text.split("\n") == MEETING


def test_an_article_split_over_sibling_wrappers_is_still_read_whole() -> None:
    """Paragraphs, a picture, more paragraphs, each in its own wrapper: widened over all."""
    first = "".join(f"<p>{line}</p>" for line in MEETING)
    second = "".join(f"<p>{line}</p>" for line in BODY)
    page = _columns_page(
        f'<div class="wrap"><div class="part">{first}</div>'
        f'<div class="pic"><img src="/a.jpg"></div><div class="part">{second}</div></div>'
    )
    assert _container_lines(page) == [*MEETING, *BODY]
    extracted = extract_from_text(page, "http://fgw.example.gov.cn/a.html")
    assert extracted.text.split("\n") == [*MEETING, *BODY]


def test_a_generic_content_wrapper_around_both_columns_is_not_taken() -> None:
    article = "".join(f"<p>{line}</p>" for line in MEETING)
    page = _columns_page(
        f'<div class="content"><div class="col-main">{article}</div>'
        f'<div class="col-side">{INTRO_BOX}</div></div>'
    )
    assert _container_lines(page) == MEETING
    extracted = extract_from_text(page, "http://fgw.example.gov.cn/a.html")
    assert extracted.text.split("\n") == MEETING


# --- the headline: the article's own, not a sidebar's or a list's that og:title names --------

STALE = "学院召开上一期研究班结业式"
HEADLINE = "学院举办第十二期城市更新专题研究班"
SUMMARY = "上一期研究班于10月18日结业，学员提交了调研报告，学院对优秀学员进行了表彰，并安排了下一期的课程。"


def test_visible_headline_wins_over_an_og_title_naming_a_side_box_heading() -> None:
    """The stale og:title is a side box's heading over a summary wordier than the article."""
    page = f"""<html><head><meta property="og:title" content="{STALE}"><title>某某学院</title>
    </head><body><div class="main"><h1>{HEADLINE}</h1><div class="info">来源：培训部 2024-11-16
    </div><div class="text">{ARTICLE}</div></div><div class="side"><h3>{STALE}</h3>
    <p>{SUMMARY}</p><p>{SUMMARY}</p></div></body></html>"""
    article = extract_from_text(page, "http://example.org/a.html")
    assert article.title == HEADLINE
    assert article.text == "\n".join(BODY)


def test_visible_headline_wins_over_an_og_title_naming_a_list_heading() -> None:
    page = f"""<html><head><meta property="og:title" content="通知公告"><title>某某学院</title>
    </head><body><div class="l"><h2>通知公告</h2><ul><li><a href="/1">关于举办第十二期研究班的通知</a>
    </li><li><a href="/2">关于第十二期研究班报名工作的通知</a></li></ul></div><div class="r">
    <h1>{HEADLINE}</h1><div class="info">来源：培训部 2024-11-16</div>
    <div class="text">{ARTICLE}</div></div></body></html>"""
    article = extract_from_text(page, "http://example.org/a.html")
    assert article.title == HEADLINE
    assert article.text == "\n".join(BODY)


def test_a_title_shown_above_the_body_stays_though_a_side_box_repeats_it() -> None:
    page = f"""<html><head><meta property="og:title" content="{HEADLINE}"><title>某某学院</title>
    </head><body><div class="main"><h1>{HEADLINE}</h1><h2>——第十二期研究班开班侧记</h2>
    <div class="text">{ARTICLE}</div></div><div class="side"><h3>{HEADLINE}</h3></div></body></html>"""
    assert extract_from_text(page, "http://example.org/a.html").title == HEADLINE


@pytest.mark.parametrize("marks", ['itemprop="headline"', ""])
def test_the_pages_own_headline_stays_though_its_boxes_are_named_side(marks: str) -> None:
    """A layout whose columns are classed "…-Side" (Yahoo's YDC-Side): the page's only h1, or a
    heading marked itemprop=headline, is the title, not the job-title line above the body."""
    page = f"""<html><head><meta property="og:title" content="{HEADLINE}"></head><body>
    <div class="YDC-Side"><div class="canvas-header"><h1 {marks}>{HEADLINE}</h1></div></div>
    <div class="author"><a href="/author/li">Tom Li</a><div class="author-title">News Reporter</div>
    </div><div class="text">{ARTICLE}</div></body></html>"""
    article = extract_from_text(page, "http://example.org/a.html")
    assert article.title == HEADLINE


THREAD = "新区公交线路调整后上班要倒两次车"


@pytest.mark.parametrize(
    "headline",
    [
        f'<td class="tit"><b>主题：{THREAD}</b></td>',
        f"<td><h2>帖子主题：{THREAD}</h2></td>",
        f"<td>标题：{THREAD}</td>",
        f"<td><font size=4>[主题] {THREAD}</font></td>",
    ],
)
def test_a_forum_headline_is_read_without_its_label(headline: str) -> None:
    page = f"""<html><head><title>江城论坛 - 城市建设</title></head><body><table>
    <tr>{headline}</tr><tr><td>{ARTICLE}</td></tr></table></body></html>"""
    article = extract_from_text(page, "http://bbs.example.org/thread-1.html")
    assert article.title == THREAD
    assert article.text == "\n".join(BODY)


def test_a_forum_label_is_taken_off_a_title_that_the_title_tag_confirms() -> None:
    page = f"""<html><head><title>{THREAD} - 江城论坛</title></head><body><table>
    <tr><td><b>帖子主题：{THREAD}</b></td></tr><tr><td>{ARTICLE}</td></tr></table></body></html>"""
    assert extract_from_text(page, "http://bbs.example.org/thread-1.html").title == THREAD


def _notice_page(body_html: str) -> str:
    menu = "".join(f"<td><a href='/c{n}/'>栏目{n}</a></td>" for n in range(12))
    related = "".join(f"<li><a href='/n{n}.html'>关于第{n}批项目的公示</a></li>" for n in range(6))
    return f"""<html><head><title>关于某某水库除险加固工程验收的公告</title></head><body>
    <table class="menu"><tr>{menu}</tr></table>
    <div class="weizhi">您的位置：<a href="/">首页</a> &gt; <a href="/tzgg/">通知公告</a></div>
    <div class="in_main"><div class="content">
    <div class="title">关于某某水库除险加固工程验收的公告<br></div>
    <div class="time"><span>某某市水利局 www.sl.example.gov.cn</span><span>时间：2021-03-05</span>
    <span>来源：</span></div>{body_html}</div></div>
    <div class="right"><h3>相关信息</h3><ul>{related}</ul><p>{SIDEBAR}</p></div>
    <div class="foot">{"".join(f"<p>{line}</p>" for line in FOOTER)}</div></body></html>"""


@pytest.mark.parametrize(
    "container", ['class="Custom_UnionStyle"', 'id="zoom"', 'class="TRS_Editor"']
)
def test_a_short_notice_in_the_cms_container_under_the_title_is_the_body(container: str) -> None:
    """A notice whose body is one line (the document is the attachment) is read from the CMS's
    container under the title, not from the whole page (its meta line and sidebar)."""
    line = "某某水库除险加固工程已通过竣工验收，验收意见详见附件。"
    html = _notice_page(f"<div {container}><div><div>{line}</div></div></div>")
    article = extract_from_text(html, "http://sl.example.gov.cn/tzgg/index_1234.html")
    assert article.title == "关于某某水库除险加固工程验收的公告"
    assert article.text == line
    assert article.published_on is not None and article.published_on.isoformat() == "2021-03-05"


def test_a_short_cms_named_box_away_from_the_title_is_not_the_body() -> None:
    """A short element named like a content container elsewhere (a sidebar's box) is no body."""
    html = _notice_page(f"<p>{BODY[0]}{BODY[1]}{BODY[2]}</p>").replace(
        "<h3>相关信息</h3>",
        '<h3>相关信息</h3><div class="Custom_UnionStyle">扫码关注本局官方微信公众号</div>',
    )
    article = extract_from_text(html, "http://sl.example.gov.cn/tzgg/index_1234.html")
    assert "公众号" not in article.text
    assert article.text == "".join(BODY)


@pytest.mark.parametrize("button", ["编辑", "收藏", "转载"])
def test_a_button_in_the_title_box_is_not_part_of_the_title(button: str) -> None:
    """A blog sets its edit/bookmark link in the headline's box after the title; a headline that
    ends in a link of its own (关于印发《…办法》的通知) keeps it."""
    page = f"""<html><head><title>研究班结业小记 - 某某的日志 - 某某博客</title></head><body>
    <div class="title"><span class="tcnt">研究班结业小记</span>&nbsp;&nbsp;<span><a href="#">{button}</a>
    </span></div><div class="tdep"><span>2013-05-04 21:35:12</span> | 分类：<a href="#">随笔</a></div>
    <div class="blog">{ARTICLE}</div></body></html>"""
    article = extract_from_text(page, "http://u.blog.example.cn/blog/static/1/")
    assert article.title == "研究班结业小记"
    linked = f"""<html><head><title>关于印发《城市更新工作办法》_某某网</title></head><body>
    <h1>关于印发 <a href="/f.pdf">《城市更新工作办法》</a></h1><div class="content">{ARTICLE}</div>
    </body></html>"""
    assert extract_from_text(linked, "http://x.cn/a.html").title == "关于印发 《城市更新工作办法》"
