"""Quality flags: spam injection, encoding damage and repair, and the article-shape flags."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from crawler.analyze import spam
from crawler.analyze.analysis import analyze
from crawler.analyze.mojibake import repair_text
from crawler.analyze.quality import QualityInput, quality_flags
from crawler.analyze.spam import find_spam, load_patterns
from crawler.extract.extraction import ExtractedArticle
from crawler.extract.options import DEFAULT_OPTIONS, ExtractOptions

SEEDS = Path(__file__).resolve().parent / "sites" / "seeds"  # real article texts, damage included
BODY = (
    "10月27日，由全国市长研修学院主办的2024年市长论坛在北京举办。论坛以发展新质生产力为主题，"
    "来自全国各地的市长、副市长，有关部门负责同志和专家学者共300余人参加。\n"
    "与会人员表示，要把发展新质生产力与推进城市更新结合起来，推动城市发展方式转变。"
)


def article(**changes: object) -> ExtractedArticle:
    base = ExtractedArticle(
        title="2024年市长论坛在京举办",
        text=BODY,
        published_on=date(2024, 10, 29),
        published_at=None,
        author=None,
        origin="全国市长研修学院",
        site_name="全国市长研修学院",
        language="zh",
        encoding="utf-8",
        attachments=(),
    )
    return replace(base, **changes)  # type: ignore[arg-type]


def flags_of(extracted: ExtractedArticle, options: ExtractOptions = DEFAULT_OPTIONS) -> list[str]:
    return analyze(extracted, options, fetched_at=datetime(2024, 11, 1, tzinfo=UTC)).flags


def test_the_source_options_reach_the_flags() -> None:
    """The source's name (from its ExtractOptions) is the site a stated origin is compared with;
    keeping traditional characters keeps them unflagged."""
    reposted = article(site_name=None, origin="湖北日报")
    assert "repost" in flags_of(reposted, ExtractOptions(source_name="荆门市人民政府门户网站"))
    assert "repost" not in flags_of(reposted, ExtractOptions(source_name="湖北日报"))
    traditional = article(text=BODY.replace("论坛", "論壇").replace("举办", "舉辦"))
    assert "traditional_converted" in flags_of(traditional)
    assert "traditional_converted" not in flags_of(
        traditional, ExtractOptions(keep_traditional=True)
    )


def test_clean_article_has_no_flags() -> None:
    assert flags_of(article()) == []


@pytest.mark.parametrize(
    "text",
    [
        "北京z6尊龙官网科技股份有限公司高级总裁吴鹏",
        "欢迎访问凯时娱乐官网，注册送88元",
        "本站提供百家乐、真人视讯等在线投注服务",
        "ag8尊龙人生就是博",
    ],
)
def test_spam_injection(text: str) -> None:
    assert find_spam(text)
    assert "spam_injection" in flags_of(article(text=f"{BODY}\n{text}"))


@pytest.mark.parametrize(
    "text",
    [
        "本市体育彩票公益金用于全民健身设施建设。",
        "金沙江畔的攀枝花市举办康养论坛。",
        "广联达科技股份有限公司副总裁郭建锋、5G基站与C919大飞机项目签约。",
        "皇冠假日酒店承办了本次会议。",
        "国务院新闻办公室召开重大发布会，扩大发行规模。",
        "召开云计算产业大会，数万博士后进站，务必发扬优良作风。",
        "严厉打击跨境赌场和网络赌博，破获一起利用老虎机赌博案。",
        "开云县、永利区打造金沙湖公园，华体会展中心举办亚博会。",
    ],
)
def test_no_spam_in_legitimate_text(text: str) -> None:
    assert find_spam(text) == []


def test_spam_patterns_live_in_the_data_file(tmp_path: Path) -> None:
    custom = tmp_path / "spam.yaml"
    custom.write_text("brands: [某某币]\npatterns: ['(?:{brands})交易所']\n", encoding="utf-8")
    patterns = load_patterns(custom)
    assert patterns.patterns[0].search("某某币交易所")
    assert spam.SPAM_FILE.name == "spam.yaml" and spam.get_patterns().patterns


def test_seed_004_spam_is_flagged() -> None:
    text = (SEEDS / "004_514f70184663a18f.txt").read_text(encoding="utf-8")
    assert "spam_injection" in flags_of(article(text=text))


def test_seed_000_damage_is_flagged() -> None:
    text = (SEEDS / "000_a7a0bca35a6d5832.txt").read_text(encoding="utf-8")
    flags = flags_of(article(text=text))
    assert {"encoding_damage", "traditional_converted", "pinyin_removed"} <= set(flags)


def test_reversible_mojibake_is_repaired() -> None:
    garbled = "论坛在" + "城市更新".encode().decode("cp1252") + "大会召开"
    report = repair_text(garbled)
    assert report.text == "论坛在城市更新大会召开" and report.repaired == 1 and report.damaged == 0
    gbk_as_latin1 = "论坛在" + "中国".encode("gbk").decode("latin-1") + "召开"
    assert repair_text(gbk_as_latin1).text == "论坛在中国召开"
    result = analyze(article(text=f"{BODY}\n{garbled}"))
    assert "城市更新大会" in result.text and "encoding_repaired" in result.flags
    assert "encoding_damage" not in result.flags


@pytest.mark.parametrize(
    "text",
    [
        "示范作用?!背峭秾N瘯嚓P",
        "华为、正泰、??低暤戎髽I代表",
        "锟斤拷锟斤拷",
    ],
)
def test_unrepairable_damage_is_flagged(text: str) -> None:
    assert repair_text(text).damaged > 0


def test_replacement_characters_are_counted() -> None:
    assert "encoding_damage" in flags_of(article(replacement_chars=2))


def test_clean_punctuation_is_not_damage() -> None:
    assert repair_text("他说：“发展——“创新”。” Déjà vu 为什么?").damaged == 0
    assert repair_text("你知道吗?我们一起去").damaged == 0


@pytest.mark.parametrize("text", ["关于××××的通知", "××××年××月××日", "×××同志："])
def test_template_placeholders_are_left_alone(text: str) -> None:
    assert repair_text(text) == repair_text(text).__class__(text=text, damaged=0, repaired=0)


def base_input(**changes: object) -> QualityInput:
    base = QualityInput(
        title="标题",
        text=BODY,
        published_on=date(2024, 10, 29),
        fetched_at=datetime(2024, 11, 1, tzinfo=UTC),
        language="zh",
        origin=None,
        site_name="荆门市人民政府",
        source_name="荆门市人民政府门户网站",
        attachments=0,
        spam=[],
        encoding_damaged=0,
        encoding_repaired=0,
        traditional_chars=0,
        pinyin_readings=0,
    )
    return replace(base, **changes)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("changes", "flag"),
    [
        ({"title": None}, "no_title"),
        ({"published_on": None}, "no_date"),
        ({"published_on": date(2025, 3, 1)}, "future_date"),
        ({"text": ""}, "empty_body"),
        ({"text": "会议召开。"}, "short_body"),
        ({"text": "首页\n新闻中心\n政务公开\n联系我们\n网站地图"}, "boilerplate_only"),
        ({"text": "现将规划印发给你们。附件：规划文本", "attachments": 1}, "attachment_only"),
        ({"language": "en"}, "foreign_language"),
        ({"origin": "荆门日报"}, "repost"),
    ],
)
def test_shape_flags(changes: dict[str, object], flag: str) -> None:
    assert flag not in quality_flags(base_input())
    assert flag in quality_flags(base_input(**changes))


@pytest.mark.parametrize("origin", ["荆门市人民政府", "本站", "荆门市人民政府网站"])
def test_own_origin_is_not_a_repost(origin: str) -> None:
    assert "repost" not in quality_flags(base_input(origin=origin))


def test_abbreviated_own_name_is_not_a_repost() -> None:
    item = base_input(
        origin="城投专委会", site_name=None, source_name="城市建设投融资研究专业委员会"
    )
    assert "repost" not in quality_flags(item)


@pytest.mark.parametrize(
    ("origin", "site"), [("人民网", "成都市人民政府"), ("中国网", "中国政府网")]
)
def test_a_short_name_inside_the_site_name_is_still_a_repost(origin: str, site: str) -> None:
    assert "repost" in quality_flags(base_input(origin=origin, site_name=site, source_name=None))


@pytest.mark.parametrize(
    ("origin", "site"),
    [
        ("市政府新闻办", "荆门市人民政府"),
        ("荆门市政府新闻办", "荆门市人民政府"),
        ("荆门市人民政府新闻办公室", "荆门市人民政府门户网站"),
        ("中共荆门市委宣传部", "荆门市人民政府"),
        ("市委宣传部", "成都市人民政府"),
        ("成都市新闻中心", "成都市人民政府"),
        ("湖北省荆门市人民政府新闻办公室", "荆门市人民政府"),
        ("荆门发布", "荆门市人民政府"),
        ("东宝区融媒体中心", "荆门市东宝区人民政府"),
    ],
)
def test_the_citys_own_press_office_is_not_a_repost(origin: str, site: str) -> None:
    item = base_input(origin=origin, site_name=site, source_name=None)
    assert "repost" not in quality_flags(item)


@pytest.mark.parametrize(
    ("origin", "site"),
    [
        ("武汉市政府新闻办", "荆门市人民政府"),
        ("湖北省政府新闻办", "荆门市人民政府"),
        ("国务院新闻办公室", "荆门市人民政府"),
        ("中共武汉市委宣传部", "荆门市人民政府"),
        ("成都发布", "荆门市人民政府"),
    ],
)
def test_another_places_press_office_is_a_repost(origin: str, site: str) -> None:
    item = base_input(origin=origin, site_name=site, source_name=None)
    assert "repost" in quality_flags(item)
