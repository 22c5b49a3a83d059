"""The stable JSON shape of articles (``--json`` output of ``articles``, ``show`` and ``extract``).

Fields (documented in README; later issues only add fields):
``id``, ``url``, ``canonical_url``, ``source``, ``title``, ``text``, ``published_at`` (ISO 8601:
``YYYY-MM-DD`` when the page gives only a date, ``YYYY-MM-DDTHH:MM:SS+08:00`` when it gives a
time), ``author``, ``origin``, ``site_name``, ``language``, ``fetched_at`` (ISO 8601, UTC),
``flags`` (quality flag codes), ``relevant``, ``relevance_score``, ``topics`` (topic ids) and
``event`` (``{name, city, start, end}`` or null), ``story_id``. ``search --json`` adds ``score``,
``snippet`` and ``highlights`` (``[start, end]`` character offsets in ``snippet``); ``show
--json`` adds ``siblings`` and ``attachments``. Also the records of sources (``sources --json``)
and alerts (``alerts --json``). The HTTP API answers with these same records.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from datetime import date, datetime, timedelta, timezone
from typing import TYPE_CHECKING, Any

from crawler.extract.options import DEFAULT_OPTIONS, ExtractOptions

if TYPE_CHECKING:
    from crawler.extract.extraction import ExtractedArticle


CHINA_TZ = timezone(timedelta(hours=8))
# What json.dumps(ensure_ascii=False) leaves raw and a terminal may still obey: DEL, C1, and
# the line/paragraph separators that break line-based readers.
_JSON_RAW = re.compile(r"[\x7f-\x9f\u2028\u2029]")


def json_line(record: Any) -> str:
    """One JSON Lines record; every control character escaped (JSON escapes C0 itself)."""
    line = json.dumps(record, ensure_ascii=False)
    return _JSON_RAW.sub(lambda match: f"\\u{ord(match.group()):04x}", line)


def published_iso(published_on: date | None, published_at: datetime | None) -> str | None:
    """A publication date with its precision: a date stays a date, a time keeps China's zone."""
    if published_at is not None:
        return published_at.astimezone(CHINA_TZ).isoformat()
    if published_on is not None:
        return published_on.isoformat()
    return None


def article_record(article: Any) -> dict[str, Any]:
    """JSON-ready dict of a stored Article row."""
    return {
        "id": article.id,
        "url": article.url,
        "canonical_url": article.canonical_url,
        "source": article.source_id,
        "title": article.title,
        "text": article.text,
        "published_at": published_iso(article.published_on, article.published_at),
        "author": article.author,
        "origin": article.origin,
        "site_name": article.site_name,
        "language": article.language,
        "fetched_at": article.fetched_at.isoformat() if article.fetched_at else None,
        **analysis_record(article),
        "story_id": article.story_id,
    }


def search_record(
    article: Any, score: float | None, snippet_text: str, highlights: Any
) -> dict[str, Any]:
    """``search --json``: the article's record plus its score and highlighted snippet."""
    return {
        **article_record(article),
        "score": score,
        "snippet": snippet_text,
        "highlights": [[start, end] for start, end in highlights],
    }


def article_detail_record(
    article: Any, attachments: Sequence[Any], siblings: Sequence[Any] = ()
) -> dict[str, Any]:
    """``show --json``: the article's record plus its attachments and story siblings."""
    record = article_record(article)
    record["siblings"] = [
        {"id": s.id, "source": s.source_id, "url": s.url, "title": s.title, "story_id": s.story_id}
        for s in siblings
    ]
    record["attachments"] = [
        {
            "url": attachment.url,
            "title": attachment.title,
            "content_type": attachment.content_type,
            "size": attachment.size,
        }
        for attachment in attachments
    ]
    return record


def _iso(value: Any) -> str | None:
    return value.isoformat() if value is not None else None


def source_record(source: Any, info: Any, state: Any) -> dict[str, Any]:
    """``sources --json``: a configured source (``SourceConfig``), its ``SourceOverview``
    (latest run, article count) and its ``HealthOverview`` (either may be None)."""
    run = info.last_run if info else None
    row = state.health if state else None
    return {
        "id": source.id,
        "name": source.name,
        "state": row.state if row else ("unknown" if run else "never crawled"),
        "state_since": _iso(row.since if row else None),
        "reason": row.reason if row else None,
        "last_run": _iso(run.started_at if run else None),
        "status": run.status if run else "never crawled",
        "last_success": _iso(state.last_success_at if state else None),
        "last_new_article": _iso(state.last_new_article_at if state else None),
        "new_in_last_run": run.new_articles if run else 0,
        "failed_in_last_run": run.failed if run else 0,
        "articles": info.article_count if info else 0,
        "errors": dict(state.errors) if state else {},
    }


def alert_record(row: Any) -> dict[str, Any]:
    """``alerts --json``: a ``storage.alerts.AlertRow`` with its deliveries."""
    return {
        "id": row.id,
        "rule": row.rule,
        "kind": row.kind,
        "mode": row.mode,
        "source_id": row.source_id,
        "story_id": row.story_id,
        "matched": row.matched,
        "created_at": _iso(row.created_at),
        "payload": row.payload,
        "deliveries": [
            {
                **{k: v for k, v in d.items() if k not in ("next_attempt_at", "sent_at")},
                "next_attempt_at": _iso(d["next_attempt_at"]),
                "sent_at": _iso(d["sent_at"]),
            }
            for d in row.deliveries
        ],
    }


def story_record(view: Any) -> dict[str, Any]:
    """JSON-ready dict of a ``storage.story_index.StoryView``."""
    from crawler.analyze.stories import likely_original  # imports numpy: only when asked

    original = likely_original(view.articles)
    return {
        "id": view.story.id,
        "title": original.title if original else None,
        "first_seen_at": view.story.first_seen_at.isoformat(),
        "earliest_published": (
            view.earliest_published.isoformat() if view.earliest_published else None
        ),
        "original": {"id": original.id, "source": original.source_id, "url": original.url}
        if original
        else None,
        "sources": view.sources,
        "source_count": len(view.sources),
        "article_count": len(view.articles),
        "article_ids": [article.id for article in view.articles],
        "event_group": view.story.event_group,
    }


def analysis_record(article: Any) -> dict[str, Any]:
    """The normalization-stage fields of a stored article or an ``AnalyzedArticle``."""
    event = None
    if article.event_name or article.event_start:
        event = {
            "name": article.event_name,
            "city": article.event_city,
            "start": article.event_start.isoformat() if article.event_start else None,
            "end": article.event_end.isoformat() if article.event_end else None,
        }
    return {
        "flags": list(article.flags or []),
        "relevant": article.relevant,
        "relevance_score": article.relevance_score,
        "topics": list(article.topics or []),
        "event": event,
    }


def extracted_record(
    source: str, article: ExtractedArticle, options: ExtractOptions = DEFAULT_OPTIONS
) -> dict[str, Any]:
    """JSON-ready dict of an extraction that was not stored (``forumwatch extract``), analyzed
    with the ``options`` it was extracted with."""
    from crawler.analyze.analysis import analyze

    analyzed = analyze(article, options)
    return {
        "input": source,
        "title": analyzed.title,
        "text": analyzed.text,
        "published_at": published_iso(article.published_on, article.published_at),
        "author": analyzed.author,
        "origin": analyzed.origin,
        "site_name": analyzed.site_name,
        "language": article.language,
        "encoding": article.encoding,
        "attachments": [{"url": url, "title": title} for url, title in article.attachments],
        **analysis_record(analyzed),
    }
