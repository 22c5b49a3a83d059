"""Engines, sessions and schema upgrades: the one place that talks to the database driver.

SQLite (the default, ``sqlite:///data/forumwatch.db``) runs in WAL mode with a 30 s busy timeout,
``synchronous=NORMAL`` and foreign keys on. Write sessions take the write lock when they begin
(``BEGIN IMMEDIATE``): a deferred transaction that reads and then writes fails at once when
another process wrote in between, whatever the busy timeout. PostgreSQL is reached through
psycopg 3 (``postgresql+psycopg://``; a bare ``postgresql://`` URL is given that driver).

The URL comes from the caller (``crawler.config`` reads ``database`` / ``FORUMWATCH_DATABASE_URL``).
Anything that makes a URL unusable (unknown dialect, driver not installed, a folder that cannot be
created, a file that is no database) is a ``StorageError`` naming the URL without its password.
``get_engine(url, create=False)`` refuses to create a missing SQLite file (``NoDatabaseError``), for
commands that only read. ``close_engines`` checkpoints the WAL of every SQLite database this
process wrote (so the ``.db`` file alone holds everything) and disposes of the engines.
"""

from __future__ import annotations

import threading
import weakref
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Final

from alembic import command
from alembic.config import Config
from sqlalchemy import URL, Connection, create_engine, event, exc, make_url, text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Engine
from sqlalchemy.pool import Pool
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
_CHECKPOINT_BUSY_MS: Final = 5_000  # how long a closing process waits for other writers
_MIGRATION_LOCK_KEY: Final = 0x666F_7277  # 'forw': serializes concurrent upgrades on PostgreSQL

_engines: dict[str, Engine] = {}
_engines_lock = threading.Lock()
_written: weakref.WeakSet[Pool] = weakref.WeakSet()
"""Pools of SQLite engines that committed a change in this process (checkpointed on close)."""


class StorageError(Exception):
    """The database cannot be used (unreachable, unsupported); the message names the URL."""


class NoDatabaseError(StorageError):
    """A command that only reads was pointed at a database that does not exist."""

    def __init__(self, where: str) -> None:
        super().__init__(f"no database at {where}")
        self.where = where


def make_engine(url: str | URL, *, create: bool = True) -> Engine:
    """A new engine for ``url``, configured for forumwatch's SQLite or PostgreSQL use.

    With ``create=False`` a SQLite file (and its folder) must already exist.
    """
    try:
        parsed = make_url(url)
    except (exc.ArgumentError, ValueError) as error:
        raise StorageError(f"not a database URL: {error}") from None
    shown = parsed.render_as_string(hide_password=True)
    try:
        if parsed.get_backend_name() == "sqlite":
            return _sqlite_engine(parsed, create=create)
        if parsed.drivername == "postgresql":
            parsed = parsed.set(drivername="postgresql+psycopg")
        return create_engine(parsed, pool_pre_ping=True)
    except (exc.ArgumentError, ImportError) as error:
        raise StorageError(f"cannot use database {shown}: {_one_line(error)}") from None


def sqlite_path(url: str | URL) -> Path | None:
    """The file of a SQLite URL; None for other databases and in-memory SQLite."""
    parsed = make_url(url)
    database = parsed.database or ""
    if parsed.get_backend_name() != "sqlite" or database in ("", ":memory:"):
        return None
    if database.startswith("file:"):
        return None
    return Path(database).expanduser()


def _sqlite_engine(url: URL, *, create: bool) -> Engine:
    path = sqlite_path(url)
    if path is not None and not create and not path.is_file():
        raise NoDatabaseError(str(path))
    if path is not None and create:
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
        except (OSError, ValueError) as error:
            raise StorageError(f"cannot create the folder of database {path}: {error}") from None
    engine = create_engine(url, connect_args={"timeout": 30})
    event.listen(engine, "connect", _on_sqlite_connect)
    event.listen(engine, "begin", _on_sqlite_begin)
    event.listen(engine, "commit", _on_sqlite_commit)
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


def _on_sqlite_commit(connection: Connection) -> None:
    # total_changes counts every row this connection changed since it opened: a write
    # transaction that changed nothing (a no-op schema upgrade) needs no checkpoint.
    changes: int = getattr(connection.connection.dbapi_connection, "total_changes", 0)
    if changes:
        _written.add(connection.engine.pool)


def get_engine(url: str, *, create: bool = True) -> Engine:
    """The process's engine for ``url``, created on first use (see ``make_engine``)."""
    with _engines_lock:
        engine = _engines.get(url)
        if engine is None:
            engine = _engines[url] = make_engine(url, create=create)
        elif not create:
            path = sqlite_path(engine.url)
            if path is not None and not path.is_file():
                raise NoDatabaseError(str(path))
        return engine


def reset_engines() -> None:
    """Dispose of every cached engine (tests, forked workers)."""
    with _engines_lock:
        engines = list(_engines.values())
        _engines.clear()
    for engine in engines:
        engine.dispose()


def close_engines() -> None:
    """Checkpoint every SQLite database this process wrote, then dispose of every cached engine.

    Called when a command ends, so that a copy of the ``.db`` file alone holds all the data.
    """
    with _engines_lock:
        engines = list(_engines.values())
        _engines.clear()
    for engine in engines:
        if engine.pool in _written:
            checkpoint(engine)
        engine.dispose()


def checkpoint(engine: Engine) -> bool:
    """Copy a SQLite database's write-ahead log into the database file and empty the log.

    Waits at most a few seconds for other writers; True when the whole log was copied. A no-op
    (True) for other databases. Never raises: the log is still there and replayed on next open.
    """
    if engine.dialect.name != "sqlite":
        return True
    import sqlite3

    try:
        # the DBAPI connection is in autocommit (see _on_sqlite_connect): no BEGIN around it
        connection = engine.raw_connection()
    except exc.SQLAlchemyError:
        return False
    try:
        cursor = connection.cursor()
        cursor.execute(f"PRAGMA busy_timeout={_CHECKPOINT_BUSY_MS}")
        busy = cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()[0]
        cursor.execute(_SQLITE_PRAGMAS[0])
        cursor.close()
    except sqlite3.Error:
        return False
    finally:
        connection.close()
    _written.discard(engine.pool)
    return not busy


def writing(engine: Engine) -> Engine:
    """``engine`` with connections marked as writers (``BEGIN IMMEDIATE`` on SQLite)."""
    return engine.execution_options(**{WRITE_OPTION: True})


def dialect_insert(session: Session, model: Any) -> Any:
    """The session's dialect's INSERT for ``model`` (a table class or a ``Table``): the one
    with ``on_conflict_do_nothing`` / ``on_conflict_do_update``."""
    table = getattr(model, "__table__", model)
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        return postgresql.insert(table)
    if dialect == "sqlite":
        return sqlite.insert(table)
    raise StorageError(f"unsupported database dialect {dialect!r}")


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
    try:
        with connection, connection.begin():
            if connection.dialect.name == "postgresql":
                connection.execute(
                    text("SELECT pg_advisory_xact_lock(:key)"), {"key": _MIGRATION_LOCK_KEY}
                )
            config.attributes["connection"] = connection
            command.upgrade(config, "head")
    except exc.DBAPIError as error:
        raise StorageError(
            f"cannot use database {masked_url(engine)}: {_one_line(error.orig)}"
        ) from error


def has_schema(engine: Engine) -> bool:
    """Whether forumwatch's tables were ever created in this database (a migration ran)."""
    from sqlalchemy import inspect

    connection = _connect(engine)
    with connection:
        try:
            return inspect(connection).has_table("alembic_version")
        except exc.DBAPIError as error:
            raise StorageError(
                f"cannot use database {masked_url(engine)}: {_one_line(error.orig)}"
            ) from error


def masked_url(engine: Engine) -> str:
    """The engine's URL with any password hidden, for messages and logs."""
    return engine.url.render_as_string(hide_password=True)


def _connect(engine: Engine) -> Connection:
    try:
        return engine.connect()
    except exc.DBAPIError as error:
        raise StorageError(
            f"cannot reach database {masked_url(engine)}: {_one_line(error.orig)}"
        ) from error


def _one_line(error: object) -> str:
    """A driver's message (psycopg's span several lines) on one line."""
    return " ".join(str(error).split())
