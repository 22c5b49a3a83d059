"""The service lease: one ``forumwatch serve`` per database.

A row of ``service_leases`` per lease name names the holding process (a unique holder id, its host
and pid) and when the lease expires. The holder renews it by a heartbeat; a lease past its expiry
is free, so one left by a killed service is taken over once it expires, and nothing (no file,
no row) outlives a dead holder for longer than the lease. Taking, renewing and releasing are
each one statement in a writing transaction (``session_scope(engine, write=True)``: on SQLite
the write lock is taken up front), atomic on SQLite and PostgreSQL alike. Times come from the
caller (aware UTC): hosts sharing a database are assumed to keep their clocks in step.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Table, delete, select, update
from sqlmodel import Session

from storage.db import dialect_insert
from storage.models import ServiceLease

SERVICE_LEASE = "serve"
"""The name of the lease ``forumwatch serve`` holds."""


def _table() -> Table:
    return ServiceLease.__table__  # type: ignore[attr-defined,no-any-return]


def _insert(session: Session) -> Any:
    return dialect_insert(session, _table())


def acquire_lease(
    *,
    session: Session,
    name: str,
    holder: str,
    host: str,
    pid: int,
    now: datetime,
    ttl: timedelta,
) -> tuple[bool, ServiceLease]:
    """Take the lease ``name`` for ``holder`` until ``now + ttl`` if it is free (no row, or the
    row has expired) or already ``holder``'s; returns (taken, the lease as it now stands: the
    other holder's when not taken). Call in a writing session."""
    table = _table()
    values = {
        "name": name,
        "holder": holder,
        "host": host,
        "pid": pid,
        "acquired_at": now,
        "heartbeat_at": now,
        "expires_at": now + ttl,
    }
    statement = _insert(session).values(**values)
    excluded = statement.excluded
    statement = statement.on_conflict_do_update(
        index_elements=[table.c.name],
        set_={
            "holder": excluded.holder,
            "host": excluded.host,
            "pid": excluded.pid,
            "acquired_at": excluded.acquired_at,
            "heartbeat_at": excluded.heartbeat_at,
            "expires_at": excluded.expires_at,
        },
        where=(table.c.expires_at < now) | (table.c.holder == holder),
    )
    session.connection().execute(statement)
    lease = current_lease(session=session, name=name)
    if lease is None:  # pragma: no cover - the row was just written in this transaction
        raise RuntimeError(f"lease {name!r} vanished while being taken")
    return lease.holder == holder, lease


def renew_lease(*, session: Session, name: str, holder: str, now: datetime, ttl: timedelta) -> bool:
    """Extend ``holder``'s lease to ``now + ttl``; False when ``holder`` no longer holds it
    (another process took it over after it expired)."""
    table = _table()
    statement = (
        update(table)
        .where(table.c.name == name, table.c.holder == holder)
        .values(heartbeat_at=now, expires_at=now + ttl)
    )
    return bool(session.connection().execute(statement).rowcount)


def release_lease(*, session: Session, name: str, holder: str) -> bool:
    """Give up ``holder``'s lease (the next service need not wait for it to expire); False when
    it was not ``holder``'s."""
    table = _table()
    statement = delete(table).where(table.c.name == name, table.c.holder == holder)
    return bool(session.connection().execute(statement).rowcount)


def current_lease(*, session: Session, name: str) -> ServiceLease | None:
    """The lease row ``name`` as stored (expired or not), or None."""
    row = session.connection().execute(select(_table()).where(_table().c.name == name)).first()
    return ServiceLease.model_validate(dict(row._mapping)) if row is not None else None
