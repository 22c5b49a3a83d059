"""Source health in the database: what the judgement reads of each source's history, and the
``source_health`` rows it writes, with an operator alert in the same transaction when a state
changes.

Reads take a list of source ids (None: every source) and cost one query each, whatever the
number of sources (window functions, supported by SQLite >= 3.25 and PostgreSQL).
``record_health`` upserts a source's row but never touches ``baseline_at``, which the alerts
side writes.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func
from sqlalchemy import select as sa_select
from sqlmodel import Session, col, select

from storage.alerts import add_alert
from storage.db import dialect_insert
from storage.models import Alert, Article, CrawlRun, Source, SourceHealth

HEALTH_RULE = "health"
SUCCESS_STATUSES = ("ok", "partial")


def _only(statement: Any, column: Any, source_ids: Sequence[str] | None) -> Any:
    return statement if source_ids is None else statement.where(column.in_(list(source_ids)))


@dataclass(frozen=True)
class RunRow:
    """What health reads of a finished crawl run."""

    source_id: str
    status: str
    started_at: datetime
    counts: dict[str, int]
    errors: list[dict[str, str]]


def recent_runs(
    *,
    session: Session,
    source_ids: Sequence[str] | None,
    per_source: int,
    since: datetime | None = None,
) -> dict[str, list[RunRow]]:
    """The last ``per_source`` finished runs of each source (not 'running'), newest first; only
    runs started after ``since`` if given (bounds the scan of a long history)."""
    window: Any = select(
        col(CrawlRun.id).label("run_id"),
        func.row_number()
        .over(partition_by=col(CrawlRun.source_id), order_by=col(CrawlRun.id).desc())
        .label("rank"),
    ).where(col(CrawlRun.status) != "running")
    if since is not None:
        window = window.where(col(CrawlRun.started_at) >= since)
    ranked = _only(window, col(CrawlRun.source_id), source_ids).subquery()
    rows = session.execute(
        sa_select(  # sqlmodel's select is typed for four columns at most
            col(CrawlRun.source_id),
            col(CrawlRun.status),
            col(CrawlRun.started_at),
            col(CrawlRun.counts),
            col(CrawlRun.errors),
        )
        .join(ranked, col(CrawlRun.id) == ranked.c.run_id)
        .where(ranked.c.rank <= per_source)
        .order_by(col(CrawlRun.source_id), col(CrawlRun.id).desc())
    ).all()
    runs: dict[str, list[RunRow]] = defaultdict(list)
    for source_id, status, started_at, counts, errors in rows:
        runs[source_id].append(RunRow(source_id, status, started_at, counts or {}, errors or []))
    return dict(runs)


def new_article_times(
    *, session: Session, source_ids: Sequence[str] | None, per_source: int
) -> dict[str, list[datetime]]:
    """Start times of the last ``per_source`` runs of each source that stored new articles, the
    source's first run (its baseline, which stores a backlog at once) left out."""
    first = _only(
        select(
            col(CrawlRun.source_id).label("sid"), func.min(CrawlRun.id).label("first_id")
        ).group_by(col(CrawlRun.source_id)),
        col(CrawlRun.source_id),
        source_ids,
    ).subquery()
    ranked = (
        select(
            col(CrawlRun.source_id).label("sid"),
            col(CrawlRun.started_at).label("started_at"),
            func.row_number()
            .over(partition_by=col(CrawlRun.source_id), order_by=col(CrawlRun.id).desc())
            .label("rank"),
        )
        .join(first, first.c.sid == col(CrawlRun.source_id))
        .where(col(CrawlRun.new_articles) > 0, col(CrawlRun.id) > first.c.first_id)
        .subquery()
    )
    rows = session.execute(
        select(ranked.c.sid, ranked.c.started_at).where(ranked.c.rank <= per_source)
    ).all()
    times: dict[str, list[datetime]] = defaultdict(list)
    for source_id, started_at in rows:
        times[source_id].append(_aware(started_at))
    return dict(times)


def last_success(*, session: Session, source_ids: Sequence[str] | None) -> dict[str, datetime]:
    """When each source's last successful run (ok or partial) finished."""
    statement = _only(
        select(CrawlRun.source_id, func.max(CrawlRun.finished_at))
        .where(col(CrawlRun.status).in_(SUCCESS_STATUSES))
        .group_by(col(CrawlRun.source_id)),
        col(CrawlRun.source_id),
        source_ids,
    )
    return {sid: _aware(at) for sid, at in session.exec(statement).all() if at is not None}


def last_new_article(*, session: Session, source_ids: Sequence[str] | None) -> dict[str, datetime]:
    """When each source's newest article was first fetched."""
    statement = _only(
        select(Article.source_id, func.max(Article.fetched_at)).group_by(col(Article.source_id)),
        col(Article.source_id),
        source_ids,
    )
    return {sid: _aware(at) for sid, at in session.exec(statement).all() if at is not None}


def known_sources(*, session: Session, source_ids: Sequence[str] | None) -> list[str]:
    """Which of these sources the database has (crawled at least once, or synced)."""
    statement = _only(select(Source.id), col(Source.id), source_ids)
    return sorted(session.exec(statement).all())


def health_rows(
    *, session: Session, source_ids: Sequence[str] | None, lock: bool = False
) -> dict[str, SourceHealth]:
    """The ``source_health`` rows of these sources; ``lock``: locked for update (PostgreSQL)
    until the transaction ends, so a concurrent judgement waits and sees the new states."""
    statement = _only(select(SourceHealth), col(SourceHealth.source_id), source_ids)
    if lock:
        statement = statement.with_for_update()
    return {row.source_id: row for row in session.exec(statement).all()}


@dataclass(frozen=True)
class HealthUpdate:
    """A source's judged state and the facts shown beside it."""

    source_id: str
    state: str
    reason: str
    checked_at: datetime
    last_success_at: datetime | None
    last_new_article_at: datetime | None
    consecutive_failures: int


def record_health(
    *,
    session: Session,
    update: HealthUpdate,
    channels: Sequence[tuple[str, str]],
) -> int | None:
    """``record_healths`` for one source, its row read and locked here."""
    previous = session.exec(
        select(SourceHealth).where(SourceHealth.source_id == update.source_id).with_for_update()
    ).first()
    rows = {previous.source_id: previous} if previous is not None else {}
    return record_healths(session=session, updates=[update], previous=rows, channels=channels)[
        update.source_id
    ]


_UPSERT_ROWS = 500


def record_healths(
    *,
    session: Session,
    updates: Sequence[HealthUpdate],
    previous: Mapping[str, SourceHealth],
    channels: Sequence[tuple[str, str]],
) -> dict[str, int | None]:
    """Upsert the sources' ``source_health`` rows (never ``baseline_at``), in a few statements
    whatever their number; for each source whose state changed, add one operator alert (rule
    ``health``, kind ``health``, payload from/to/reason) with a delivery per channel.

    ``previous``: the sources' rows as read (locked, ``health_rows(lock=True)``) by the caller;
    a source missing there has none. A source seen for the first time in state ``ok`` is no
    change. Returns per source the new alert's id, or None. Runs in the caller's transaction.
    """
    rows: list[dict[str, Any]] = []
    changes: list[tuple[HealthUpdate, str | None]] = []
    for update in updates:
        row = previous.get(update.source_id)
        old_state = row.state if row is not None else None
        changed = old_state != update.state and not (old_state is None and update.state == "ok")
        rows.append(
            {
                "source_id": update.source_id,
                "state": update.state,
                "since": update.checked_at if row is None or changed else row.since,
                "reason": update.reason,
                "checked_at": update.checked_at,
                "last_success_at": update.last_success_at,
                "last_new_article_at": update.last_new_article_at,
                "consecutive_failures": update.consecutive_failures,
            }
        )
        if changed:
            changes.append((update, old_state))
    for start in range(0, len(rows), _UPSERT_ROWS):
        statement = dialect_insert(session, SourceHealth).values(rows[start : start + _UPSERT_ROWS])
        written = [name for name in rows[0] if name != "source_id"]
        session.execute(
            statement.on_conflict_do_update(
                index_elements=["source_id"],
                set_={name: statement.excluded[name] for name in written},
            )
        )
    for row in previous.values():
        session.expire(row)
    alerts: dict[str, int | None] = {update.source_id: None for update in updates}
    if not changes:
        return alerts
    counts = dict(
        session.exec(
            select(Alert.source_id, func.count())
            .where(
                Alert.rule == HEALTH_RULE,
                col(Alert.source_id).in_([update.source_id for update, _ in changes]),
            )
            .group_by(col(Alert.source_id))
        ).all()
    )
    for update, old_state in changes:
        alerts[update.source_id] = add_alert(
            session=session,
            rule=HEALTH_RULE,
            kind="health",
            dedupe_key=f"health:{update.source_id}:{int(counts.get(update.source_id, 0)) + 1}",
            channels=channels,
            source_id=update.source_id,
            payload={
                "source_id": update.source_id,
                "from": old_state,
                "to": update.state,
                "previous_state": old_state,
                "state": update.state,
                "reason": update.reason,
            },
        )
    return alerts


def health_alerts(*, session: Session, source_id: str) -> list[Mapping[str, Any]]:
    """The health alerts of a source, oldest first: payload and creation time."""
    rows = session.exec(
        select(Alert)
        .where(Alert.rule == HEALTH_RULE, Alert.source_id == source_id)
        .order_by(col(Alert.id))
    ).all()
    return [{"id": row.id, "created_at": row.created_at, **row.payload} for row in rows]


def _aware(value: datetime) -> datetime:
    """Aggregates (max) come back without the column's type on SQLite: naive UTC text."""
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value


@dataclass(frozen=True)
class HealthOverview:
    """What ``forumwatch sources`` shows of a source's health."""

    health: SourceHealth | None
    last_success_at: datetime | None
    last_new_article_at: datetime | None
    errors: dict[str, int]
    """Errors of its recent runs by kind (``HTTP 500``, ``TimeoutError``, ``blocked`` ...)."""


def health_overview(*, session: Session, recent: int = 10) -> dict[str, HealthOverview]:
    """Every source's health row, last success, last new article and the errors of its last
    ``recent`` runs by kind (five queries, whatever the number of sources)."""
    rows = health_rows(session=session, source_ids=None)
    runs = recent_runs(session=session, source_ids=None, per_source=recent)
    success = last_success(session=session, source_ids=None)
    newest = last_new_article(session=session, source_ids=None)
    ids = set(rows) | set(runs) | set(success) | set(newest)
    return {
        source_id: HealthOverview(
            health=rows.get(source_id),
            last_success_at=success.get(source_id),
            last_new_article_at=newest.get(source_id),
            errors=error_kinds(runs.get(source_id, [])),
        )
        for source_id in ids
    }


def error_kinds(runs: Sequence[RunRow]) -> dict[str, int]:
    """Errors recorded by these runs, by kind: ``blocked`` for anti-bot challenges, the status for
    HTTP errors (``HTTP 500``), the exception's name otherwise (``TimeoutError``); most first."""
    kinds: dict[str, int] = defaultdict(int)
    for run in runs:
        for error in run.errors or []:
            kinds[_error_kind(str(error.get("error", "")))] += 1
    return dict(sorted(kinds.items(), key=lambda item: (-item[1], item[0])))


def _error_kind(message: str) -> str:
    if "anti-bot challenge:" in message:
        return "blocked"
    if message.startswith("HTTP "):
        return message[:8].strip()
    head = message.split(":", 1)[0].strip()
    return head[:40] or "error"
