"""Database fixtures: every storage test runs on SQLite and on PostgreSQL.

``db_url`` gives each test a fresh database: a file under ``tmp_path`` for SQLite, and a new
``fw_test_<random>`` database for PostgreSQL, created next to ``$FORUMWATCH_TEST_POSTGRES_URL``
(default ``postgresql+psycopg://postgres@127.0.0.1:5432/test``) and dropped afterwards. When
PostgreSQL cannot be reached its tests are skipped, or fail if ``FORUMWATCH_REQUIRE_SERVICES=1``.
``module_db_url`` is the same per test module, for tests that share one expensive state (a crawl).
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy import URL, create_engine, exc, make_url
from sqlalchemy.engine import Engine
from sqlalchemy.pool import NullPool
from sqlmodel import Session

from storage.db import get_engine, reset_engines, upgrade_schema

POSTGRES_ENV = "FORUMWATCH_TEST_POSTGRES_URL"
REQUIRE_ENV = "FORUMWATCH_REQUIRE_SERVICES"
DEFAULT_POSTGRES_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
BACKENDS = ("sqlite", "postgresql")


def sqlite_url(directory: Path) -> str:
    """A SQLite URL for a database file in ``directory``."""
    return f"sqlite:///{directory / 'forumwatch.db'}"


@pytest.fixture(scope="session")
def postgres_admin() -> Iterator[Engine]:
    """An AUTOCOMMIT engine on the test server, for creating and dropping databases."""
    url = make_url(os.environ.get(POSTGRES_ENV, DEFAULT_POSTGRES_URL))
    engine = create_engine(
        url, isolation_level="AUTOCOMMIT", poolclass=NullPool, connect_args={"connect_timeout": 5}
    )
    try:
        with engine.connect() as connection:
            connection.exec_driver_sql("SELECT 1")
    except exc.DBAPIError as error:
        engine.dispose()
        message = f"PostgreSQL unreachable at {url.render_as_string()}: {error.orig}"
        if os.environ.get(REQUIRE_ENV) == "1":
            pytest.fail(f"{message} ({REQUIRE_ENV}=1)", pytrace=False)
        pytest.skip(message)
    yield engine
    engine.dispose()


@contextmanager
def fresh_postgres_database(admin: Engine) -> Iterator[str]:
    """Create an empty ``fw_test_<random>`` database next to ``admin``'s; drop it afterwards."""
    name = f"fw_test_{uuid.uuid4().hex[:12]}"
    with admin.connect() as connection:
        connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
    url: URL = admin.url.set(database=name)
    try:
        yield url.render_as_string(hide_password=False)
    finally:
        reset_engines()
        with admin.connect() as connection:
            connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def postgres_url(request: pytest.FixtureRequest) -> Iterator[str]:
    """A fresh, empty PostgreSQL database, dropped after the test."""
    admin: Engine = request.getfixturevalue("postgres_admin")
    with fresh_postgres_database(admin) as url:
        yield url


@pytest.fixture(params=BACKENDS)
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """The URL of an empty database on each backend in turn."""
    if request.param == "sqlite":
        return sqlite_url(tmp_path)
    url: str = request.getfixturevalue("postgres_url")
    return url


@pytest.fixture(scope="module", params=BACKENDS)
def module_db_url(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    """``db_url`` shared by a whole test module: an empty database per backend, set up once."""
    if request.param == "sqlite":
        yield sqlite_url(tmp_path_factory.mktemp("sqlite"))
        reset_engines()
        return
    admin: Engine = request.getfixturevalue("postgres_admin")
    with fresh_postgres_database(admin) as url:
        yield url


@pytest.fixture
def engine(db_url: str) -> Iterator[Engine]:
    """The process engine for ``db_url``, with the schema upgraded to head."""
    engine = get_engine(db_url)
    upgrade_schema(engine)
    yield engine
    reset_engines()


@pytest.fixture
def session(engine: Engine) -> Iterator[Session]:
    """A session on ``engine``; the test commits when it needs to."""
    with Session(engine, expire_on_commit=False) as session:
        yield session
