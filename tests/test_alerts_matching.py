"""Alert rules, pure: keywords (traditional/simplified, case, width, aliases, any/all/none),
the other conditions of a rule (relevance, quality flags, sources, tags, topics, max_age), digest
times, and messages that carry crawled text as plain text."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from crawler.alerts.channels import channel_key, channel_label, sending_url
from crawler.alerts.keywords import KeywordMatcher, fold
from crawler.alerts.message import (
    DigestEntry,
    article_message,
    digest_message,
    excerpt,
    for_channel,
    safe_link,
)
from crawler.alerts.outbox import next_digest_time
from crawler.alerts.rules import BAD_FLAGS, ArticleFacts, match_rule
from crawler.config import AlertRule, KeywordMatch

NOW = datetime(2026, 12, 2, 6, 0, tzinfo=UTC)  # 14:00 in Shanghai
TZ = ZoneInfo("Asia/Shanghai")
MATCHER = KeywordMatcher([["长三角", "长江三角洲"]])


def kw(**lists: list[str]) -> KeywordMatch:
    return KeywordMatch(**lists)


def test_fold_ignores_script_case_width_and_spacing() -> None:
    assert fold("城市規劃年會") == "城市规划年会"
    assert fold("ＬＧＦＶ　Forum") == "lgfv forum"
    assert fold("Urban\n  Renewal") == "urban renewal"


@pytest.mark.parametrize(
    ("keyword", "title", "text"),
    [
        ("论坛", "第五届城市發展論壇開幕", ""),  # traditional article, simplified keyword
        ("論壇", "第五届城市发展论坛开幕", ""),  # traditional keyword, simplified article
        ("lgfv", "", "Reforming LGFVs in 2025"),  # case
        ("ＬＧＦＶ", "", "lgfv debt"),  # full-width keyword
        ("城投", "地方融资平台转型座谈会", ""),  # built-in alias group
        ("融资平台", "城投公司高质量发展论坛", ""),  # any member stands for the group
        ("長江三角洲", "长三角一体化发展高层论坛", ""),  # config alias, traditional keyword
        ("urban renewal", "", "an Urban   Regeneration summit"),  # English alias, spacing
    ],
)
def test_keyword_matches(keyword: str, title: str, text: str) -> None:
    assert MATCHER.match(kw(any=[keyword]), title, text) == [keyword]


def test_any_all_none() -> None:
    title, text = "城市更新论坛在荆门举行", "与会代表讨论了城投转型。"
    assert MATCHER.match(kw(any=["峰会", "论坛"]), title, text) == ["论坛"]
    assert MATCHER.match(kw(any=["峰会", "年会"]), title, text) is None
    assert MATCHER.match(kw(all=["论坛", "融资平台"]), title, text) == ["论坛", "融资平台"]
    assert MATCHER.match(kw(all=["论坛", "新质生产力"]), title, text) is None
    assert MATCHER.match(kw(any=["论坛"], none=["城市投资"]), title, text) is None  # alias of 城投
    assert MATCHER.match(kw(any=["论坛"], none=["招聘"]), title, text) == ["论坛"]
    assert MATCHER.match(kw(), title, text) == []  # no keywords: every article


def facts(**fields: object) -> ArticleFacts:
    values: dict[str, object] = {
        "title": "长三角城市发展论坛开幕",
        "text": "论坛正文。",
        "source_id": "a",
        "fetched_at": NOW - timedelta(minutes=5),
        "source_tags": ("gov",),
        "topics": ("urban_renewal",),
        "relevant": True,
        "flags": ("repost", "no_date"),
        "published_on": date(2026, 12, 2),
    }
    values.update(fields)
    return ArticleFacts(**values)  # type: ignore[arg-type]


def rule(**fields: object) -> AlertRule:
    return AlertRule.model_validate({"name": "r", "notify": ["json://127.0.0.1/x"], **fields})


def matches(r: AlertRule, f: ArticleFacts, now: datetime = NOW) -> list[str] | None:
    return match_rule(r, f, matcher=MATCHER, now=now, tz=TZ)


def test_relevance_is_required_by_default() -> None:
    assert matches(rule(), facts()) == []
    assert matches(rule(), facts(relevant=False)) is None
    assert matches(rule(), facts(relevant=None)) is None
    assert matches(rule(match={"relevant": False}), facts(relevant=False)) == []


@pytest.mark.parametrize("flag", sorted(BAD_FLAGS))
def test_flagged_articles_alert_only_when_the_rule_allows_the_flag(flag: str) -> None:
    assert matches(rule(), facts(flags=("repost", flag))) is None
    assert matches(rule(match={"flags": [flag]}), facts(flags=(flag,))) == []
    assert matches(rule(match={"flags": ["any"]}), facts(flags=(flag, "spam_injection"))) == []


def test_sources_tags_topics_and_keywords() -> None:
    assert matches(rule(match={"sources": ["b"]}), facts()) is None
    assert matches(rule(match={"sources": ["a", "b"]}), facts()) == []
    assert matches(rule(match={"tags": ["assoc"]}), facts()) is None
    assert matches(rule(match={"tags": ["gov"]}), facts()) == []
    assert matches(rule(match={"topics": ["smart_city"]}), facts()) is None
    assert matches(rule(match={"keywords": ["長江三角洲"]}), facts()) == ["長江三角洲"]
    assert matches(rule(match={"keywords": {"none": ["论坛"]}}), facts()) is None


def test_max_age() -> None:
    r = rule(max_age="3d")
    # a date only: counted from the end of that day in the config's zone
    assert matches(r, facts(published_on=date(2026, 11, 29))) == []  # ends 3 days ago, 14:00
    assert matches(r, facts(published_on=date(2026, 11, 28))) is None
    # a time of day: counted from it
    at = NOW - timedelta(days=3, minutes=1)
    assert matches(r, facts(published_on=at.date(), published_at=at)) is None
    assert matches(r, facts(published_at=NOW - timedelta(days=2))) == []
    # no date at all: counted from when it was first seen
    assert matches(r, facts(published_on=None, fetched_at=NOW - timedelta(hours=1))) == []
    assert matches(r, facts(published_on=None, fetched_at=NOW - timedelta(days=4))) is None
    # a fresh repost of a story first seen long ago is old news
    assert matches(r, facts(story_first_seen=NOW - timedelta(days=2))) == []
    assert matches(r, facts(story_first_seen=NOW - timedelta(days=30))) is None


def test_next_digest_time_in_the_config_zone() -> None:
    # 14:00 Shanghai: today's 08:00 is past, so tomorrow 08:00 Shanghai = 00:00 UTC
    assert next_digest_time(NOW, time(8, 0), TZ) == datetime(2026, 12, 3, 0, 0, tzinfo=UTC)
    assert next_digest_time(NOW, time(18, 30), TZ) == datetime(2026, 12, 2, 10, 30, tzinfo=UTC)


HOSTILE = (
    '<script>alert(1)</script> <a href="javascript:alert(2)">点我</a> '
    '[x](javascript:alert(3)) *粗体* <at user_id="all">所有人</at>\x1b[31m\u202e反转\nSubject: x'
)


def test_messages_keep_crawled_text_plain_and_links_safe() -> None:
    payload = {
        "title": HOSTILE,
        "url": "javascript:alert(1)",
        "source_id": "a",
        "source_name": "荆门市\x07政府",
        "published_on": "2026-12-02",
        "excerpt": excerpt("第一段\x1b[2J正文。\n\n第二段正文。\n第三段不出现。"),
    }
    msg = article_message(payload, rule="论坛", matched=["论坛"], other_sites=["b站", "c站"])
    assert "\n" not in msg.title and "\x1b" not in msg.title and "\u202e" not in msg.title
    assert "<script>alert(1)</script>" in msg.title  # literal: channels get it as text
    assert "javascript:" not in msg.body.split("链接：")[1].split("\n")[0]
    assert "第一段[2J正文。" in msg.body and "第二段正文。" in msg.body
    assert "第三段" not in msg.body
    assert "其他转载网站：b站、c站" in msg.body and "荆门市 政府" in msg.body
    assert safe_link("https://example.gov.cn/a.html") == "https://example.gov.cn/a.html"
    for bad in ("javascript:alert(1)", "data:text/html,x", "http://a b", "ftp://x/y"):
        assert safe_link(bad) is None
    feishu = for_channel(msg, "feishu://token/")
    assert "<" not in feishu.title + feishu.body and "＜at user_id" in feishu.title
    assert for_channel(msg, "json://host/") == msg


def test_digest_lists_every_article() -> None:
    entries = [
        DigestEntry(
            {"title": f"论坛{n}", "url": f"https://x.cn/{n}", "source_name": "a"}, ["论坛"], []
        )
        for n in range(3)
    ]
    msg = digest_message("每日", "2026-12-02", entries)
    assert "3 篇" in msg.title
    for n in range(3):
        assert f"{n + 1}. 论坛{n}" in msg.body and f"https://x.cn/{n}" in msg.body


def test_channel_keys_and_labels_hide_secrets() -> None:
    url = "mailto://user:hunter2@smtp.example.org:465?to=a@example.org"
    assert channel_key(url) == channel_key(url + " ") != channel_key(url + "&x=1")
    assert "hunter2" not in channel_label(url)
    assert "t0ps3cr3tt0k3n" not in channel_label("dingtalk://t0ps3cr3tt0k3n/")
    sent = sending_url("dingtalk://tok/?format=markdown&rto=9", connect=1, read=2)
    assert sent == "dingtalk://tok/?rto=9&cto=1&format=text"
