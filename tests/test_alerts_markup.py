"""Hostile markup in a crawled title arrives as literal text on every channel kind.

An article whose title holds ``<script>``, ``<a href=javascript:...>``, a Markdown link to
``javascript:``, ``*bold*`` and a Feishu ``<at user_id="all">`` mention is stored (with its alert)
and dispatched for real to: a ``json://`` webhook and an SMTP server (local receivers), and
Telegram, Slack, DingTalk, Feishu, Lark and WeCom, whose Apprise plugins are pointed at the local
HTTP receiver (their service endpoints are class attributes; everything else is the real plugin
code). What each receiver got is checked against what that service would render."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
import yaml
from apprise.plugins.dingtalk import NotifyDingTalk
from apprise.plugins.feishu import NotifyFeishu
from apprise.plugins.lark import NotifyLark
from apprise.plugins.slack import NotifySlack
from apprise.plugins.telegram import NotifyTelegram
from apprise.plugins.wecombot import NotifyWeComBot

from crawler.alerts.dispatch import dispatch_due
from crawler.alerts.outbox import ArticleAlerter
from crawler.config import SourceConfig, parse_config
from crawler.crawl.store import CrawlStore
from storage.db import get_engine, reset_engines, upgrade_schema
from tests.alert_receivers import HttpReceiver, SmtpReceiver, text_of
from tests.fixtures_db import sqlite_url
from tests.fixtures_sites import run_cli
from tests.test_alerts_outbox import article

TITLE = (
    '<script>alert(1)</script> <a href="javascript:alert(2)">点我</a> '
    '[x](javascript:alert(3)) *粗体* <at user_id="all">所有人</at> 城市发展论坛'
)
LITERALS = (
    "<script>alert(1)</script>",
    '<a href="javascript:alert(2)">',
    "[x](javascript:alert(3))",
    "*粗体*",
)


@pytest.fixture
def receivers(monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[HttpReceiver, SmtpReceiver]]:
    with HttpReceiver() as http, SmtpReceiver() as smtp:
        base = f"http://127.0.0.1:{http.port}"
        monkeypatch.setattr(NotifyTelegram, "notify_url", base + "/telegram/bot")
        monkeypatch.setattr(NotifySlack, "webhook_url", base + "/slack")
        monkeypatch.setattr(NotifyDingTalk, "notify_url", base + "/dingtalk?access_token={token}")
        monkeypatch.setattr(NotifyFeishu, "notify_url", base + "/feishu/{token}/")
        monkeypatch.setattr(NotifyLark, "notify_url", base + "/lark/")
        monkeypatch.setattr(NotifyWeComBot, "notify_url", base + "/wecom?key={key}")
        yield http, smtp


CHANNELS = [
    "tgram://123456789:AAHabcdefghijklmnopqrstuvwxyz0123456/12345",
    "slack://T1JJ3T3L2/A1BRTD4JD/TIiajkdnlazkcOXrIdevi7FQ/#general",
    "dingtalk://abcdefghijklmnopqrstuvwxyz123456/?format=markdown",  # overridden: text
    "feishu://abcdefghijklmnop/",
    "lark://abcdefghijklmnop/",
    "wecombot://botkey12345/?format=markdown",
]


def test_hostile_title_is_literal_text_on_every_channel(
    tmp_path: Path, receivers: tuple[HttpReceiver, SmtpReceiver]
) -> None:
    http, smtp = receivers
    engine = get_engine(sqlite_url(tmp_path))
    upgrade_schema(engine)
    try:
        config = parse_config(
            {
                "database": sqlite_url(tmp_path),
                "sources": [{"id": "a", "name": "a站", "start_urls": ["https://a.example/"]}],
                "alerts": [
                    {"name": "all", "notify": [http.url(path="/json"), smtp.url(), *CHANNELS]}
                ],
            }
        )
        store = CrawlStore(engine)
        store.sync_sources([SourceConfig.model_validate(config.sources[0].model_dump())])
        store.alerter = ArticleAlerter.for_crawl(config, {"a"})
        store.store_batch([(article(1, "a", title=TITLE), ())])
        summary = dispatch_due(engine, config, now=datetime.now(UTC))
        assert (summary.sent, summary.dead, summary.retried) == (8, 0, 0), summary.errors
    finally:
        reset_engines()

    got = {r.path.split("/")[1].split("?")[0]: r for r in http.wait_for(7)}
    assert set(got) == {"json", "telegram", "slack", "dingtalk", "feishu", "lark", "wecom"}

    # json webhook: the strings are data
    hook = got["json"].json()
    for literal in LITERALS:
        assert literal in hook["title"]

    # e-mail: subject and a text/plain body only (nothing rendered as HTML)
    [mail] = smtp.wait_for(1)
    for literal in LITERALS:
        assert literal in str(mail["Subject"])
    assert mail.get_body(preferencelist=("html",)) is None
    assert "网站：a站" in text_of(mail)

    # Telegram renders HTML: every crawled < is escaped; only Apprise's own <b> title wrapper
    telegram = got["telegram"].json()
    assert telegram["parse_mode"] == "HTML"
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in telegram["text"]
    assert telegram["text"].replace("<b>", "").replace("</b>", "").count("<") == 0

    # Slack: mrkdwn off, & < > escaped
    slack = got["slack"].json()
    assert slack["mrkdwn"] is False
    shown = json.dumps(slack["attachments"], ensure_ascii=False)
    assert "<script" not in shown and "&lt;script&gt;" in shown

    # DingTalk and WeCom: text messages (not rendered), even when the URL asked for markdown
    for name, key in (("dingtalk", "text"), ("wecom", "text")):
        body = got[name].json()
        assert body["msgtype"] == "text"
        for literal in LITERALS:
            assert literal in body[key]["content"]

    # Feishu/Lark text messages read <at ...>: crawled angle brackets become full-width
    for name in ("feishu", "lark"):
        body = got[name].json()
        assert body["msg_type"] == "text"
        content = body["content"]["text"]
        assert "<" not in content and "＜at user_id" in content and "*粗体*" in content


def test_alerts_test_command_sends_a_test_message_to_each_channel(tmp_path: Path) -> None:
    with HttpReceiver() as http, SmtpReceiver() as smtp:
        config = tmp_path / "forumwatch.yaml"
        rules = [{"name": "论坛", "notify": [http.url(path="/t"), smtp.url()]}]
        config.write_text(
            yaml.safe_dump({"database": sqlite_url(tmp_path), "alerts": rules}, allow_unicode=True)
        )
        done = run_cli(config, "alerts", "test", "论坛")
        assert done.returncode == 0, done.stdout + done.stderr
        assert "secret" not in done.stdout and done.stdout.count("sent") == 2
        [hook] = http.wait_for(1)
        [mail] = smtp.wait_for(1)
        assert "测试消息" in hook.json()["title"] and "测试消息" in str(mail["Subject"])
        unknown = run_cli(config, "alerts", "test", "nope")
        assert unknown.returncode == 1 and "no alert rule named 'nope'" in unknown.stderr
        http.mode = "down"
        failed = run_cli(config, "alerts", "test", "论坛")
        assert failed.returncode == 1 and "FAILED" in failed.stdout
