"""Who may call the web app: API tokens (``storage.tokens``) as FastAPI dependencies.

A token is read from ``Authorization: Bearer TOKEN``, else from the ``fw_token`` cookie (set by
the UI's login form: HttpOnly, SameSite=Strict), else, for feeds only (``feed_reader``), from a
``?token=`` query parameter (feed readers that cannot send headers). ``reader`` admits any live
token, ``admin`` only admin tokens: no token or an unknown/revoked one is 401, a reader token
on an admin route 403. Each returns the token's row.

Also ``db_session``: a read session on the app's engine for one request.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Annotated, Final

from fastapi import Depends, HTTPException, Request, status
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy import exc
from sqlalchemy.engine import Engine
from sqlmodel import Session

from storage import tokens
from storage.db import session_scope
from storage.models import ApiToken

logger = logging.getLogger(__name__)

COOKIE: Final = "fw_token"
"""The cookie holding a token (the UI's login sets it)."""
QUERY: Final = "token"
"""The query parameter holding a token (feeds only)."""

_bearer = HTTPBearer(auto_error=False, description="An API token (`forumwatch tokens create`).")


def engine_of(request: Request) -> Engine:
    engine: Engine = request.app.state.engine
    return engine


def db_session(request: Request) -> Iterator[Session]:
    """A read session for one request, closed when the response is done."""
    with session_scope(engine_of(request)) as session:
        yield session


def sent_token(request: Request, *, allow_query: bool = False) -> str | None:
    """The token a request carries, if any (see the module docstring for where from)."""
    header = request.headers.get("authorization")
    if header:
        scheme, _, value = header.partition(" ")
        if scheme.lower() == "bearer" and value.strip():
            return value.strip()
    cookie = request.cookies.get(COOKIE)
    if cookie:
        return cookie
    if allow_query:
        return request.query_params.get(QUERY) or None
    return None


def check_token(request: Request, token: str | None, session: Session | None = None) -> ApiToken:
    """The live token row for ``token`` (looked up in ``session`` when given), or 401."""
    if token:
        engine = engine_of(request)
        if session is None:
            with session_scope(engine) as own:
                row = tokens.find_token(session=own, token=token)
        else:
            row = tokens.find_token(session=session, token=token)
        if row is not None:
            if row.id is not None and tokens.needs_touch(row, datetime.now(UTC)):
                if session is not None:
                    # hand back the read connection first: holding it while waiting for a
                    # writer's would deadlock a pool that many requests drain at once
                    session.commit()
                _touch(engine, row.id)
            return row
    raise HTTPException(
        status_code=status.HTTP_401_UNAUTHORIZED,
        detail="a valid API token is required",
        headers={"WWW-Authenticate": "Bearer"},
    )


def _touch(engine: Engine, token_id: int) -> None:
    """Note a token's use (every ``tokens.TOUCH_EVERY`` at most); never fails the request."""
    try:
        with session_scope(engine, write=True) as session:
            tokens.touch_token(session=session, token_id=token_id, now=datetime.now(UTC))
    except exc.SQLAlchemyError:
        logger.warning("could not record the use of token %s", token_id, exc_info=True)


def reader(
    request: Request,
    session: Annotated[Session, Depends(db_session)],
    _credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)] = None,
) -> ApiToken:
    """Any live token (reader or admin)."""
    return check_token(request, sent_token(request), session)


def admin(token: Annotated[ApiToken, Depends(reader)]) -> ApiToken:
    """An admin token; a reader token is 403."""
    if token.role != "admin":
        raise HTTPException(
            status_code=status.HTTP_403_FORBIDDEN, detail="an admin token is needed"
        )
    return token


def feed_reader(
    request: Request,
    session: Annotated[Session, Depends(db_session)],
    _credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)] = None,
) -> ApiToken:
    """Like ``reader``, and a ``?token=`` in the URL counts too."""
    return check_token(request, sent_token(request, allow_query=True), session)


Reader = Annotated[ApiToken, Depends(reader)]
Admin = Annotated[ApiToken, Depends(admin)]
FeedReader = Annotated[ApiToken, Depends(feed_reader)]
DbSession = Annotated[Session, Depends(db_session)]
