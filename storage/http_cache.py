"""What makes a routine poll cheap: robots.txt files kept across crawls, and the validators
(ETag, Last-Modified) of list pages for conditional requests.

``robots_cache`` holds one row per origin (``scheme://host[:port]``): the status and body of its
robots.txt as last fetched, and until when the copy may be used. Only answers that say something
about the rules are kept (2xx bodies, 4xx "allow all"); the caller decides what it keeps.
``http_validators`` holds one row per list page URL (canonical): the ETag and Last-Modified it was
last served with. A row with neither is not kept. Each function runs in the caller's transaction;
writes are upserts, so two crawls writing the same row never fail.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session, col, delete, select

from storage.db import dialect_insert
from storage.models import HttpValidator, RobotsCache

CHUNK = 500
"""Values per IN list (SQLite allows 32,766 parameters; PostgreSQL 65,535)."""


@dataclass(frozen=True, slots=True)
class CachedRobots:
    """One origin's robots.txt as last fetched."""

    origin: str
    status: int
    body: str
    fetched_at: datetime
    expires_at: datetime

    def fresh(self, now: datetime) -> bool:
        return now < self.expires_at


@dataclass(frozen=True, slots=True)
class Validators:
    """What a list page was last served with; ``checked_at`` is when."""

    canonical_url: str
    source_id: str
    etag: str | None
    last_modified: str | None
    checked_at: datetime


def _chunks(items: Sequence[str]) -> Iterable[list[str]]:
    for start in range(0, len(items), CHUNK):
        yield list(items[start : start + CHUNK])


# -- robots.txt ------------------------------------------------------------------------------


def cached_robots(*, session: Session, origins: Iterable[str]) -> dict[str, CachedRobots]:
    """The stored robots.txt of these origins, fresh or expired (``CachedRobots.fresh``)."""
    wanted = sorted(set(origins))
    found: dict[str, CachedRobots] = {}
    for chunk in _chunks(wanted):
        rows = session.exec(select(RobotsCache).where(col(RobotsCache.origin).in_(chunk))).all()
        for row in rows:
            found[row.origin] = CachedRobots(
                row.origin, row.status, row.body, row.fetched_at, row.expires_at
            )
    return found


def save_robots(*, session: Session, entries: Sequence[CachedRobots]) -> None:
    """Store these robots.txt copies, replacing earlier ones of the same origins."""
    if not entries:
        return
    rows = {
        entry.origin: {
            "origin": entry.origin,
            "status": entry.status,
            "body": entry.body.replace("\x00", ""),  # PostgreSQL text holds no NUL
            "fetched_at": entry.fetched_at,
            "expires_at": entry.expires_at,
        }
        for entry in entries
    }
    statement = dialect_insert(session, RobotsCache)
    statement = statement.on_conflict_do_update(
        index_elements=["origin"],
        set_={
            name: getattr(statement.excluded, name)
            for name in ("status", "body", "fetched_at", "expires_at")
        },
    )
    session.connection().execute(statement, list(rows.values()))


def forget_robots(*, session: Session, origins: Iterable[str] | None = None) -> int:
    """Drop the stored robots.txt of these origins (None: all); returns how many."""
    statement = delete(RobotsCache)
    if origins is not None:
        statement = statement.where(col(RobotsCache.origin).in_(sorted(set(origins))))
    return int(session.connection().execute(statement).rowcount or 0)


# -- list page validators --------------------------------------------------------------------


def list_validators(*, session: Session, source_ids: Iterable[str]) -> dict[str, Validators]:
    """The stored validators of these sources' list pages, by canonical URL."""
    wanted = sorted(set(source_ids))
    found: dict[str, Validators] = {}
    for chunk in _chunks(wanted):
        rows = session.exec(
            select(HttpValidator).where(col(HttpValidator.source_id).in_(chunk))
        ).all()
        for row in rows:
            found[row.canonical_url] = Validators(
                row.canonical_url, row.source_id, row.etag, row.last_modified, row.checked_at
            )
    return found


def save_validators(*, session: Session, validators: Sequence[Validators]) -> None:
    """Store what these list pages were served with; one served with neither an ETag nor a
    Last-Modified loses its row (nothing to ask with next time)."""
    keep = {v.canonical_url: v for v in validators if v.etag or v.last_modified}
    drop = sorted({v.canonical_url for v in validators} - set(keep))
    for chunk in _chunks(drop):
        session.connection().execute(
            delete(HttpValidator).where(col(HttpValidator.canonical_url).in_(chunk))
        )
    if not keep:
        return
    statement = dialect_insert(session, HttpValidator)
    statement = statement.on_conflict_do_update(
        index_elements=["canonical_url"],
        set_={
            name: getattr(statement.excluded, name)
            for name in ("source_id", "etag", "last_modified", "checked_at")
        },
    )
    session.connection().execute(
        statement,
        [
            {
                "canonical_url": v.canonical_url,
                "source_id": v.source_id,
                "etag": v.etag,
                "last_modified": v.last_modified,
                "checked_at": v.checked_at,
            }
            for v in keep.values()
        ],
    )


def forget_validators(*, session: Session, canonical_urls: Sequence[str]) -> int:
    """Drop the validators of these list pages; returns how many."""
    removed = 0
    for chunk in _chunks(sorted(set(canonical_urls))):
        result = session.connection().execute(
            delete(HttpValidator).where(col(HttpValidator.canonical_url).in_(chunk))
        )
        removed += int(result.rowcount or 0)
    return removed
