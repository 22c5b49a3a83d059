"""The alert outbox: alerts written in the transaction that stores what they are about, and
their deliveries, one per channel, which a dispatcher works through.

An alert is one per ``(rule, dedupe_key)``: adding it again (a repost of a story already
alerted, the same health change twice) adds nothing. Channels are given as ``(key, label)``:
the key is a stable hash of the Apprise URL (which may hold secrets), the label a masked form
for display; the dispatcher maps keys back to the configured URLs.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, select

from storage.models import Alert, AlertDelivery, utcnow


def _insert_alert(session: Session) -> Any:
    dialect = session.get_bind().dialect.name
    module = postgresql if dialect == "postgresql" else sqlite
    return module.insert(Alert.__table__)  # type: ignore[attr-defined]


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
