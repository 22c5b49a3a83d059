"""What the web pages make of crawled data before a template shows it, all pure.

Crawled text is hostile: templates escape every string (Jinja autoescape), so nothing here
returns markup. A highlighted snippet becomes a list of ``Segment`` (text, highlighted or not)
that a template wraps in ``<mark>`` after escaping; a URL becomes a link target only when it is
an absolute http(s) URL (``javascript:``, ``data:``, relative and malformed URLs are shown as
text, never linked).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date, datetime, timedelta, timezone
from typing import NamedTuple
from urllib.parse import urlsplit

CHINA_TZ = timezone(timedelta(hours=8))
_CONTROL = dict.fromkeys([*range(0x20), 0x7F], None)


class Segment(NamedTuple):
    """A piece of shown text; ``mark`` pieces are the matched terms."""

    text: str
    mark: bool


def segments(text: str, highlights: Sequence[tuple[int, int]]) -> list[Segment]:
    """``text`` cut at the ``highlights`` spans (sorted, not overlapping character offsets)."""
    pieces: list[Segment] = []
    at = 0
    for start, end in highlights:
        start, end = max(start, at), min(end, len(text))
        if start >= end:
            continue
        if start > at:
            pieces.append(Segment(text[at:start], False))
        pieces.append(Segment(text[start:end], True))
        at = end
    if at < len(text):
        pieces.append(Segment(text[at:], False))
    return pieces


def safe_url(url: str | None) -> str | None:
    """``url`` when it is an absolute http or https URL with a host, else None (show no link).

    Whitespace and control characters a browser would strip (``java\\tscript:``) are refused
    rather than repaired."""
    if not url or url != url.strip() or url.translate(_CONTROL) != url:
        return None
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        return None
    return url


def paragraphs(text: str | None) -> list[str]:
    """An article's text as its non-empty lines (extraction puts one paragraph a line)."""
    return [line.strip() for line in (text or "").splitlines() if line.strip()]


def local_time(value: datetime | None) -> str:
    """A stored UTC time as China's wall-clock time, ``YYYY-MM-DD HH:MM``; empty for None."""
    if value is None:
        return ""
    return value.astimezone(CHINA_TZ).strftime("%Y-%m-%d %H:%M")


def day(value: date | None) -> str:
    """A date as ``YYYY-MM-DD``; empty for None."""
    return value.isoformat() if value else ""


def unique(values: Iterable[str]) -> list[str]:
    """``values`` without repeats or empties, in first-seen order."""
    return [value for value in dict.fromkeys(values) if value]
