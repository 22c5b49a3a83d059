"""The relevance scorer: explainable verdicts, taxonomy topics, and quality on the labelled set."""

from __future__ import annotations

from pathlib import Path

import pytest

from crawler.analyze.normalize import normalize_field, normalize_text
from crawler.analyze.relevance import RULES_FILE, TOPICS_FILE, load_rules, score_article
from tests.relevance_set import evaluate, load_set

FORUM = (
    "11月19日至21日，2017中国新型城市论坛荆门峰会在荆门国际会展中心举行。来自联合国人居署、"
    "国家部委以及各行业的专家学者齐聚一堂，纵论新型城市建设。开幕式上，嘉宾作主旨演讲。"
)


def test_forum_report_is_relevant_and_explained() -> None:
    result = score_article("2017中国新型城市论坛荆门峰会隆重开幕", FORUM)
    assert result.relevant and result.score >= result.threshold
    fired = {signal.rule for signal in result.signals}
    assert {"event_in_title", "held_in_lead", "programme", "gathering"} <= fired
    assert all(signal.matched for signal in result.signals)
    assert "green_low_carbon" not in result.topics


@pytest.mark.parametrize(
    "title",
    [
        "2024城市更新论坛会务服务采购项目中标结果公告",
        "关于城市发展峰会期间实施临时交通管制的通告",
        "关于举办2025年第一期城市管理干部专题培训班的通知",
        "关于拟任秘书处副秘书长人选的公示",
        "市政府召开第十五次常务会议",
        "荆门市人民代表大会常务委员会公告",
    ],
)
def test_everyday_items_that_mention_a_meeting_are_not_relevant(title: str) -> None:
    result = score_article(title, FORUM)
    assert not result.relevant
    assert any(signal.weight < 0 for signal in result.signals)


def test_announcement_of_a_conference_is_relevant() -> None:
    text = (
        "各会员单位：\n经研究，定于2025年3月下旬在广州召开2025年全国城投产业发展会议。"
        "现将有关事项预通知如下。"
    )
    assert score_article("关于召开2025年全国城投产业发展会议的预通知", text).relevant


def test_topics_come_from_the_taxonomy() -> None:
    text = "论坛围绕城市更新、老旧小区改造和城投企业投融资模式创新展开讨论。城投企业要转型。"
    result = score_article("城市更新论坛在武汉举办", text)
    assert result.topics[:2] == ["urban_renewal", "city_investment"]


def test_scoring_runs_on_normalized_traditional_text() -> None:
    title = normalize_field("全國城投產(chǎn)業(yè)發(fā)展會(huì)議在杭州召開(kāi)")
    text = normalize_text("7月24—25日,全國城投產業發展會議在杭州召開,百余家城投機構齊聚。").text
    assert score_article(title, text).relevant


def test_bad_rule_file_names_the_entry(tmp_path: Path) -> None:
    bad = tmp_path / "relevance.yaml"
    bad.write_text("threshold: 5\nrules:\n  - {name: x, where: footer, pattern: a, weight: 1}\n")
    with pytest.raises(ValueError, match=r"rules\[0\]\.where"):
        load_rules(bad, TOPICS_FILE)
    assert load_rules(RULES_FILE, TOPICS_FILE).rules


def test_labelled_set_meets_the_targets() -> None:
    entries = load_set()
    assert len(entries) >= 60
    kinds = {entry["kind"] for entry in entries if not entry["relevant"]}
    assert {"procurement", "personnel", "traffic_notice", "training_notice"} <= kinds
    found = evaluate(entries)
    errors = [entry["id"] for entry, _ in found.errors()]
    assert found.precision >= 0.95 and found.recall >= 0.95, errors


def test_event_off_the_circuit_is_not_relevant() -> None:
    text = "8月16日，2024年全省骨科学术年会在兰州召开，300余名骨科医师参会，交流关节置换新技术。"
    result = score_article("2024年全省骨科学术年会在兰州召开", text)
    assert not result.relevant
    assert [s.rule for s in result.signals if s.weight < 0] == ["off_theme"]


def test_english_report_of_a_forum_is_relevant() -> None:
    text = (
        "TAIYUAN, June 2 -- More than 200 mayors and business leaders gathered in Taiyuan for the "
        "2021 Chancheng China Mayors' Forum.\nThey joined three panel dialogues on urban renewal."
    )
    result = score_article("Mayors discuss industry-city integration in Taiyuan", text)
    assert result.relevant
    assert not score_article("Spring tourism heats up", "Visitors flocked to parks.").relevant


@pytest.mark.parametrize(
    ("title", "text"),
    [
        (
            "第六届进博会闭幕 意向成交784亿美元",
            "第六届中国国际进口博览会在上海闭幕，各国展商齐聚，城市投资合作签约。",
        ),
        (
            "中日韩投资合作论坛在京举行 三方开展磋商",
            "论坛在北京举行，三国城市代表与会，共商投资合作。",
        ),
        (
            "第五届城市安全论坛：共同维护城市安全",
            "论坛在深圳举办，来自全国的专家齐聚，共话城市安全。",
        ),
    ],
)
def test_words_shared_with_notices_do_not_sink_event_reports(title: str, text: str) -> None:
    assert score_article(title, text).relevant
