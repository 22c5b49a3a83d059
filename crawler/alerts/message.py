"""Alert messages, pure: what an alert says, as plain text that no channel reads as markup.

A message is a title (the e-mail subject; chat services put it above the body) and a plain-text
body, sent with Apprise's ``body_format=text`` to URLs forced to ``format=text``
(``channels.sending_url``). Apprise then makes plain text literal on each service (checked in its
source, apprise 2.3, and by ``tests/test_alerts_markup.py`` against local receivers): services
that only speak HTML (Telegram) get title and body HTML-escaped (``text_to_html``); Slack gets
``"mrkdwn": false`` with ``& < >`` escaped; e-mail gets a text/plain part only; DingTalk, WeCom,
Feishu and Lark get ``text`` messages, which they do not render; ``json://`` webhooks carry the
strings as JSON data. (A URL's own ``format=markdown`` is overridden: Apprise escapes a Markdown
body but leaves the DingTalk markdown title as it is.) What Apprise does not neutralize is done
here, to every crawled string:

- control characters (which a terminal or mail header obeys), bidirectional overrides and
  zero-width characters (which disguise text) are removed; one-line fields lose their line breaks
  (a title with a newline would add headers to an e-mail);
- a link is shown only if it is ``http://`` or ``https://`` (never ``javascript:``, ``data:``...);
- Feishu/Lark text messages read ``<at user_id="all">`` as a mention of everyone, so on those
  channels ``<`` and ``>`` of crawled text become the full-width ``＜ ＞`` (``for_channel``).

Everything is in Chinese, in UTF-8, which all these services display.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
_ANY_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")
# bidirectional embeddings/overrides/isolates, zero-width characters, BOM
_INVISIBLE = re.compile(r"[\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff]")
_SAFE_URL = re.compile(r"^https?://[^\s\x00-\x1f\x7f]+$", re.IGNORECASE)
TITLE_CHARS = 120
EXCERPT_LINE_CHARS = 80
PREFIX = "【forumwatch】"
_MENTION_SERVICES = ("feishu", "lark")


@dataclass(frozen=True)
class Message:
    """One notification: a one-line title and a plain-text body."""

    title: str
    body: str


def line(value: Any, limit: int | None = None) -> str:
    """A crawled value as one line of plain text: controls, invisible characters and line
    breaks gone, spaces collapsed, cut to ``limit`` characters (with an ellipsis)."""
    if value is None:
        return ""
    text = _INVISIBLE.sub("", _ANY_CONTROL.sub(" ", str(value)))
    text = " ".join(text.split())
    if limit is not None and len(text) > limit:
        text = text[: limit - 1].rstrip() + "…"
    return text


def safe_link(url: Any) -> str | None:
    """``url`` when it is an http(s) URL without spaces or controls, else None."""
    if not isinstance(url, str):
        return None
    url = _INVISIBLE.sub("", url.strip())
    return url if _SAFE_URL.match(url) else None


def excerpt(text: str | None, lines: int = 2, width: int = EXCERPT_LINE_CHARS) -> list[str]:
    """The first ``lines`` non-empty lines of a text, each one line of at most ``width``."""
    out: list[str] = []
    for raw in _INVISIBLE.sub("", _CONTROL.sub("", text or "")).split("\n"):
        cleaned = line(raw, width)
        if cleaned:
            out.append(cleaned)
        if len(out) == lines:
            break
    return out


def _date_of(payload: Mapping[str, Any]) -> str:
    moment = payload.get("published_at") or payload.get("published_on")
    return line(moment, 25)[:16].replace("T", " ") if moment else "未注明"


def _link_line(payload: Mapping[str, Any]) -> str:
    return safe_link(payload.get("url")) or "（链接不是 http/https 地址，未附）"


def _sites(others: Sequence[str]) -> str:
    names = [line(name, 40) for name in others if line(name)]
    return "、".join(names) if names else "无"


def article_message(
    payload: Mapping[str, Any], *, rule: str, matched: Sequence[str], other_sites: Sequence[str]
) -> Message:
    """The instant alert of one new article."""
    title = line(payload.get("title"), TITLE_CHARS) or "（无标题）"
    body = [
        f"标题：{title}",
        f"网站：{line(payload.get('source_name'), 60)}（{line(payload.get('source_id'), 60)}）",
        f"发布日期：{_date_of(payload)}",
        f"链接：{_link_line(payload)}",
        "摘要：",
        *[f"  {text}" for text in payload.get("excerpt") or []],
        f"命中关键词：{'、'.join(line(k, 40) for k in matched) or '（规则未设关键词）'}",
        f"其他转载网站：{_sites(other_sites)}",
        f"规则：{line(rule, 100)}",
    ]
    return Message(f"{PREFIX}{title}", "\n".join(body))


@dataclass(frozen=True)
class DigestEntry:
    """One article of a digest."""

    payload: Mapping[str, Any]
    matched: Sequence[str]
    other_sites: Sequence[str]


def digest_message(rule: str, day: str, entries: Sequence[DigestEntry]) -> Message:
    """One message listing the articles of a digest rule's day."""
    rule_name = line(rule, 100)
    lines = [f"规则「{rule_name}」{line(day, 20)} 共 {len(entries)} 篇新文章：", ""]
    for number, entry in enumerate(entries, start=1):
        p = entry.payload
        lines += [
            f"{number}. {line(p.get('title'), TITLE_CHARS) or '（无标题）'}",
            f"   网站：{line(p.get('source_name'), 60)}　发布日期：{_date_of(p)}",
            f"   链接：{_link_line(p)}",
            *[f"   摘要：{text}" for text in (p.get("excerpt") or [])[:1]],
            f"   命中关键词：{'、'.join(line(k, 40) for k in entry.matched) or '无'}"
            f"　其他转载网站：{_sites(entry.other_sites)}",
            "",
        ]
    return Message(
        f"{PREFIX}{rule_name} 每日汇总 {line(day, 20)}（{len(entries)} 篇）",
        "\n".join(lines).rstrip(),
    )


def health_message(payload: Mapping[str, Any]) -> Message:
    """A source-health change (written by the health monitor): its ``title``/``text`` when it
    gives them, else its source, state, previous state and reason."""
    if payload.get("title") or payload.get("text"):
        title = line(payload.get("title"), TITLE_CHARS) or "来源状态变化"
        return Message(
            f"{PREFIX}{title}", "\n".join(excerpt(str(payload.get("text") or ""), 50, 500))
        )
    source = line(payload.get("source_name") or payload.get("source_id"), 60)
    state = line(payload.get("state"), 30)
    previous = line(payload.get("previous_state") or payload.get("old_state"), 30)
    body = [
        f"来源：{source}（{line(payload.get('source_id'), 60)}）",
        f"状态：{previous or '?'} → {state or '?'}",
        f"原因：{line(payload.get('reason'), 300) or '未说明'}",
    ]
    if payload.get("since"):
        body.append(f"自：{line(payload.get('since'), 30)}")
    return Message(f"{PREFIX}来源 {source} 状态：{state}", "\n".join(body))


def test_message(rule: str) -> Message:
    """What ``forumwatch alerts test RULE`` sends."""
    name = line(rule, 100)
    return Message(
        f"{PREFIX}测试消息：{name}",
        f"这是规则「{name}」的测试消息。收到即说明此渠道配置正确。\n"
        "This is a test message of forumwatch alert rule " + name + ".",
    )


def for_channel(message: Message, url: str) -> Message:
    """The message as sent to the channel at ``url``: on Feishu/Lark, whose text messages read
    ``<at ...>`` tags, ``<`` and ``>`` become full-width."""
    scheme = url.split("://", 1)[0].lower()
    if scheme in _MENTION_SERVICES:
        table = str.maketrans({"<": "＜", ">": "＞"})
        return Message(message.title.translate(table), message.body.translate(table))
    return message
