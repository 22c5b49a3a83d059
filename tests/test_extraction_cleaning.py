"""Cleaning the chosen container with trafilatura: what it removes, what it must keep."""

from __future__ import annotations

from crawler.extract.extraction import BODY_SOURCES, _restore_content, extract_from_text

BODY = [
    "11月19日，市交通运输局召开新闻发布会，介绍主城区潮汐车道试点方案和配套交通组织措施。",
    "试点路段早高峰进城方向增加一条车道，晚高峰出城方向增加一条车道，其余时段恢复正常通行。",
    "交警部门将在试点路口安排警力引导，试点满三个月后评估效果，再决定是否在全市推广实施。",
]
COMMENTS = [
    "支持这个做法，人民路早上进城方向每天都要堵半个小时，对面车道却空荡荡的，早就应该调整了。",
    "建议提前发布详细的示意图，再多搞几天宣传，不然刚开始实施的时候外地车辆肯定会走错车道。",
]


def _page(content: str, title: str = "主城区试点潮汐车道") -> str:
    return f"""<html><head><meta charset="utf-8"><title>{title}_江城网</title></head><body>
    <div class="nav"><a href="/">首页</a> <a href="/news/">新闻</a></div>
    <h1>{title}</h1><div class="info">2024-11-19 17:05 来源：江城晚报</div>
    <div class="news_content">{content}</div>
    <div class="foot">江城网版权所有</div></body></html>"""


def test_comments_inside_the_container_are_removed() -> None:
    comments = "".join(
        f'<div class="pl-item"><div class="pl-user">网友{i} 2024-11-20</div>'
        f'<div class="pl-text">{line}</div></div>'
        for i, line in enumerate(COMMENTS)
    )
    content = "".join(f"<p>{line}</p>" for line in BODY)
    html = _page(f'{content}<div class="pinglun"><div>网友评论</div>{comments}</div>')
    article = extract_from_text(html, "http://news.example.cn/2024/1119/1.shtml")
    assert article.text.split("\n") == BODY
    assert article.body_source == "cms-container+trafilatura"
    assert article.body_source in BODY_SOURCES


def test_br_paragraphs_without_p_are_all_kept() -> None:
    lines = [*BODY, "（完）"]
    html = _page("<br>\n".join(f"&nbsp;&nbsp;{line}" for line in lines))
    article = extract_from_text(html, "http://news.example.cn/2024/1119/3.shtml")
    assert article.text.split("\n") == lines


def test_a_data_table_in_the_container_is_kept() -> None:
    rows = [
        ("区县", "项目数", "完成投资"),
        ("江北区", "26", "68.2亿元"),
        ("南湖区", "22", "57.9亿元"),
    ]
    table = "<table>" + "".join(
        "<tr>" + "".join(f"<td>{cell}</td>" for cell in row) + "</tr>" for row in rows
    )
    html = _page("".join(f"<p>{line}</p>" for line in BODY) + table + "</table>")
    article = extract_from_text(html, "http://news.example.cn/2024/1119/4.shtml")
    assert article.text.split("\n") == BODY + [cell for row in rows for cell in row]


def test_an_attachment_list_is_kept() -> None:
    attachment = '附件：<a href="/uploads/huizhi.docx">参会回执</a>'
    html = _page("".join(f"<p>{line}</p>" for line in BODY) + f"<p>{attachment}</p>")
    article = extract_from_text(html, "http://news.example.cn/2024/1119/5.shtml")
    assert article.text.split("\n") == [*BODY, "附件：参会回执"]


def test_a_page_over_the_tag_guard_keeps_its_body() -> None:
    junk = "<span>x</span>" * 41_000
    html = _page("".join(f"<p>{line}</p>" for line in BODY)).replace(
        '<div class="foot">', f'<div class="foot">{junk}'
    )
    article = extract_from_text(html, "http://news.example.cn/2024/1119/6.shtml")
    assert article.text.split("\n") == BODY


MORE = [
    "据介绍，试点期间将同步开展交通流量监测，每周发布一次运行报告，接受市民监督和意见反馈。",
    "市交通运输局相关负责人表示，将根据试点情况不断优化方案，让道路资源分配更加科学合理。",
]


def test_div_paragraphs_after_the_kept_ones_are_kept() -> None:
    # trafilatura's precision mode keeps the <p> paragraphs and drops the <div> ones after them
    content = "".join(f"<p>{line}</p>" for line in BODY)
    content += "".join(f"<div>{line}</div>" for line in MORE)
    article = extract_from_text(_page(content), "http://news.example.cn/2024/1119/7.shtml")
    assert article.text.split("\n") == [*BODY, *MORE]
    assert article.body_source == "cms-container+trafilatura"


def test_a_subheading_and_list_items_between_paragraphs_are_kept() -> None:
    items = ["人民路（解放路至中山路）", "建设大道（江北段）"]
    content = (
        f"<p>{BODY[0]}</p><ul>{''.join(f'<li>{item}</li>' for item in items)}</ul>"
        f"<p>{BODY[1]}</p><h3>二、保障措施</h3><p>{BODY[2]}</p>"
    )
    article = extract_from_text(_page(content), "http://news.example.cn/2024/1119/8.shtml")
    assert article.text.split("\n") == [BODY[0], *items, BODY[1], "二、保障措施", BODY[2]]


def test_dropped_links_captions_and_widgets_stay_dropped() -> None:
    lines = [BODY[0], "江北区启动新一轮道路改造工程", "图为试点路段", "分享到", BODY[1], BODY[2]]
    kept = [True, False, False, False, True, True]
    facts = [(0.0, "p"), (1.0, "p"), (0.0, "figcaption"), (0.0, "div"), (0.0, "p"), (0.0, "p")]
    assert _restore_content(lines, kept, facts) == kept


def test_prose_is_put_back_from_a_kept_line_outwards_only() -> None:
    lines = ["热门推荐", MORE[0], BODY[0], BODY[1], "相关新闻", MORE[1]]
    kept = [False, False, True, True, False, False]
    facts = [(0.0, "div")] * len(lines)
    # the lead paragraph before the kept ones comes back; nothing past a line that is not prose
    assert _restore_content(lines, kept, facts) == [False, True, True, True, False, False]


def test_a_list_inside_the_article_is_kept_whole() -> None:
    """A blog post's numbered code listing (trafilatura drops lists of short items) stays between
    its paragraphs, with the subheading after it; a list of links below the post stays out."""
    code = ["x = 0", "for i in range(10):", "    x = x + i", "print(x)", "end"]
    listing = "<ol>" + "".join(f"<li>{line}<br></li>" for line in code) + "</ol>"
    related = (
        "<ul>"
        + "".join(f'<li><a href="/p/{n}.html">第{n}篇：循环语句的写法</a></li>' for n in range(5))
        + "</ul>"
    )
    content = (
        f"<div><table><tr><td>{BODY[0]}<br><br><strong>一、循环求和</strong><br>"
        f"{BODY[1]}<br><div>{listing}</div><strong>二、结果检查</strong><br>{BODY[2]}<br>"
        f"</td></tr></table></div>"
    )
    html = f"""<html><head><meta charset="utf-8"><title>循环求和的写法_某某的博客</title></head>
    <body><div class="nav"><a href="/">首页</a> <a href="/blog/">博客</a></div>
    <div class="articalTitle"><h2>循环求和的写法</h2><span>(2012-12-31 23:26:18)</span></div>
    <div class="articalContent">{content}</div><div class="more"><h3>相关博文</h3>{related}</div>
    <div class="foot">某某博客版权所有</div></body></html>"""
    article = extract_from_text(html, "http://blog.example.cn/s/blog_1.html")
    lines = article.text.split("\n")
    start = lines.index(BODY[1])
    assert lines[start + 1 : start + 1 + len(code)] == [line.strip() for line in code]
    assert lines[start + 1 + len(code)] == "二、结果检查"
    assert "循环语句的写法" not in article.text


def test_a_numbered_section_heading_in_a_div_line_is_kept() -> None:
    """Notices pasted from a word processor set every line in its own <div>; a short numbered
    section heading between kept lines is the notice's own text."""
    sections = [
        ("一、主办单位", "某某市文化广电旅游局 某某市体育总会"),
        ("二、活动时间及地点", "2024年5月18日 某某市滨江公园"),
        (
            "三、参加办法",
            "各县（市、区）可组织1支代表队参加，每队不超过12人，其中领队1名、教练1名。",
        ),
        (
            "四、报名方式",
            "请各代表队于5月10日前将报名表报送市体育总会办公室，联系电话：0577-88880000。",
        ),
        ("五、经费", "各代表队交通费、食宿费自理，比赛期间的场地和器材费用由主办单位承担。"),
    ]
    lines = [line for pair in sections for line in pair] + ["未尽事宜，另行通知。"]
    body = "".join(f"<DIV>&nbsp;&nbsp; {line}</DIV>" for line in lines)
    html = f"""<html><head><meta charset="utf-8"><title>关于举办全民健身滨江健步走活动的通知</title></head>
    <body><table width="1000"><tr><td width="240"><a href="/">首页</a></td><td>
    <table><tr><td class="title">关于举办全民健身滨江健步走活动的通知</td></tr>
    <tr><td>发布日期：2024-04-28　信息来源：市体育局</td></tr><tr><td>{body}</td></tr>
    </table></td></tr></table><div>版权所有：某某市人民政府</div></body></html>"""
    article = extract_from_text(html, "http://www.example.gov.cn/art/2024/4/28/art_1_2.html")
    assert article.text.split("\n") == lines
