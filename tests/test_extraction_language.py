"""Unit tests for crawler.extract.language: script check first, deterministic langdetect after."""

from __future__ import annotations

import pytest

from crawler.extract.language import detect_language

ZH = "5月21日，2021产城中国市长论坛在太原开幕，来自中部地区的11位市长出席论坛。"
EN = "The mayors' forum opened in Taiyuan on Friday, bringing together city leaders and investors."


@pytest.mark.parametrize(
    ("text", "code"),
    [
        (ZH, "zh"),
        ("仲夏時節(jié),西子之濱、錢江之畔,百余家城投機構(gòu)齊聚。", "zh"),
        (ZH + " CIM、AI、GDP、DTCLOUD", "zh"),
        (EN, "en"),
        ("都市開発フォーラムが東京で開催され、多くの市長が参加しました。", "ja"),
        ("도시 발전 포럼이 서울에서 열렸으며 많은 시장들이 참석했습니다.", "ko"),
        ("", None),
        ("2024-11-04 12345 !!!", None),
    ],
)
def test_detect_language(text: str, code: str | None) -> None:
    assert detect_language(text) == code


def test_langdetect_is_deterministic() -> None:
    text = "Forum sur le développement urbain à Hangzhou avec les maires et les investisseurs."
    results = {detect_language(text) for _ in range(10)}
    assert len(results) == 1 and results.pop() == "fr"


def test_only_the_head_of_a_long_text_is_read() -> None:
    assert detect_language(ZH * 20 + EN * 200) == "zh"
    assert detect_language(EN * 20 + ZH * 200) == "en"
