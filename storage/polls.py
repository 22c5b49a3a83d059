"""Bulk forms of the per-source queries a crawl makes at its start, so that a routine poll of a
thousand sources costs a few statements rather than a few per source.

``start_runs`` opens many crawl runs in one INSERT; ``sources_with_due_urls`` says which sources
have failed URLs due for a retry at all (only those are asked for them, with
``queries.due_urls``). Each runs in the caller's transaction.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime

from sqlalchemy import or_
from sqlalchemy import select as sa_select
from sqlmodel import Session

from storage.models import CrawledUrl, CrawlRun, utcnow

CHUNK = 500


def start_runs(
    *,
    session: Session,
    source_ids: Sequence[str],
    host: str | None = None,
    pid: int | None = None,
    process_start: str | None = None,
) -> dict[str, int]:
    """Open a crawl run in state 'running' for each source, as ``queries.start_run`` does for
    one; returns their ids by source id."""
    now = utcnow()
    runs = {
        source_id: CrawlRun(
            source_id=source_id,
            started_at=now,
            status="running",
            host=host,
            pid=pid,
            process_start=process_start,
        )
        for source_id in dict.fromkeys(source_ids)
    }
    session.add_all(runs.values())
    session.flush()  # one INSERT ... RETURNING for all of them
    ids: dict[str, int] = {}
    for source_id, run in runs.items():
        assert run.id is not None
        ids[source_id] = run.id
    return ids


def sources_with_due_urls(
    *, session: Session, source_ids: Iterable[str], now: datetime
) -> set[str]:
    """The sources among ``source_ids`` with a failed URL whose retry time has come."""
    table = CrawledUrl.__table__  # type: ignore[attr-defined]
    wanted = sorted(set(source_ids))
    found: set[str] = set()
    for start in range(0, len(wanted), CHUNK):
        statement = (
            sa_select(table.c.source_id)
            .where(table.c.source_id.in_(wanted[start : start + CHUNK]))
            .where(table.c.state == "error")
            .where(or_(table.c.retry_after.is_(None), table.c.retry_after <= now))
            .distinct()
        )
        found.update(row[0] for row in session.connection().execute(statement))
    return found
