"""From an extracted article to what forumwatch stores: normalized fields, quality flags,
relevance, topics and the event it reports.

Pure (imports neither Scrapy nor the database); runs in extraction workers and in
``reextract``. Order matters: encoding repair first (it needs the raw characters), then
normalization, then spam, flags, relevance and event on the normalized text.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from crawler.analyze.events import find_event
from crawler.analyze.mojibake import repair_text
from crawler.analyze.normalize import normalize_field, normalize_text
from crawler.analyze.quality import QualityInput, quality_flags
from crawler.analyze.relevance import score_article
from crawler.analyze.spam import find_spam
from crawler.extract.extraction import ExtractedArticle
from crawler.extract.options import DEFAULT_OPTIONS, ExtractOptions


@dataclass(frozen=True)
class AnalyzedArticle:
    """The stored form of an article's content."""

    title: str | None
    text: str
    author: str | None
    origin: str | None
    site_name: str | None
    flags: list[str]
    relevant: bool
    relevance_score: float
    topics: list[str]
    event_name: str | None
    event_city: str | None
    event_start: date | None
    event_end: date | None


def analyze(
    extracted: ExtractedArticle,
    options: ExtractOptions = DEFAULT_OPTIONS,
    *,
    fetched_at: datetime | None = None,
) -> AnalyzedArticle:
    """Normalize, flag and score one extracted article of a source read with ``options``."""
    keep_traditional = options.keep_traditional
    body = repair_text(extracted.text, extracted.replacement_chars)
    title = repair_text(extracted.title or "")
    normalized = normalize_text(body.text, keep_traditional=keep_traditional)
    clean_title = normalize_field(title.text, keep_traditional=keep_traditional)
    origin = normalize_field(extracted.origin, keep_traditional=keep_traditional)
    site_name = normalize_field(extracted.site_name, keep_traditional=keep_traditional)
    spam = find_spam(f"{clean_title or ''}\n{normalized.text}")
    if extracted.hidden_text:
        # Hidden blocks are not stored, but spam hidden in a page is the mark of a hacked site.
        hidden = normalize_text(extracted.hidden_text, keep_traditional=keep_traditional)
        spam.extend(find_spam(hidden.text))
    flags = quality_flags(
        QualityInput(
            title=clean_title,
            text=normalized.text,
            published_on=extracted.published_on,
            fetched_at=fetched_at,
            language=extracted.language,
            origin=origin,
            site_name=site_name,
            source_name=options.source_name,
            attachments=len(extracted.attachments),
            spam=spam,
            encoding_damaged=body.damaged + title.damaged,
            encoding_repaired=body.repaired + title.repaired,
            traditional_chars=normalized.traditional_chars,
            pinyin_readings=normalized.pinyin_readings,
        )
    )
    relevance = score_article(clean_title, normalized.text)
    event = find_event(clean_title, normalized.text, extracted.published_on)
    has_event = relevance.relevant
    return AnalyzedArticle(
        title=clean_title,
        text=normalized.text,
        author=normalize_field(extracted.author, keep_traditional=keep_traditional),
        origin=origin,
        site_name=site_name,
        flags=flags,
        relevant=relevance.relevant,
        relevance_score=relevance.score,
        topics=relevance.topics,
        event_name=event.name if has_event else None,
        event_city=event.city if has_event else None,
        event_start=event.start if has_event else None,
        event_end=event.end if has_event else None,
    )
