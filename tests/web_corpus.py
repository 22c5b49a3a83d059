"""A small, realistic database for the web UI tests: Chinese forum articles on three sources
(two carrying the same story), source health, an attachment, a reader token, and hostile
articles (a ``<script>`` title, an ``<img onerror>`` in the text, ``javascript:`` URLs).

``seed(engine)`` fills an upgraded, empty database and returns what the tests look for.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy.engine import Engine

from storage import alerts, queries, story_index, tokens
from storage.db import session_scope
from storage.models import CrawlRun, NewArticle, NewAttachment, SourceHealth, SourceRecord
from tests.articles import new_article

HOSTILE_TITLE = "<script>alert(1)</script>城投论坛在杭州召开"
HOSTILE_TEXT = (
    '2025年城投论坛在杭州召开。<img src=x onerror="alert(2)">与会代表围绕城投转型、'
    "债务化解和城市更新展开讨论，认为城投公司应当加快市场化转型，服务新质生产力发展。\n"
    "论坛期间还发布了长三角城投合作倡议，提出共建城市发展基金。"
)
JAVASCRIPT_URL = "javascript:alert(3)"

SOURCES = (
    SourceRecord(id="gov_hz", name="杭州市人民政府", tags=("gov", "zhejiang")),
    SourceRecord(id="assoc_city", name="中国城市发展研究会", tags=("association",)),
    SourceRecord(id="news_sh", name="上海城投新闻网", tags=("news", "shanghai")),
)

FORUM = (
    "第十届长三角城市发展论坛于2025年3月18日在杭州国际博览中心开幕。本届论坛以“城市更新与新质生产力”"
    "为主题，来自沪苏浙皖的三百余位城市管理者、专家学者和企业代表参加会议。\n"
    "杭州市副市长在致辞中表示，城市更新是推动城市高质量发展的重要抓手，要坚持“留改拆”并举，"
    "加快老旧小区改造和城中村改造，探索政府引导、市场运作、公众参与的可持续模式。\n"
    "论坛设置了城投转型、数字城市、绿色低碳三个分论坛。与会专家认为，城投公司应当从融资平台向"
    "城市综合运营服务商转型，通过基础设施REITs等方式盘活存量资产。\n"
    "会上还发布了《长三角城市更新白皮书（2025）》，并举行了城市发展基金签约仪式。"
)
SUMMIT = (
    "2025中国智慧城市峰会4月在上海举行。峰会围绕数字孪生、城市大脑和一网统管等议题，"
    "展示了多个城市数字治理的实践案例。\n"
    "与会嘉宾表示，新型智慧城市建设要以人民为中心，推动城市治理体系和治理能力现代化，"
    "让数据多跑路、群众少跑腿。\n"
    "峰会期间，多家企业与地方政府签署了智慧城市合作协议，涉及投资总额逾百亿元。"
)
NOTICE = (
    "关于开展2025年度城市体检工作的通知。各区县住房和城乡建设局：根据住房和城乡建设部统一部署，"
    "现就做好本年度城市体检工作通知如下。一、工作目标：全面查找城市建设和发展中的短板弱项。"
    "二、工作安排：4月底前完成自体检，6月底前形成城市体检报告。\n具体事项详见附件。"
)
GREEN = (
    "绿色低碳发展研讨会在合肥召开，与会专家就碳达峰碳中和背景下的城市规划、绿色建筑和海绵城市"
    "建设进行了深入交流。研讨会认为，城市是实现双碳目标的主战场，应当加快构建绿色低碳的城市发展模式。"
)


@dataclass(frozen=True)
class Corpus:
    """What ``seed`` stored: ids the tests visit and the reader token."""

    token: str
    forum: int
    forum_repost: int
    summit: int
    notice: int
    hostile: int
    forum_story: int
    hostile_story: int


def _article(
    key: str, source: str, title: str, text: str, published: str | None, **fields: Any
) -> NewArticle:
    entry = {"id": key, "title": title, "text": text, "published": published}
    made = new_article(entry, source, int(fields.pop("order", 0)))
    flags = [flag for flag in made.flags if flag != "future_date" or "fetched_at" not in fields]
    # the title and text as given: hostile markup must reach the page, not be cleaned away first
    return made.model_copy(update={"title": title, "text": text, "flags": flags, **fields})


def seed(engine: Engine, now: datetime | None = None) -> Corpus:
    """Fill an empty, upgraded database (see the module docstring)."""
    now = now or datetime.now(UTC)
    recent = now - timedelta(days=2)
    articles = [
        _article(
            "forum",
            "gov_hz",
            "第十届长三角城市发展论坛在杭州开幕",
            FORUM,
            "2025-03-18",
            fetched_at=recent,
        ),
        _article(
            "forum-repost",
            "assoc_city",
            "第十届长三角城市发展论坛在杭州开幕",
            FORUM,
            "2025-03-19",
            origin="杭州市人民政府",
            fetched_at=recent + timedelta(minutes=5),
        ),
        _article(
            "summit",
            "news_sh",
            "2025中国智慧城市峰会在上海举行",
            SUMMIT,
            "2025-04-10",
            fetched_at=recent + timedelta(minutes=10),
        ),
        _article(
            "notice", "gov_hz", "关于开展2025年度城市体检工作的通知", NOTICE, "2025-02-01", order=3
        ),
        _article(
            "hostile",
            "news_sh",
            HOSTILE_TITLE,
            HOSTILE_TEXT,
            "2025-05-06",
            url=JAVASCRIPT_URL,
            fetched_at=recent + timedelta(minutes=20),
        ),
        _article(
            "hostile-repost",
            "assoc_city",
            "城投论坛在杭州召开（转载）",
            HOSTILE_TEXT,
            "2025-05-07",
            order=5,
        ),
        _article("green", "assoc_city", "绿色低碳发展研讨会在合肥召开", GREEN, None, order=6),
    ]
    for index in range(12):  # enough for a second page of results
        articles.append(
            _article(
                f"more-{index}",
                "gov_hz",
                f"城市更新工作座谈会第{index + 1}期",
                FORUM[:160],
                f"2024-{index + 1:02d}-15",
                order=10 + index,
            )
        )
    with session_scope(engine, write=True) as session:
        queries.sync_sources(session=session, sources=SOURCES)
        ids = queries.store_articles(session=session, articles=articles)
        assert all(i is not None for i in ids)
        forum, repost, summit, notice, hostile, hostile_repost = (int(i or 0) for i in ids[:6])
        stories = story_index.create_stories(session=session, first_seen=[recent, recent])
        story_index.set_stories(
            session=session,
            stories={
                forum: stories[0],
                repost: stories[0],
                hostile: stories[1],
                hostile_repost: stories[1],
            },
        )
        queries.store_attachments(
            session=session,
            attachments=[
                NewAttachment(
                    source_id="gov_hz",
                    url="http://gov_hz.example/tj.pdf",
                    canonical_url="http://gov_hz.example/tj.pdf",
                    article_id=notice,
                    title="城市体检工作方案.pdf",
                    content_type="application/pdf",
                ),
                NewAttachment(
                    source_id="gov_hz",
                    url="javascript:alert(4)",
                    canonical_url="http://gov_hz.example/js-attachment",
                    article_id=notice,
                    title="<b>恶意附件</b>",
                ),
            ],
        )
        _health(session, now)
        _alerts(session, hostile, stories[1])
        _, token = tokens.create_token(session=session, name="analyst", role="reader")
    return Corpus(token, forum, repost, summit, notice, hostile, stories[0], stories[1])


def _health(session: Any, now: datetime) -> None:
    day = timedelta(days=1)
    session.add(
        SourceHealth(
            source_id="gov_hz",
            state="ok",
            since=now - 30 * day,
            reason="crawls succeed",
            last_success_at=now - day / 24,
            last_new_article_at=now - 2 * day,
        )
    )
    session.add(
        SourceHealth(
            source_id="news_sh",
            state="failing",
            since=now - day,
            reason="3 failed crawls in a row: HTTP 503",
            last_success_at=now - 3 * day,
            last_new_article_at=now - 3 * day,
            consecutive_failures=3,
        )
    )
    session.add(
        CrawlRun(
            source_id="news_sh",
            started_at=now - day,
            finished_at=now - day,
            status="failed",
            errors=[
                {"url": "http://news_sh.example/", "error": "HTTP 503 Service Unavailable"},
                {"url": "http://news_sh.example/a", "error": "TimeoutError: timed out"},
            ],
        )
    )
    session.add(
        CrawlRun(
            source_id="gov_hz", started_at=now - day / 24, finished_at=now - day / 24, status="ok"
        )
    )


def _alerts(session: Any, article_id: int, story_id: int) -> None:
    alerts.add_alert(
        session=session,
        rule="城投论坛",
        dedupe_key=f"story:{story_id}",
        channels=[("c1", "mailtos://analyst:****@mail.example"), ("c2", "json://hooks.example/fw")],
        article_id=article_id,
        story_id=story_id,
        source_id="news_sh",
        matched=["城投", "论坛"],
        payload={
            "title": HOSTILE_TITLE,
            "url": JAVASCRIPT_URL,
            "source_id": "news_sh",
            "source_name": "上海城投新闻网",
            "published_on": "2025-05-06",
        },
    )
    alerts.add_alert(
        session=session,
        rule="health",
        kind="health",
        dedupe_key="health:news_sh:1",
        channels=[("c1", "mailtos://analyst:****@mail.example")],
        source_id="news_sh",
        payload={
            "source_id": "news_sh",
            "from": "ok",
            "to": "failing",
            "reason": "3 failed crawls in a row: HTTP 503",
        },
    )
