"""Normalization of extracted text: traditional -> simplified, pinyin, markup, spacing, width."""

from __future__ import annotations

from pathlib import Path

import pytest

from crawler.analyze.normalize import normalize_field, normalize_spacing, normalize_text
from crawler.analyze.script import HAN_CHAR, strip_pinyin

SEEDS = Path(__file__).resolve().parent / "sites" / "seeds"  # real article texts, damage included


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("仲夏時節(jié)", "仲夏时节"),
        ("會(huì)議", "会议"),
        ("城投專(zhuān)委會(huì)", "城投专委会"),
        ("會（huì）議", "会议"),
        ("采用PPP(公私合营)模式(2024)", "采用PPP(公私合营)模式(2024)"),
        ("Taiyuan (China) forum", "Taiyuan (China) forum"),
        ("咖啡(café)馆", "咖啡(café)馆"),
        ("綠(lǜ)色發(fā)展", "绿色发展"),
    ],
)
def test_traditional_and_pinyin(raw: str, clean: str) -> None:
    assert normalize_text(raw).text == clean


@pytest.mark.parametrize(
    ("raw", "clean", "removed"),
    [
        ("相關(guān)負(fù)責(zé)人", "相關負責人", 3),
        ("負責(fù zé)人", "負責人", 1),  # one reading for two characters
        ("會（huì）議", "會議", 1),
        # after debris of a mis-decoded character the reading is still no text (seed 000)
        ("瘯嚓P(guān)負(fù)責(zé)人", "瘯嚓P負責人", 3),
        ("科技創(chuàng)新I(yè)", "科技創新I", 2),
        # whatever precedes it: an ideographic or no-break space, a control, a line start
        ("…嚓P　(guān)負責…", "…嚓P　負責…", 1),
        ("…嚓P\xa0(guān)負責…", "…嚓P\xa0負責…", 1),
        ("嚓\x85(guān)負責", "嚓\x85負責", 1),
        ("嚓P\n(guān)負責", "嚓P\n負責", 1),
        ("(guān)負責", "負責", 1),
        ("？！（guān）負責", "？！負責", 1),
        # no tone mark, no syllable, upper case, or standing apart: not a reading
        ("我們(men)", "我們(men)", 0),
        ("附件(pdf)", "附件(pdf)", 0),
        ("咖啡(café)馆", "咖啡(café)馆", 0),
        ("采用PPP(公私合营)模式(2024)", "采用PPP(公私合营)模式(2024)", 0),
        ("拼音 (pīn yīn)", "拼音 (pīn yīn)", 0),
        ("Beijing(Běijīng)", "Beijing(Běijīng)", 0),
    ],
)
def test_pinyin_rule(raw: str, clean: str, removed: int) -> None:
    assert strip_pinyin(raw) == (clean, removed)


def test_han_ranges() -> None:
    # Unified Ideographs, Extension A, Compatibility Ideographs; not the Yijing hexagrams
    assert all(HAN_CHAR.match(char) for char in "中國㐀䶵﨑")
    assert not any(HAN_CHAR.match(char) for char in "䷀aＡ，。ぁ한")


def test_keep_traditional_still_removes_pinyin() -> None:
    assert normalize_text("會(huì)議", keep_traditional=True).text == "會議"


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("江苏省昆山市副市长王昊  、中国城市规划", "江苏省昆山市副市长王昊、中国城市规划"),
        ("来源  :全国市长研修学院", "来源:全国市长研修学院"),
        ("主持 。 她还谈到 ,公益", "主持。她还谈到,公益"),
        ("“ 创新 ” 。", "“创新”。"),
        ("GDP grew 5.2 percent in 2024", "GDP grew 5.2 percent in 2024"),
        ("开展对话交流 共话新质生产力", "开展对话交流 共话新质生产力"),
        ("习近平  李强  赵乐际出席", "习近平 李强 赵乐际出席"),
        ("发布时间：2024-03-05  来源：新华社", "发布时间：2024-03-05 来源：新华社"),
    ],
)
def test_spacing(raw: str, clean: str) -> None:
    assert normalize_spacing(raw) == clean


def test_markup_entities_width_and_indentation() -> None:
    raw = "\u3000\u3000第一段</p>&nbsp;Ｃ９１９与５Ｇ&amp;ＡＩ。\n\n\u3000\u3000第二段<br/>结束。"
    assert normalize_text(raw).text == "第一段 C919与5G&AI。\n第二段结束。"


def test_counts_what_changed() -> None:
    result = normalize_text("會(huì)議在杭州召開(kāi)")
    assert result.text == "会议在杭州召开"
    assert result.pinyin_readings == 2 and result.traditional_chars == 3
    assert normalize_text("会议在杭州召开").traditional_chars == 0


def test_fields() -> None:
    assert normalize_field(None) is None
    assert normalize_field("  ") is None
    assert normalize_field("城投專(zhuān)委會(huì)") == "城投专委会"


def test_seed_000_reads_as_clean_simplified_text() -> None:
    text = normalize_text((SEEDS / "000_a7a0bca35a6d5832.txt").read_text(encoding="utf-8")).text
    assert "仲夏时节,西子之滨" in text
    assert "全国城投产业发展会议" in text
    assert "(jié)" not in text and "節" not in text
    assert len(text.split("\n")) >= 10


def test_seed_004_spacing_repaired() -> None:
    text = normalize_text((SEEDS / "004_514f70184663a18f.txt").read_text(encoding="utf-8")).text
    assert "王昊、中国城市规划设计研究院副院长邓东、" in text
    assert "  " not in text and " 、" not in text and " 。" not in text
