"""HTTP API tokens: created, listed, revoked and checked; only their SHA-256 is stored.

A token is ``fw_`` and 43 URL-safe characters (256 random bits), shown once when created. A
request's token is checked by ``authenticate``: the hash of what was sent is looked up, a
revoked token never matches. ``last_used_at`` is written at most every ``TOUCH_EVERY`` per token,
so reading the API under load does not turn every request into a write.

Keyword-only ``session`` functions; the caller owns the transaction. Reads no settings.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import UTC, datetime, timedelta
from typing import Final

from sqlalchemy import update
from sqlmodel import Session, col, select

from storage.models import TOKEN_ROLES, ApiToken

TOKEN_PREFIX: Final = "fw_"
TOUCH_EVERY: Final = timedelta(minutes=5)


def hash_token(token: str) -> str:
    """The stored form of a token: hex SHA-256 of its UTF-8 bytes."""
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


def create_token(*, session: Session, name: str, role: str) -> tuple[ApiToken, str]:
    """A new token row and the token itself (never stored; show it once)."""
    if role not in TOKEN_ROLES:
        raise ValueError(f"unknown role {role!r} (reader or admin)")
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    row = ApiToken(name=name, role=role, token_hash=hash_token(token))
    session.add(row)
    session.flush()
    return row, token


def list_tokens(*, session: Session) -> list[ApiToken]:
    """Every token row, oldest first (revoked ones included)."""
    return list(session.exec(select(ApiToken).order_by(col(ApiToken.id))).all())


def revoke_token(*, session: Session, token_id: int, now: datetime | None = None) -> bool:
    """Revoke a token; False when there is no such token or it was already revoked."""
    result = session.connection().execute(
        update(ApiToken)
        .where(col(ApiToken.id) == token_id, col(ApiToken.revoked_at).is_(None))
        .values(revoked_at=now or datetime.now(UTC))
    )
    return bool(result.rowcount)


def find_token(*, session: Session, token: str) -> ApiToken | None:
    """The live (not revoked) token row matching ``token``, if any."""
    if not token or len(token) > 200:
        return None
    statement = select(ApiToken).where(
        col(ApiToken.token_hash) == hash_token(token), col(ApiToken.revoked_at).is_(None)
    )
    return session.exec(statement).first()


def needs_touch(row: ApiToken, now: datetime) -> bool:
    """Whether ``row.last_used_at`` is old enough to be written again."""
    last = row.last_used_at
    if last is None:
        return True
    if last.tzinfo is None:
        last = last.replace(tzinfo=UTC)
    return now - last >= TOUCH_EVERY


def touch_token(*, session: Session, token_id: int, now: datetime) -> None:
    """Record that a token was just used."""
    session.connection().execute(
        update(ApiToken).where(col(ApiToken.id) == token_id).values(last_used_at=now)
    )
