"""Engines, sessions and schema upgrades: the one place that talks to the database driver.

SQLite (the default, ``sqlite:///data/forumwatch.db``) runs in WAL mode with a 30 s busy timeout,
``synchronous=NORMAL`` and foreign keys on. Write sessions take the write lock when they begin
(``BEGIN IMMEDIATE``): a deferred transaction that reads and then writes fails at once when
another process wrote in between, whatever the busy timeout. PostgreSQL is reached through
psycopg 3 (``postgresql+psycopg://``; a bare ``postgresql://`` URL is given that driver).

The URL comes from the caller (``crawler.config`` reads ``database`` / ``FORUMWATCH_DATABASE_URL``).
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Final

from alembic import command
from alembic.config import Config
from sqlalchemy import URL, Connection, create_engine, event, exc, make_url, text
from sqlalchemy.engine import Engine
from sqlmodel import Session

MIGRATIONS_DIR: Final = Path(__file__).resolve().parent / "migrations"
WRITE_OPTION: Final = "forumwatch_write"
"""Execution option marking a connection that will write (SQLite: ``BEGIN IMMEDIATE``)."""

_SQLITE_PRAGMAS: Final = (
    "PRAGMA busy_timeout=30000",  # first, so the pragmas below wait for a busy file too
    "PRAGMA journal_mode=WAL",
    "PRAGMA synchronous=NORMAL",
    "PRAGMA foreign_keys=ON",
)
_WAL_RETRY_SECONDS: Final = 30.0
_MIGRATION_LOCK_KEY: Final = 0x666F_7277  # 'forw': serializes concurrent upgrades on PostgreSQL

_engines: dict[str, Engine] = {}
_engines_lock = threading.Lock()


class StorageError(Exception):
    """The database cannot be used (unreachable, unsupported); the message names the URL."""


def make_engine(url: str | URL) -> Engine:
    """A new engine for ``url``, configured for forumwatch's SQLite or PostgreSQL use."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        return _sqlite_engine(parsed)
    if parsed.drivername == "postgresql":
        parsed = parsed.set(drivername="postgresql+psycopg")
    return create_engine(parsed, pool_pre_ping=True)


def _sqlite_engine(url: URL) -> Engine:
    database = url.database or ""
    if database and database != ":memory:" and not database.startswith("file:"):
        Path(database).expanduser().parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(url, connect_args={"timeout": 30})
    event.listen(engine, "connect", _on_sqlite_connect)
    event.listen(engine, "begin", _on_sqlite_begin)
    return engine


def _on_sqlite_connect(dbapi_connection: Any, _record: Any) -> None:
    # Stop the sqlite3 module from issuing BEGIN itself; _on_sqlite_begin does it instead.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    try:
        for pragma in _SQLITE_PRAGMAS:
            if pragma.startswith("PRAGMA journal_mode"):
                _enable_wal(cursor)
            else:
                cursor.execute(pragma)
    finally:
        cursor.close()


def _enable_wal(cursor: Any) -> None:
    """Switch a new database file to WAL (it stays so). Changing the journal mode answers
    SQLITE_BUSY at once, without the busy timeout, while another connection creating the same
    file holds it: wait and retry, as the timeout would."""
    import sqlite3
    import time

    deadline = time.monotonic() + _WAL_RETRY_SECONDS
    while True:
        try:
            if str(cursor.execute("PRAGMA journal_mode").fetchone()[0]).lower() != "wal":
                cursor.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as error:
            if "locked" not in str(error) or time.monotonic() > deadline:
                raise
            time.sleep(0.05)


def _on_sqlite_begin(connection: Connection) -> None:
    write = connection.get_execution_options().get(WRITE_OPTION, False)
    connection.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")


def get_engine(url: str) -> Engine:
    """The process's engine for ``url``, created on first use."""
    with _engines_lock:
        engine = _engines.get(url)
        if engine is None:
            engine = _engines[url] = make_engine(url)
        return engine


def reset_engines() -> None:
    """Dispose of every cached engine (tests, forked workers)."""
    with _engines_lock:
        engines = list(_engines.values())
        _engines.clear()
    for engine in engines:
        engine.dispose()


def writing(engine: Engine) -> Engine:
    """``engine`` with connections marked as writers (``BEGIN IMMEDIATE`` on SQLite)."""
    return engine.execution_options(**{WRITE_OPTION: True})


@contextmanager
def session_scope(engine: Engine, *, write: bool = False) -> Iterator[Session]:
    """A session committed when the block succeeds and rolled back when it raises.

    Objects stay usable after the block (``expire_on_commit=False``).
    """
    with Session(writing(engine) if write else engine, expire_on_commit=False) as session:
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise


def alembic_config() -> Config:
    """Alembic configuration built in code: no ``alembic.ini`` needed, works from any cwd."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR).replace("%", "%%"))
    return config


def upgrade_schema(engine: Engine) -> None:
    """Bring the schema to the latest migration; a no-op when it is already there.

    Safe from several processes at once: the whole upgrade runs in one transaction that holds
    the SQLite write lock, or a PostgreSQL advisory lock.
    """
    config = alembic_config()
    connection = _connect(writing(engine))
    with connection, connection.begin():
        if connection.dialect.name == "postgresql":
            connection.execute(
                text("SELECT pg_advisory_xact_lock(:key)"), {"key": _MIGRATION_LOCK_KEY}
            )
        config.attributes["connection"] = connection
        command.upgrade(config, "head")


def masked_url(engine: Engine) -> str:
    """The engine's URL with any password hidden, for messages and logs."""
    return engine.url.render_as_string(hide_password=True)


def _connect(engine: Engine) -> Connection:
    try:
        return engine.connect()
    except exc.DBAPIError as error:
        raise StorageError(f"cannot reach database {masked_url(engine)}: {error.orig}") from error
