"""The crawl runs as the service sees them: when each source was last started, what one crawl
process recorded, and closing the runs of a crawl process the service had to kill (its time
limit passed: ``timeout``; the service stopped: ``interrupted``)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Table, func, select, update
from sqlmodel import Session

from storage.models import CrawlRun, utcnow


def _runs() -> Table:
    return CrawlRun.__table__  # type: ignore[attr-defined,no-any-return]


@dataclass(frozen=True, slots=True)
class ProcessRun:
    """One run of a crawl process, as the service summarises it."""

    source_id: str
    status: str
    list_pages: int
    new_articles: int
    failed: int


def last_run_starts(
    *, session: Session, source_ids: Sequence[str] | None = None
) -> dict[str, datetime]:
    """Source id -> start of its latest crawl run (any status), for the sources that have one
    (all, or those of ``source_ids``)."""
    runs = _runs()
    statement = select(runs.c.source_id, func.max(runs.c.started_at)).group_by(runs.c.source_id)
    found: dict[str, datetime] = {}
    ids = None if source_ids is None else list(source_ids)
    chunks = [None] if ids is None else [ids[i : i + 500] for i in range(0, len(ids), 500)]
    for chunk in chunks:
        query = statement if chunk is None else statement.where(runs.c.source_id.in_(chunk))
        for source_id, started in session.connection().execute(query):
            found[source_id] = started
    return found


def process_runs(*, session: Session, host: str, pid: int, since: datetime) -> list[ProcessRun]:
    """The runs the crawl process ``pid`` on ``host`` started at or after ``since``."""
    runs = _runs()
    statement = select(
        runs.c.source_id, runs.c.status, runs.c.list_pages, runs.c.new_articles, runs.c.failed
    ).where(runs.c.host == host, runs.c.pid == pid, runs.c.started_at >= since)
    return [ProcessRun(*row) for row in session.connection().execute(statement)]


def close_process_runs(
    *, session: Session, host: str, pid: int, since: datetime, status: str
) -> int:
    """Mark the runs the crawl process ``pid`` on ``host`` started at or after ``since`` and left
    'running' as ``status`` ('timeout' when the service killed it at its time limit,
    'interrupted' when it was killed on the way out); returns how many."""
    runs = _runs()
    statement = (
        update(runs)
        .where(
            runs.c.host == host,
            runs.c.pid == pid,
            runs.c.started_at >= since,
            runs.c.status == "running",
        )
        .values(status=status, finished_at=utcnow())
    )
    return int(session.connection().execute(statement).rowcount or 0)
