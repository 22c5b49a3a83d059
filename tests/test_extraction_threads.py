"""Comment threads, replies and other posts are not the body; login and error pages yield only
their message (``crawler.extract.threads``, ``crawler.extract.messages``)."""

from __future__ import annotations

from crawler.extract.extraction import extract_from_text
from crawler.extract.metadata import find_author, find_bylines
from tests.test_extraction_quality import load

POST = [
    "我家住在城东新区，每天坐公交到市中心上班，线路调整以后要倒两次车，路上多花四十分钟。",
    "调整前一趟车直达市中心，早高峰每隔八分钟一班；调整后要在新区枢纽换乘，再到火车站换乘。",
    "希望公交公司在早晚高峰保留几班直达车，也希望调整之前多听听沿线居民的意见。",
]
LONG_REPLY = (
    "您好，感谢您对公交的关注。本次线路调整是为配合城东公交枢纽投入使用、优化新区线网结构，"
    "针对乘客反映的换乘不便问题，我们正在研究在早晚高峰开通区间直达班次，具体方案确定后将在公司网站和站台公告，"
    "同时会在枢纽增设换乘引导标识、延长换乘优惠时间，并对天桥加装电梯的事项向有关部门提出建议，请您留意。"
    "如有其他意见和建议，欢迎拨打公交服务热线反映，我们将认真研究每一条意见，逐条答复。"
)
TITLE = "新区公交线路调整后上班要倒两次车"


def _paras(lines: list[str]) -> str:
    return "".join(f"<p>{line}</p>" for line in lines)


def _post(name: str, when: str, body: str) -> str:
    return (
        f'<div><table><tr><td class="who">{name}</td><td><div>{name} 发表于 {when} | 只看该作者</div>'
        f'<div class="msg">{body}</div></td></tr></table></div>'
    )


def test_forum_thread_keeps_the_opening_post_when_a_reply_is_longer() -> None:
    posts = [
        _post("东城老李", "2008-4-12 10:21", _paras(POST)),
        _post("公交客服", "2008-4-12 14:02", f"<p>{LONG_REPLY}</p><p>{LONG_REPLY}</p>"),
        _post("阿杰", "2008-4-12 16:48", "<p>同感！我也住新区，现在每天早上六点半就得出门。</p>"),
    ]
    page = f"""<html><head><title>{TITLE} - 江城论坛</title></head><body>
    <div class="nav"><a href="/">论坛</a> &raquo; <a href="/f">城市建设</a></div>
    <div id="posts"><h1>{TITLE}</h1>{"".join(posts)}</div></body></html>"""
    article = extract_from_text(page, "http://bbs.example.cn/thread-1.html")
    assert article.title == TITLE
    assert article.text == "\n".join(POST)
    assert article.author == "东城老李"
    assert article.published_on is not None and article.published_on.isoformat() == "2008-04-12"


def test_feedback_entries_without_comment_markup_are_dropped() -> None:
    """.Text feedback: each entry starts ``# re: <title>``; none is the article."""
    feedback = "".join(
        f"<div><div># re: {TITLE} 2006-05-1{i} 16:0{i} | 网友{i}</div><div>{LONG_REPLY}</div></div>"
        for i in range(3)
    )
    page = f"""<html><head><title>{TITLE} - 李明 - 博客园</title></head><body>
    <div id="main"><div><h2><a href="/p/1.html">{TITLE}</a></h2><div>{_paras(POST)}</div>
    <p>posted on 2006-05-12 14:33 李明 阅读(1234) 评论(3)</p></div>
    <div>{feedback}</div></div></body></html>"""
    article = extract_from_text(page, "http://blog.example.cn/p/1.html")
    assert article.title == TITLE
    assert article.text == "\n".join(POST)
    assert article.author == "李明"


def test_comment_section_longer_than_the_post_is_not_the_body() -> None:
    comments = "".join(
        f"<li><span>网友{i}</span> <em>2007-06-2{i} 15:10:22</em><p>{LONG_REPLY}</p></li>"
        for i in range(4)
    )
    page = f"""<html><head><title>{TITLE}_博客</title></head><body>
    <div class="artical"><h2>{TITLE}</h2><div class="body">{_paras(POST)}</div>
    <div class="allComm"><strong>评论</strong><ul class="cmt-list">{comments}</ul></div></div>
    </body></html>"""
    article = extract_from_text(page, "http://blog.example.cn/s/1.html")
    assert article.text == "\n".join(POST)


def test_timeline_article_with_times_in_its_paragraphs_stays_whole() -> None:
    lines = [
        f"2024-05-0{day} 09:30 城市更新论坛第{day}天的议程开始，各位代表围绕老旧小区改造和街区更新作了交流发言。"
        for day in range(1, 6)
    ]
    page = f"""<html><head><title>城市更新论坛图文直播_某某网</title></head><body>
    <h1>城市更新论坛图文直播</h1><div class="live">{_paras(lines)}</div></body></html>"""
    article = extract_from_text(page, "http://news.example.cn/live.html")
    assert article.text == "\n".join(lines)


def test_post_named_by_the_title_is_chosen_among_several() -> None:
    other = [LONG_REPLY, LONG_REPLY[::-1]]
    posts = "".join(
        f'<div class="entry"><h2><a href="/{i}.html">{head}</a></h2>'
        f"<div>张伟 发表于 2007-03-1{i} 21:40:12</div><div>{_paras(body)}</div></div>"
        for i, (head, body) in enumerate(
            [("旧厂房变身创意园", other), (TITLE, POST), ("读书笔记两则", other)]
        )
    )
    page = f"""<html><head><title>{TITLE} - 张伟的城市观察</title></head><body>
    <div id="content">{posts}</div></body></html>"""
    article = extract_from_text(page, "http://blog.example.cn/logs/1.html")
    assert article.title == TITLE
    assert article.text == "\n".join(POST)
    assert article.author == "张伟"


MENU = "".join(f'<li><a href="/c{i}/">栏目导航第{i}个频道</a></li>' for i in range(30))


def test_login_page_with_only_the_site_as_title_yields_its_message() -> None:
    page = f"""<html><head><title>江城市人民政府门户网站</title></head><body>
    <ul class="nav">{MENU}</ul><div class="box"><h2>用户登录</h2>
    <p>您尚未登录或登录已超时，请登录后继续访问。</p><form>用户名：<input name="u">
    密码：<input type="Password" name="p"> <a href="/forget">忘记密码？</a></form></div></body></html>"""
    article = extract_from_text(page, "http://www.example.gov.cn/login")
    assert article.text == "您尚未登录或登录已超时，请登录后继续访问。"
    assert article.published_on is None


def test_missing_page_with_only_the_site_as_title_yields_its_message() -> None:
    page = f"""<html><head><title>江北省人民政府</title></head><body><ul class="nav">{MENU}</ul>
    <table><tr><td><b>对不起，您访问的页面不存在或已被删除！</b><br>
    <a href="/">返回首页</a></td></tr></table></body></html>"""
    article = extract_from_text(page, "http://www.example.gov.cn/2008/0512/a.htm")
    assert article.text == "对不起，您访问的页面不存在或已被删除！"
    assert article.published_on is None


def test_article_beside_a_login_box_is_extracted_as_usual() -> None:
    page = f"""<html><head><title>{TITLE}_江城新闻网</title></head><body>
    <div class="login">用户名：<input name="u"> 密码：<input type="password" name="p">
    请登录后发表评论</div><h1>{TITLE}</h1><div class="text">{_paras(POST)}</div></body></html>"""
    article = extract_from_text(page, "http://news.example.cn/a.html")
    assert article.title == TITLE
    assert article.text == "\n".join(POST)


def test_bylines_name_the_poster_not_the_floor() -> None:
    lines = [
        "楼主 发表于 2008-4-12 10:21",
        "本贴由 老街坊 于 2005年6月15日 09:42:18 发表 所属论坛：城市建设",
        "posted on 2006-05-12 14:33 李明 阅读(1234) 评论(6)",
    ]
    assert find_bylines(lines) == [
        "楼主 发表于 2008-4-12 10:21",
        "本贴由 老街坊 于 2005年6月15日 09:42:18",
        "posted on 2006-05-12 14:33 李明",
    ]
    assert find_author({}, [], [], find_bylines(lines)) == "老街坊"
    assert find_author({}, ["作者：周明"], [], find_bylines(lines)) == "周明"


def test_table_forum_keeps_the_first_post_without_its_signature() -> None:
    """dvbbs-like: one table per post, the poster's name in a side cell, the posting time in a
    row below the text, a signature under it; the second post is a long official reply."""

    def post(name: str, when: str, text: str) -> str:
        return (
            f'<table class="tableborder1"><tr><td class="tablebody1"><b>{name}</b><br>等级：论坛游侠'
            f'<br>注册：2004-3-5</td><td class="tablebody1">{text}<br>--------------------'
            f'<br>签名：热爱江城，关心江城</td></tr><tr><td class="tablebody2">{when}</td><td>'
            f"<a>回复</a> <a>引用</a> | 发贴时间：{when}</td></tr></table>"
        )

    page = f"""<html><head><title>江城社区 -- {TITLE}</title></head><body>
    <table><tr><th>主题：{TITLE}</th></tr></table>
    {post("老街坊", "2005-6-15 9:42:18", "<br><br>".join(POST))}
    {post("公交热线", "2005-6-16 8:50:27", LONG_REPLY * 2)}
    {post("路过的", "2005-6-16 10:05:11", "同意楼主，新区的公交确实跟不上。")}</body></html>"""
    article = extract_from_text(page, "http://bbs.example.cn/dispbbs.asp?id=1")
    assert article.text == "\n".join(POST)


def test_posts_with_dated_bylines_without_a_time_are_posts_too() -> None:
    other = [LONG_REPLY, LONG_REPLY[::-1], LONG_REPLY[1:], LONG_REPLY[2:]]
    posts = "".join(
        f'<div class="entry"><h2><a href="/{i}.html">{head}</a></h2>'
        f"<p class='meta'>posted on 2007-03-1{i} by 张伟</p>{_paras(body)}</div>"
        for i, (head, body) in enumerate([("旧厂房变身创意园", other), (TITLE, POST)])
    )
    page = f"""<html><head><title>{TITLE} - 张伟的城市观察</title></head><body>
    <div id="content">{posts}</div></body></html>"""
    article = extract_from_text(page, "http://blog.example.cn/logs/1.html")
    assert article.text == "\n".join(POST)


def test_message_pages_say_so_in_body_source() -> None:
    """A login or an error page's body is its message, and body_source names that."""
    for name in ("login_page", "error_404"):
        article, _ = load(name)
        assert article.body_source == "message-page", name
        assert article.published_on is None


def _discuz_x_post(pid: int, name: str, when: str, body: str) -> str:
    return (
        f'<div id="post_{pid}"><table class="plhin"><tr><td class="pls"><div class="authi">'
        f'<a href="space-uid-{pid}.html">{name}</a></div><p>积分 1024</p></td><td class="plc">'
        f'<div class="pi"><div class="authi"><em id="authorposton{pid}">发表于 {when}</em>'
        f'<span class="pipe">|</span><a href="#">只看该作者</a></div></div><div class="pct">'
        f'<table><tr><td class="t_f" id="postmessage_{pid}">{body}</td></tr></table></div>'
        "</td></tr></table></div>"
    )


def test_discuz_x_subject_and_a_first_post_dated_relatively() -> None:
    """Discuz! X: the subject is a span inside the h1 after the thread's type tag, the page's
    title ends with the site and the engine; a recent post shows '3 天前' and states its time
    only in the span's title attribute."""
    posts = (
        _discuz_x_post(
            1, "城东居民", '<span title="2013-5-4 21:35">3&nbsp;天前</span>', "<br>".join(POST)
        )
        + _discuz_x_post(2, "公交集团", "2013-5-4 22:10", LONG_REPLY)
        + _discuz_x_post(
            3, "路人", '<span title="2013-5-5 09:02">前天&nbsp;09:02</span>', "同意楼上。"
        )
    )
    html = (
        f"<html><head><title>{TITLE} - 城市交通 -  江城论坛 -  Powered by Discuz!</title></head>"
        '<body><div id="hd"><h2><a href="./">江城论坛</a></h2></div><div id="pt">'
        '<a href="./">江城论坛</a> &raquo; <a href="forum-9-1.html">城市交通</a></div>'
        f'<div id="postlist"><h1 class="ts"><a href="#">[求助]</a> <span id="thread_subject">{TITLE}'
        f'</span></h1>{posts}</div><div id="ft"><strong><a href="./">江城论坛</a></strong>'
        "</div></body></html>"
    )
    article = extract_from_text(html, "http://bbs.example.cn/thread-77-1-1.html")
    assert article.title == TITLE
    assert article.text.split("\n") == POST
    assert article.published_at is not None
    assert article.published_at.isoformat() == "2013-05-04T13:35:00+00:00"


def _phpwind_floor(kind: str, name: str, floor: str, when: str, text: str) -> str:
    """A phpwind-like floor: one table, the poster's name, floor and counters in the left cell,
    the posting time (without the name) above the text in the right cell."""
    return (
        f'<div class="t5"><table class="{kind}" cellspacing="1" width="100%"><tr class="tr1">'
        f'<th class="r_two" width="20%"><b>{name}</b><br>{floor}<br>级别: 新手上路<br>精华: 0'
        f"<br>发帖: 128<br>威望: 5 点<br>注册时间: 2007-11-02</th>"
        f'<th class="r_one">发表于: {when} | 只看该作者<br>{text}</th></tr>'
        '<tr><th></th><th><a href="#">引用</a> | <a href="#">回复</a></th></tr></table></div>'
    )


def test_table_forum_keeps_the_first_floor_text_date_and_poster() -> None:
    """phpwind-like: the longer first floor (its table classed apart from the replies') stays
    alone, without its poster's name, floor label or posting time; its time is the date and its
    poster the author, not the next floor's."""
    floors = (
        _phpwind_floor("t t2", "东城老李", "楼主", "2008-04-12 10:22", "<br>".join(POST))
        + _phpwind_floor("t", "阿杰", "沙发", "2008-04-12 14:02", "同感！我也住新区，天天倒车。")
        + _phpwind_floor("t", "路过的", "板凳", "2008-04-13 08:15", "顶一下，希望有关部门看到。")
        + _phpwind_floor("t", "小王", "3楼", "2008-04-13 09:40", "支持保留直达车，早上能多睡会。")
    )
    page = f"""<html><head><title>{TITLE} - 城市交通 - 江城论坛 - powered by phpwind.net</title>
    </head><body><div id="header"><a href="/">江城论坛</a></div><div class="t3"><a href="/">
    江城论坛</a> &raquo; <a href="thread.php?fid=9">城市交通</a></div>
    <table class="t"><tr><td><h1>{TITLE}</h1></td></tr></table>{floors}
    <div id="footer">Powered by phpwind</div></body></html>"""
    article = extract_from_text(page, "http://bbs.example.cn/read.php?tid=77")
    assert article.title == TITLE
    assert article.text.split("\n") == POST
    assert article.published_at is not None
    assert article.published_at.isoformat() == "2008-04-12T02:22:00+00:00"
    assert article.author == "东城老李"


def _phpwind_subject_floor(
    pid: int, name: str, floor: str, when: str, subject: str, text: str
) -> str:
    """A floor with the subject heading its text cell, the floor label and the posting time on
    one line above it; the poster's cell holds only the name."""
    return (
        f'<div class="t5"><table width="100%"><tr class="tr1"><th rowspan="2" class="r_two">'
        f'<table><tr><td><b><a href="u.php?uid={pid}">{name}</a></b></td></tr></table></th>'
        f'<th class="r_one"><div class="tiptop"><span><a href="#">{floor}</a></span> '
        f"<span>发表于: {when}</span> <span><a>只看楼主</a></span></div>"
        f'<h1 id="subject_{pid}">{subject}</h1><div class="tpc_content">{text}</div></th></tr>'
        '<tr class="tr1"><th><a href="#">回复</a> <a href="#">引用</a></th></tr></table></div>'
    )


def test_table_forum_date_is_the_first_floors_not_a_short_replys() -> None:
    """The subject heads the first floor and the replies are short (one as short as '+1'): the
    lines after the title reach the replies' bylines, which are not the post's."""
    floors = (
        _phpwind_subject_floor(1, "东城老李", "楼主", "2008-04-12 10:22", TITLE, "<br>".join(POST))
        + _phpwind_subject_floor(2, "阿杰", "沙发", "2008-04-12 14:02", "", "同感，天天倒车。")
        + _phpwind_subject_floor(3, "小王", "板凳", "2008-04-13 09:15", "", "+1")
    )
    page = f"""<html><head><title>{TITLE} - 城市交通 - 江城论坛</title></head><body>
    <div class="t3"><a href="/">江城论坛</a> &raquo; <a href="thread.php?fid=9">城市交通</a></div>
    <div id="pw_content">{floors}</div><div id="footer">Powered by phpwind</div></body></html>"""
    article = extract_from_text(page, "http://bbs.example.cn/read.php?tid=78")
    assert article.title == TITLE
    assert article.text.split("\n") == POST
    assert article.published_at is not None
    assert article.published_at.isoformat() == "2008-04-12T02:22:00+00:00"
    assert article.author == "东城老李"
