"""The Alembic migrations build exactly the models' schema, and upgrading is safe to repeat."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Index
from sqlalchemy.engine import Connection, Engine
from sqlmodel import SQLModel

import storage.models  # noqa: F401  (registers the tables)
from storage.db import StorageError, alembic_config, make_engine, upgrade_schema


def schema_differences(connection: Connection) -> list[Any]:
    context = MigrationContext.configure(
        connection, opts={"compare_type": True, "compare_server_default": True}
    )
    return list(compare_metadata(context, SQLModel.metadata))


def current_revision(connection: Connection) -> str | None:
    return MigrationContext.configure(connection).get_current_revision()


def head_revision() -> str | None:
    return ScriptDirectory.from_config(alembic_config()).get_current_head()


def test_upgrade_builds_the_models_schema(db_url: str) -> None:
    engine = make_engine(db_url)
    try:
        upgrade_schema(engine)
        with engine.connect() as connection:
            assert schema_differences(connection) == []
            assert current_revision(connection) == head_revision() == "0005"
    finally:
        engine.dispose()


def test_compare_notices_a_missing_index(db_url: str) -> None:
    """Guards the test above: the comparison does see a difference when there is one."""
    engine = make_engine(db_url)
    extra = Index("ix_articles_title", SQLModel.metadata.tables["articles"].c.title)
    try:
        upgrade_schema(engine)
        with engine.connect() as connection:
            differences = schema_differences(connection)
    finally:
        SQLModel.metadata.tables["articles"].indexes.discard(extra)
        engine.dispose()
    assert [d[0] for d in differences] == ["add_index"]


def test_upgrade_twice_is_a_no_op(db_url: str) -> None:
    engine = make_engine(db_url)
    try:
        upgrade_schema(engine)
        upgrade_schema(engine)
        with engine.connect() as connection:
            assert current_revision(connection) == head_revision()
            assert schema_differences(connection) == []
    finally:
        engine.dispose()


def test_concurrent_upgrades_from_separate_engines(db_url: str) -> None:
    failures: list[BaseException] = []

    def upgrade() -> None:
        engine: Engine = make_engine(db_url)  # one engine each, as in separate processes
        try:
            upgrade_schema(engine)
        except BaseException as error:  # reported by the main thread
            failures.append(error)
        finally:
            engine.dispose()

    threads = [threading.Thread(target=upgrade) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []
    engine = make_engine(db_url)
    try:
        with engine.connect() as connection:
            assert current_revision(connection) == head_revision()
    finally:
        engine.dispose()


def test_unreachable_database_names_the_url_without_password() -> None:
    engine = make_engine("postgresql://fw:s3cret@127.0.0.1:1/forumwatch?connect_timeout=2")
    try:
        with pytest.raises(StorageError) as raised:
            upgrade_schema(engine)
    finally:
        engine.dispose()
    message = str(raised.value)
    assert "cannot reach database postgresql+psycopg://fw:***@127.0.0.1:1/forumwatch" in message
    assert "s3cret" not in message
