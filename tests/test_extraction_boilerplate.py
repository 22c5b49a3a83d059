"""Unit tests for crawler.extract.boilerplate: line-level cleanup and the pattern cache."""

from __future__ import annotations

from pathlib import Path

import pytest

from crawler.extract import boilerplate
from crawler.extract.boilerplate import (
    clean_lines,
    get_patterns,
    is_meta_line,
    load_patterns,
    reset_patterns,
)

BODY = [
    "11月19日至21日，2017中国新型城市论坛荆门峰会在荆门绿色生态科技产业城国际会展中心举行。",
    "开幕式现场",
    "坚持绿色发展，荆门迈出铿锵步伐",
    "近年来，我市认真践行新发展理念，坚持全域绿色发展，突出生态立市不动摇。(邓显军)",
]


def test_clean_body_is_untouched() -> None:
    assert clean_lines(BODY) == BODY


@pytest.mark.parametrize(
    "head",
    [
        ["当前位置：首页 > 工作动态"],
        ["您所在的位置：", "首页 >", "快讯 >>", "公司 »"],
        ["您现在的位置：首页>>新闻中心>>荆门要闻"],
        ["文章来源: 文章类型: 内容分类:"],
        ["发布时间：2024-11-04 10:30 来源：荆门日报 浏览次数：1234"],
        ["2024-11-04"],
        ["2021年05月24日 09:15 阅读：3862"],
        ["【字号：大 中 小】【打印本页】【关闭窗口】"],
        ["字体：【大】【中】【小】 视力保护色："],
        ["分享到：微信 微博 QQ空间"],
        ["作者：张三"],
    ],
)
def test_head_chrome_is_dropped(head: list[str]) -> None:
    assert clean_lines(head + BODY) == BODY


@pytest.mark.parametrize(
    "tail",
    [
        ["相关新闻", "全国市长研修学院举办城市更新专题研究班 2024-11-15"],
        ["相关链接：", "中国政府网", "商务部"],
        [
            "商务部网站版权与免责声明:",
            "1、凡本站及其子站注明“文章类型:原创”的所有作品，其版权属于商务部网站。",
        ],
        [
            "局长致辞",
            "吸收外商直接投资与开展对外投资合作是中国对外开放政策的重要组成部分，是必由之路。",
        ],
        ["上一篇：城投专委会赴深圳调研", "下一篇：城市更新专题研讨会举行"],
        ["版权所有：荆门市人民政府", "地址：荆门市象山大道39号 邮编：448000", "鄂ICP备05003306号"],
        ["• 新闻中心"],
        ["【打印】 【关闭】"],
        ["转载请注明出处"],
        ["来源：全国市长研修学院"],
    ],
)
def test_tail_chrome_is_dropped(tail: list[str]) -> None:
    assert clean_lines(BODY + tail) == BODY


@pytest.mark.parametrize(
    "credit",
    [
        "市档案馆办公室供稿 摄影/王小川 编辑/刘丹",
        "文字／陈明 摄影／李强",
        "编辑/刘丹",
        "采写：晚报记者 王小川 刘丹",
        "初审：张明 复审：李华 终审：王强",
        "统筹：周宁",
    ],
)
def test_credit_lines_are_dropped(credit: str) -> None:
    assert clean_lines([*BODY, credit]) == BODY


@pytest.mark.parametrize(
    "tail",
    [
        ["打开APP阅读全文"],
        ["下载某某晚报客户端，看更多本地新闻"],
        ["长按识别二维码关注我们"],
        ["更多精彩内容，请关注某某发布微信公众号"],
        ["点击进入专题：城市更新在行动"],
        ["阅读 2345", "在看 18"],
        ["分享到：", "微信", "朋友圈", "新浪微博"],
        ["关注我们：", "微信公众号"],
        ["声明：本文仅代表作者个人观点，不代表本网立场。", "大家都在看"],
        [
            "本文由某某号作者上传并发布，仅代表该作者观点，不代表某某网的观点，平台仅提供信息存储服务。"
        ],
        ["为你推荐", "另一篇文章的标题出现在这里，某地举办春季运动会"],
        ["本文来源：某某晚报", "图片来源：某某图库"],
    ],
)
def test_portal_prompts_and_disclaimers_are_dropped(tail: list[str]) -> None:
    assert clean_lines(BODY + tail) == BODY


def test_original_title_line_is_dropped() -> None:
    assert clean_lines(["原标题：城市论坛荆门峰会开幕", *BODY]) == BODY
    assert clean_lines([*BODY, "（原标题：城市论坛荆门峰会开幕）"]) == BODY


@pytest.mark.parametrize(
    "line",
    [
        "声明：我公司从未授权任何机构以本公司名义开展招聘活动，请广大求职者提高警惕。",
        "关注民生是政府工作的重点，全年新增就业岗位两万个。",
        "下载量最大的三款应用分别来自本地企业。",
    ],
)
def test_prompt_words_inside_body_lines_stay(line: str) -> None:
    assert clean_lines([*BODY, line]) == [*BODY, line]


def test_editor_credit_after_the_article_ends_it() -> None:
    teaser = "另一篇文章的标题出现在这里：某地举办春季运动会，数百名中小学生参加了比赛项目。"
    assert clean_lines([*BODY, "责任编辑：刘丹", teaser, ",晨报"]) == BODY


def test_editor_credit_in_the_head_only_drops_itself() -> None:
    lede = "【摘要】本文回顾了全市老旧小区改造工作的进展，并介绍了下一阶段的主要安排。"
    assert clean_lines([lede, "责任编辑：刘丹", *BODY]) == [lede, *BODY]


def test_portal_link_back_is_removed() -> None:
    assert clean_lines([*BODY[:-1], BODY[-1] + "返回搜狐，查看更多"]) == BODY


def test_breadcrumb_glued_to_text_keeps_the_text() -> None:
    assert clean_lines([*BODY, "（完）当前位置:首页> 工作动态"]) == [*BODY, "（完）"]


def test_notice_lines_are_body() -> None:
    notice = [
        "为深入交流城市规划领域的新理念、新方法和新实践，经研究，定于2024年9月在合肥召开年会。",
        "一、会议时间",
        "二、会议安排",
        "时间：2024年9月6日至8日",
        "联系人：王芳",
        "联系电话：0551-62345678",
        "电子邮箱：nianhui@example.org.cn",
        "中国城市规划学会",
        "2024年7月15日",
    ]
    assert clean_lines(notice) == notice


def test_cut_marker_before_any_body_is_only_dropped() -> None:
    assert clean_lines(["相关新闻", *BODY]) == BODY


def test_footer_line_followed_by_a_paragraph_is_only_dropped() -> None:
    paragraph = BODY[0] + "来自联合国人居署、欧洲环境基金会的专家学者齐聚一堂。"
    lines = [BODY[0], "京ICP备14022686号-4", paragraph]
    assert clean_lines(lines) == [BODY[0], paragraph]


def test_weak_labels_only_at_the_head() -> None:
    assert is_meta_line("时间：2024-11-04", 0)
    assert not is_meta_line("时间：2024年9月6日至8日", 5)
    assert is_meta_line("来源：人民网", 9)
    assert not is_meta_line("来源：本文所述数据来自国家统计局公开发布的统计年鉴。", 9)


def test_patterns_are_cached_and_reset(tmp_path: Path) -> None:
    first = get_patterns()
    assert get_patterns() is first
    reset_patterns()
    assert get_patterns() is not first
    custom = tmp_path / "boilerplate.yaml"
    custom.write_text("cut_markers: [到此为止]\n", encoding="utf-8")
    patterns = load_patterns(custom)
    assert patterns.cut_marker.match("到此为止")
    assert not patterns.breadcrumb.search("当前位置")


def test_patterns_file_is_valid() -> None:
    patterns = load_patterns(boilerplate.PATTERNS_FILE)
    assert "pdf" in patterns.attachment_extensions and "share" in patterns.chrome_tokens


@pytest.mark.parametrize(
    "notice",
    [
        "[ 本帖最后由 城市观察 于 2010-6-23 07:10 编辑 ]",
        "本帖最后由 city_watch 于 2014-1-2 10:11 编辑",
        "【本帖最後由 城市觀察 於 2010-6-23 07:10 編輯】",
        "[ 此帖被城市观察在2012-03-04 08:15重新编辑 ]",
        "最后编辑于 2012-03-04 08:15",
        "Last edited by northsider; 07-19-2014 at 10:22 PM.",
    ],
)
def test_a_posts_edit_notice_is_dropped(notice: str) -> None:
    """Forum engines stamp an edited post with who edited it when: not the post's text."""
    assert clean_lines([*BODY[:2], notice, *BODY[2:]]) == BODY
    assert clean_lines([*BODY, notice]) == BODY


def test_a_sentence_about_editing_stays() -> None:
    line = "本帖最后由版主于2010年统一编辑整理，欢迎大家补充新的线路和站点信息。"
    assert clean_lines([*BODY, line]) == [*BODY, line]


@pytest.mark.parametrize(
    "meta",
    [
        "中国证监会 www.csrc.gov.cn 时间：2020-12-04 来源：",
        "某某市水利局 www.sl.example.gov.cn时间：2021-03-05",
        "市政府办公室 日期：2021年3月5日 浏览次数：",
    ],
)
def test_a_meta_line_opening_with_the_sites_name_is_dropped_at_the_head(meta: str) -> None:
    assert clean_lines([meta, *BODY]) == BODY


def test_a_labelled_date_inside_body_lines_stays() -> None:
    """会议时间：… is a notice's own text (the label is a compound word), and below the head a
    labelled date is body."""
    first = "本次会议时间：2021年3月5日上午九点"
    assert clean_lines([first, *BODY]) == [first, *BODY]
    late = "市水利局 时间：2021-03-05"
    assert clean_lines([*BODY, late]) == [*BODY, late]
