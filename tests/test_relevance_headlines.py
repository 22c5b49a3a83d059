"""Headlines that name an event of the forum kind are relevant on their own; everyday items that
share the pages (recruitment, notices, a web forum's 论坛) are not; spam injected into the body
changes neither verdict."""

from __future__ import annotations

import pytest

from crawler.analyze.normalize import normalize_field, normalize_text
from crawler.analyze.relevance import score_article, without_spam

# A body that says nothing about the event (a short item, a photo page, a video page).
NEUTRAL = (
    "本网讯 近日，相关活动在当地举行。\n城市各有关单位负责同志参加。\n"
    "下一步，将进一步推动城市高质量发展。"
)
# Gambling SEO spam as hacked pages inject it, with words that event reports also use.
SPAM = (
    "澳门新葡京娱乐场官网 百家乐在线 注册就送 嘉宾专享 签约送彩金 与会会员共话 主旨演讲 开幕式 论坛"
)
BODIES = {
    "neutral": NEUTRAL,
    "spam_after": f"{NEUTRAL}\n{SPAM}",
    "spam_before": f"{SPAM}\n{NEUTRAL}",
    "spam_inline": NEUTRAL.replace("参加。", f"参加。{SPAM}。"),
}

FORUM_HEADLINES = [
    "市长论坛 | 开展对话交流 共话“新质生产力推动城市创新发展”",
    "2024中国—东盟城市合作市长论坛在南宁开幕",
    "第十届中国城市规划年会在武汉召开",
    "城市更新论坛丨专家学者共话老城焕新",
    "成都：2025中国城市发展论坛聚焦公园城市建设",
    "第二十届中国—东盟博览会开幕 南宁招商签约项目超百个",
    "粤港澳大湾区城市发展峰会在深圳举行",
    "长三角城市经济协调会市长联席会议暨城市合作峰会在合肥举办",
    "西安举办“一带一路”城市投资合作研讨会",
    "2023城投产业发展年会在杭州举行",
    "中国（郑州）国际投资贸易洽谈会开幕",
    "城市治理现代化研讨会在济南召开",
    "厦门国际投资贸易洽谈会 | 城市更新与产业投资专题论坛举办",
    "中国城市规划学会年会：共谋县域城镇化新路径",
    "新型城镇化高峰论坛在长沙举行 专家纵论城乡融合",
    "第五届进博会城市开放合作论坛在上海举办",
    "天津：智慧城市博览会开幕 百余家企业参展",
    "昆明举办区域投资合作峰会 共话南亚东南亚开放",
    "哈尔滨都市圈发展论坛举行",
    "沈阳召开营商环境建设研讨会",
    "福州：海峡城市建设博览会签约项目78个",
    "2025世界城市峰会市长论坛在新加坡举行",
    "南京都市圈城市发展联盟年会召开",
    "乌鲁木齐亚欧城市合作论坛 | 开幕式暨主旨演讲",
    "贵阳数博会城市数字化转型论坛举办",
    "苏州举办城市片区开发投融资研讨会",
    "兰州新区招商推介会暨投资合作座谈会召开",
    "海口：自贸港城市建设论坛聚焦基础设施投资",
    "重庆市召开城市基础设施建设座谈会 共商城市更新",
    "青岛召开城市建设座谈会：企业家建言城市更新",
]

NOT_EVENTS = [
    "2024城市发展论坛会务服务采购项目中标公告",
    "关于公开招聘城市规划研究院工作人员的公告",
    "市城市管理局2025年公开招聘编外人员简章",
    "关于2025年元旦放假安排的通知",
    "关于开展城市建设领域安全生产检查的通知",
    "关于印发《城市更新行动实施方案》的通知",
    "市民论坛：网友反映城市道路路灯不亮问题的回复",
    "关于市民论坛系统维护暂停访问的公告",
    "城市论坛版块网友留言办理情况",
    "关于城市发展峰会期间实施临时交通管制的通告",
    "2025年城市规划专题培训班开班",
    "关于公布2024年度城市更新示范项目名单的通知",
]


def _score(title: str, body: str) -> bool:
    return score_article(normalize_field(title), normalize_text(body).text).relevant


@pytest.mark.parametrize("body", sorted(BODIES))
@pytest.mark.parametrize("title", FORUM_HEADLINES)
def test_headline_naming_a_forum_kind_event_is_relevant(title: str, body: str) -> None:
    assert _score(title, BODIES[body])


@pytest.mark.parametrize("body", sorted(BODIES))
@pytest.mark.parametrize("title", NOT_EVENTS)
def test_everyday_items_stay_irrelevant_with_or_without_spam(title: str, body: str) -> None:
    assert not _score(title, BODIES[body])


def test_the_mayors_forum_headline_reaches_the_threshold() -> None:
    result = score_article(FORUM_HEADLINES[0], "")
    assert result.relevant, result.signals
    assert {"event_in_title", "event_framed_in_title"} <= {s.rule for s in result.signals}


def test_spam_sentences_are_left_out_of_the_scored_text() -> None:
    text = normalize_text(BODIES["spam_inline"]).text
    assert "新葡京" not in without_spam(text)
    assert "负责同志参加" in without_spam(text)
    assert without_spam(NEUTRAL) == NEUTRAL
