"""The alert outbox: alerts written in the transaction that stores what they are about, and
their deliveries, one per channel, which a dispatcher works through.

An alert is one per ``(rule, dedupe_key)``: adding it again (a repost of a story already
alerted, the same health change twice) adds nothing. Channels are given as ``(key, label)``:
the key is a stable hash of the Apprise URL (which may hold secrets), the label a masked form
for display; the dispatcher maps keys back to the configured URLs.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import and_, func, update
from sqlalchemy import select as sa_select
from sqlmodel import Session, col, select

from storage.db import dialect_insert
from storage.models import Alert, AlertDelivery, Article, Source, SourceHealth, Story, utcnow


def _insert_alert(session: Session) -> Any:
    return dialect_insert(session, Alert)


def add_alert(
    *,
    session: Session,
    rule: str,
    dedupe_key: str,
    channels: Sequence[tuple[str, str]],
    due_at: datetime | None = None,
    kind: str = "article",
    mode: str = "instant",
    article_id: int | None = None,
    story_id: int | None = None,
    source_id: str | None = None,
    matched: Sequence[str] = (),
    payload: Mapping[str, Any] | None = None,
) -> int | None:
    """Add an alert with a pending delivery per channel, due at ``due_at`` (now when None).

    Returns the new alert's id, or None when the rule already has an alert with this
    ``dedupe_key`` (nothing is added then). Runs in the caller's transaction.
    """
    now = utcnow()
    statement = (
        _insert_alert(session)
        .values(
            rule=rule,
            kind=kind,
            mode=mode,
            dedupe_key=dedupe_key,
            article_id=article_id,
            story_id=story_id,
            source_id=source_id,
            matched=list(matched),
            payload=dict(payload or {}),
            created_at=now,
        )
        .on_conflict_do_nothing(index_elements=["rule", "dedupe_key"])
        .returning(Alert.__table__.c.id)  # type: ignore[attr-defined]
    )
    alert_id = session.execute(statement).scalar_one_or_none()
    if alert_id is None:
        return None
    due = due_at or now
    for key, label in dict(channels).items():
        session.add(
            AlertDelivery(alert_id=alert_id, channel=key, channel_label=label, next_attempt_at=due)
        )
    session.flush()
    return int(alert_id)


def alerted_keys(*, session: Session, rule: str, dedupe_keys: Sequence[str]) -> set[str]:
    """Which of ``dedupe_keys`` already have an alert of ``rule``."""
    if not dedupe_keys:
        return set()
    rows = session.exec(
        select(Alert.dedupe_key).where(Alert.rule == rule, Alert.dedupe_key.in_(dedupe_keys))  # type: ignore[attr-defined]
    )
    return set(rows)


def stories_first_seen(*, session: Session, story_ids: Iterable[int]) -> dict[int, datetime]:
    """When each story was first seen (its first article stored)."""
    ids = sorted(set(story_ids))
    if not ids:
        return {}
    table = Story.__table__  # type: ignore[attr-defined]
    rows = session.execute(sa_select(table.c.id, table.c.first_seen_at).where(table.c.id.in_(ids)))
    return {story_id: _aware(seen) for story_id, seen in rows}


# --- baselines -------------------------------------------------------------------------------


def baselined(session: Session, source_ids: Iterable[str]) -> set[str]:
    """Which of ``source_ids`` have finished their first (baseline) crawl."""
    ids = list(source_ids)
    if not ids:
        return set()
    rows = session.exec(
        select(SourceHealth.source_id).where(
            col(SourceHealth.source_id).in_(ids), col(SourceHealth.baseline_at).is_not(None)
        )
    )
    return set(rows)


def mark_baselines(session: Session, source_ids: Iterable[str], at: datetime) -> None:
    """Record that these sources' baseline crawl finished at ``at``. Sets only ``baseline_at``,
    and only where it is not set yet: the other ``source_health`` columns (written by the health
    monitor) are left alone; a source without a health row gets one with the defaults."""
    ids = sorted(set(source_ids))
    if not ids:
        return
    table = SourceHealth.__table__  # type: ignore[attr-defined]
    statement = dialect_insert(session, SourceHealth).values(
        [
            {
                "source_id": sid,
                "state": "ok",
                "since": at,
                "checked_at": at,
                "baseline_at": at,
                "consecutive_failures": 0,
            }
            for sid in ids
        ]
    )
    statement = statement.on_conflict_do_update(
        index_elements=["source_id"],
        set_={"baseline_at": func.coalesce(table.c.baseline_at, statement.excluded.baseline_at)},
    )
    session.execute(statement)


# --- the dispatcher's side --------------------------------------------------------------------


@dataclass(frozen=True)
class ClaimedDelivery:
    """A delivery the dispatcher has claimed (state ``sending``), with its alert."""

    id: int
    alert_id: int
    channel: str
    channel_label: str
    attempts: int
    """Attempts including this one."""
    rule: str
    kind: str
    mode: str
    story_id: int | None
    article_id: int | None
    source_id: str | None
    matched: list[str]
    payload: dict[str, Any]
    created_at: datetime


def claim_due(
    *, session: Session, now: datetime, lease: timedelta, limit: int = 500
) -> list[ClaimedDelivery]:
    """Claim deliveries due at ``now``: pending ones whose ``next_attempt_at`` has come, and
    ``sending`` ones whose lease has run out (their dispatcher died mid-send). Each claimed row
    becomes ``sending`` with its attempts counted and ``next_attempt_at = now + lease``. The
    caller commits at once, before sending: a concurrent dispatcher then skips these rows (the
    conditional UPDATE re-checks them), and a crash leaves them to be retried after ``lease``."""
    d = AlertDelivery.__table__  # type: ignore[attr-defined]
    due = and_(d.c.state.in_(("pending", "sending")), d.c.next_attempt_at <= now)
    ids = list(
        session.execute(
            sa_select(d.c.id).where(due).order_by(d.c.next_attempt_at, d.c.id).limit(limit)
        ).scalars()
    )
    if not ids:
        return []
    claimed = list(
        session.execute(
            update(d)
            .where(d.c.id.in_(ids), due)
            .values(state="sending", attempts=d.c.attempts + 1, next_attempt_at=now + lease)
            .returning(d.c.id)
        ).scalars()
    )
    if not claimed:
        return []
    a = Alert.__table__  # type: ignore[attr-defined]
    rows = session.execute(
        sa_select(
            d.c.id,
            d.c.alert_id,
            d.c.channel,
            d.c.channel_label,
            d.c.attempts,
            a.c.rule,
            a.c.kind,
            a.c.mode,
            a.c.story_id,
            a.c.article_id,
            a.c.source_id,
            a.c.matched,
            a.c.payload,
            a.c.created_at,
        )
        .join(a, a.c.id == d.c.alert_id)
        .where(d.c.id.in_(claimed))
        .order_by(a.c.created_at, d.c.id)
    )
    return [
        ClaimedDelivery(
            id=r.id,
            alert_id=r.alert_id,
            channel=r.channel,
            channel_label=r.channel_label,
            attempts=r.attempts,
            rule=r.rule,
            kind=r.kind,
            mode=r.mode,
            story_id=r.story_id,
            article_id=r.article_id,
            source_id=r.source_id,
            matched=list(r.matched or []),
            payload=dict(r.payload or {}),
            created_at=_aware(r.created_at),
        )
        for r in rows
    ]


def mark_sent(*, session: Session, delivery_ids: Sequence[int], at: datetime) -> None:
    """These deliveries reached their channel."""
    if delivery_ids:
        d = AlertDelivery.__table__  # type: ignore[attr-defined]
        session.execute(
            update(d)
            .where(d.c.id.in_(delivery_ids), d.c.state == "sending")
            .values(state="sent", sent_at=at, last_error=None)
        )


def mark_failed(
    *, session: Session, delivery_ids: Sequence[int], error: str, retry_at: datetime | None
) -> None:
    """These deliveries failed: pending again from ``retry_at``, or dead (None)."""
    if delivery_ids:
        d = AlertDelivery.__table__  # type: ignore[attr-defined]
        values: dict[str, Any] = {"last_error": error[:2000]}
        if retry_at is None:
            values["state"] = "dead"
        else:
            values.update(state="pending", next_attempt_at=retry_at)
        session.execute(
            update(d).where(d.c.id.in_(delivery_ids), d.c.state == "sending").values(**values)
        )


def story_sites(*, session: Session, story_ids: Iterable[int]) -> dict[int, list[tuple[str, str]]]:
    """Per story, ``(source id, source name)`` of every source carrying it, by first fetch."""
    ids = sorted(set(story_ids))
    if not ids:
        return {}
    art = Article.__table__  # type: ignore[attr-defined]
    src = Source.__table__  # type: ignore[attr-defined]
    first = func.min(art.c.fetched_at)
    rows = session.execute(
        sa_select(art.c.story_id, art.c.source_id, src.c.name, first)
        .join(src, src.c.id == art.c.source_id)
        .where(art.c.story_id.in_(ids))
        .group_by(art.c.story_id, art.c.source_id, src.c.name)
        .order_by(first)
    )
    sites: dict[int, list[tuple[str, str]]] = {}
    for story_id, source_id, name, _ in rows:
        sites.setdefault(story_id, []).append((source_id, name))
    return sites


@dataclass(frozen=True)
class AlertRow:
    """An alert with its deliveries, for listings."""

    id: int
    rule: str
    kind: str
    mode: str
    source_id: str | None
    story_id: int | None
    matched: list[str]
    payload: dict[str, Any]
    created_at: datetime
    deliveries: list[dict[str, Any]]


def recent_alerts(
    *, session: Session, limit: int = 50, rule: str | None = None, state: str | None = None
) -> list[AlertRow]:
    """The latest alerts (newest first) with their deliveries; ``state`` keeps the alerts with
    a delivery in that state (``dead``: the dead letters)."""
    query = select(Alert).order_by(col(Alert.created_at).desc(), col(Alert.id).desc())
    if rule is not None:
        query = query.where(Alert.rule == rule)
    if state is not None:
        query = query.where(
            col(Alert.id).in_(select(AlertDelivery.alert_id).where(AlertDelivery.state == state))
        )
    alerts = list(session.exec(query.limit(limit)))
    by_alert: dict[int, list[dict[str, Any]]] = {}
    if alerts:
        deliveries = session.exec(
            select(AlertDelivery)
            .where(col(AlertDelivery.alert_id).in_([a.id for a in alerts]))
            .order_by(col(AlertDelivery.id))
        )
        for delivery in deliveries:
            by_alert.setdefault(delivery.alert_id, []).append(
                {
                    "channel": delivery.channel,
                    "label": delivery.channel_label,
                    "state": delivery.state,
                    "attempts": delivery.attempts,
                    "next_attempt_at": _aware(delivery.next_attempt_at),
                    "sent_at": _aware(delivery.sent_at) if delivery.sent_at else None,
                    "last_error": delivery.last_error,
                }
            )
    return [
        AlertRow(
            id=int(a.id or 0),
            rule=a.rule,
            kind=a.kind,
            mode=a.mode,
            source_id=a.source_id,
            story_id=a.story_id,
            matched=list(a.matched or []),
            payload=dict(a.payload or {}),
            created_at=_aware(a.created_at),
            deliveries=by_alert.get(int(a.id or 0), []),
        )
        for a in alerts
    ]


def pending_count(*, session: Session, now: datetime | None = None) -> int:
    """Deliveries not yet sent nor dead (due at ``now`` when given)."""
    d = AlertDelivery.__table__  # type: ignore[attr-defined]
    condition = d.c.state.in_(("pending", "sending"))
    if now is not None:
        condition = and_(condition, d.c.next_attempt_at <= now)
    return int(
        session.execute(sa_select(func.count()).select_from(d).where(condition)).scalar_one()
    )


def _aware(moment: datetime) -> datetime:
    """SQLite hands stored (UTC) times back naive."""
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
