"""Unit tests for crawler.extract.metadata: title suffix stripping, site name, origin and author."""

from __future__ import annotations

import pytest

from crawler.extract.metadata import (
    find_author,
    find_origin,
    find_site_name,
    find_title,
    split_title,
)


@pytest.mark.parametrize(
    ("raw", "title", "site"),
    [
        (
            "2017中国新型城市论坛荆门峰会综述_荆门市人民政府",
            "2017中国新型城市论坛荆门峰会综述",
            "荆门市人民政府",
        ),
        ("市长论坛成功举办 - 商务部投资促进事务局", "市长论坛成功举办", "商务部投资促进事务局"),
        (
            "城投产业发展会议在杭州召开|中国城市发展研究会",
            "城投产业发展会议在杭州召开",
            "中国城市发展研究会",
        ),
        (
            "城市更新论坛在长沙开幕_政务动态_长沙市人民政府",
            "城市更新论坛在长沙开幕",
            "长沙市人民政府",
        ),
        ("商务部 - 一个很长的文章标题在这里", "一个很长的文章标题在这里", "商务部"),
        (
            "市长论坛 | 开展对话交流 共话新质生产力-全国市长研修学院",
            "市长论坛 | 开展对话交流 共话新质生产力",
            "全国市长研修学院",
        ),
        ("京津冀-雄安新区规划发布", "京津冀-雄安新区规划发布", None),
        ("市民广场举行金融知识宣传活动--某某商报", "市民广场举行金融知识宣传活动", "某某商报"),
        ("市十七届人大常委会工作报告_某某都市报", "市十七届人大常委会工作报告", "某某都市报"),
        ("2021-2025年城市发展规划", "2021-2025年城市发展规划", None),
        (
            "“产城融合•场景营城”——2021中博会•产城中国市长论坛成功举办",
            "“产城融合•场景营城”——2021中博会•产城中国市长论坛成功举办",
            None,
        ),
    ],
)
def test_split_title(raw: str, title: str, site: str | None) -> None:
    assert split_title(raw) == (title, site)


def test_known_site_name_is_stripped_even_without_a_suffix_hint() -> None:
    assert split_title("城市论坛举行 - 城市头条", ["城市头条"]) == ("城市论坛举行", "城市头条")


def test_title_prefers_the_heading_that_title_tag_confirms() -> None:
    headings = ["荆门市人民政府", "2017中国新型城市论坛荆门峰会综述", "相关新闻列表"]
    title, site = find_title("2017中国新型城市论坛荆门峰会综述_荆门市人民政府", {}, headings)
    assert (title, site) == ("2017中国新型城市论坛荆门峰会综述", "荆门市人民政府")


def test_title_heading_completes_a_truncated_title_tag() -> None:
    heading = "关于召开2024中国城市规划年会暨城市更新专题研讨会的通知"
    assert find_title("关于召开2024中国城市规划年会暨...", {}, [heading])[0] == heading


def test_title_from_meta_when_title_tag_is_only_the_site() -> None:
    meta = {"og:site_name": "城市头条", "articletitle": "城市论坛在太原开幕"}
    assert find_title("城市头条", meta, ["城市头条"])[0] == "城市论坛在太原开幕"
    assert (
        find_title("城市头条", {"og:site_name": "城市头条"}, ["城市头条", "论坛开幕"])[0]
        == "论坛开幕"
    )


def test_title_missing_everywhere() -> None:
    assert find_title("", {}, []) == (None, None)


def test_site_name_sources() -> None:
    assert find_site_name({"og:site_name": "南方网"}, "别的", []) == "南方网"
    assert find_site_name({}, "荆门市人民政府", []) == "荆门市人民政府"
    lines = ["正文", "版权所有：商务部投资促进事务局", "京ICP备14022686号-4"]
    assert find_site_name({}, None, lines) == "商务部投资促进事务局"
    assert find_site_name({}, None, ["正文"]) is None


@pytest.mark.parametrize(
    ("head", "body", "origin"),
    [
        (["发布时间：2024-11-04 来源：荆门日报 作者：张三"], [], "荆门日报"),
        (["发布时间：2024-11-04来源：荆门日报作者：张三"], [], "荆门日报"),
        (["文章来源: 文章类型: 内容分类:"], [], None),
        ([], ["正文第一段。", "转自:人民资讯"], "人民资讯"),
        ([], ["正文第一段。", "来源  :全国市长研修学院"], "全国市长研修学院"),
        ([], ["正文。", "其他媒体转载时必须注明:“文章来源:商务部网站”。" * 3], None),
        (["來(lái)源：城投專委會"], [], "城投專委會"),
        ([], ["正文第一段。", "数据来源：国家统计局"], None),
    ],
)
def test_origin(head: list[str], body: list[str], origin: str | None) -> None:
    assert find_origin({}, head, body) == origin


def test_origin_from_tagged_element_and_meta() -> None:
    assert find_origin({}, [], [], tagged=["来源：人民网"]) == "人民网"
    assert find_origin({}, [], [], tagged=["新华社"]) == "新华社"
    assert find_origin({"contentsource": "荆门日报"}, [], []) == "荆门日报"


@pytest.mark.parametrize(
    ("head", "body", "meta", "author"),
    [
        (["来源：湖北日报 作者：李明"], [], {}, "李明"),
        ([], ["正文。", "……该会展中心将打造成为永久会址。(邓显军)"], {}, "邓显军"),
        ([], ["正文。", "……将打造成为永久会址。（记者 张三 李四）"], {}, "张三 李四"),
        ([], ["正文。", "……让市民在游戏中学习金融知识。(文/图 王小川 刘丹)"], {}, "王小川 刘丹"),
        ([], ["生态城市中国行(荆门站)"], {}, None),
        ([], ["正文。", "（责任编辑：陈晓）"], {}, "陈晓"),
        ([], ["正文。", "作者：王小川 刘丹返回搜狐，查看更多"], {}, "王小川 刘丹"),
        ([], ["正文。"], {"author": "王五"}, "王五"),
        ([], ["正文。"], {"author": "荆门市人民政府办公室"}, None),
    ],
)
def test_author(head: list[str], body: list[str], meta: dict[str, str], author: str | None) -> None:
    assert find_author(meta, head, body) == author


def test_title_is_the_headline_that_one_title_segment_names() -> None:
    """``标题 - 博主 - 博客园``: the site part is not recognisable, but one whole segment of
    ``<title>`` is the post's (permalinked) headline."""
    raw = "周末走老城：护城河边的两种日子 - 李明 - 博客园"
    headlines = [
        "李明的城市笔记",
        "周末走老城：护城河边的两种日子",
        "re: 周末走老城：护城河边的两种日子",
    ]
    assert find_title(raw, {}, [], headlines)[0] == "周末走老城：护城河边的两种日子"
    discuz = "新区公交线路调整后上班要倒两次车 - 城市建设 - 江城论坛 - Powered by Discuz!"
    assert find_title(discuz, {}, ["新区公交线路调整后上班要倒两次车"])[0] == (
        "新区公交线路调整后上班要倒两次车"
    )
    # no segment is shown on the page: <title> stays as it was
    assert find_title(raw, {}, [], ["李明的城市笔记"])[0] == raw


def test_attachments_a_script_writes_into_the_page() -> None:
    """TRS notices keep their attachment list in a script variable and document.write it; the
    documents are attachments as a plain link would be. A script's other links are not."""
    from lxml.html import document_fromstring

    from crawler.extract.metadata import find_attachments

    page = """<html><body><div class="TRS_Editor"><p>某某工程验收意见，详见附件。</p></div>
    <script language="javascript">
    var file_appendix='<a href="./P020210305123.docx">验收意见.docx</a><br><a href="./P020210305124.pdf" class=h12><font>附表</font></a>';
    if(file_appendix!=""){ document.write('<table><tr><td>'+file_appendix+'</td></tr></table>'); }
    document.write('<a href="/wcm/search.jsp">站内搜索</a>');
    var escaped = "<a href=\\"/files/notice.xls\\">名单</a>";
    </script><a href="/doc/guide.pdf">办事指南</a></body></html>"""
    found = find_attachments(
        document_fromstring(page), "http://sl.example.gov.cn/tzgg/202103/t1.html"
    )
    assert found == (
        ("http://sl.example.gov.cn/doc/guide.pdf", "办事指南"),
        ("http://sl.example.gov.cn/tzgg/202103/P020210305123.docx", "验收意见.docx"),
        ("http://sl.example.gov.cn/tzgg/202103/P020210305124.pdf", "附表"),
        ("http://sl.example.gov.cn/files/notice.xls", "名单"),
    )
