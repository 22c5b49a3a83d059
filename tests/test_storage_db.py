"""storage/db.py: unusable URLs are StorageErrors, read-only opening creates nothing, and closing
an engine that wrote leaves the SQLite ``.db`` file whole (its write-ahead log checkpointed)."""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

import pytest

from storage import queries
from storage.db import (
    NoDatabaseError,
    StorageError,
    close_engines,
    get_engine,
    has_schema,
    make_engine,
    session_scope,
    upgrade_schema,
)
from storage.models import SourceRecord


def test_read_only_engine_on_a_missing_file_creates_nothing(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'data' / 'x.db'}"
    with pytest.raises(NoDatabaseError) as raised:
        get_engine(url, create=False)
    assert raised.value.where == str(tmp_path / "data" / "x.db")
    assert not (tmp_path / "data").exists()


@pytest.mark.parametrize(
    ("url", "problem"),
    [
        ("notaurl", "not a database URL"),
        ("nosuchdialect://host/db", "cannot use database"),
        ("postgresql+nosuchdriver://host/db", "cannot use database"),
    ],
)
def test_unusable_urls_are_storage_errors(url: str, problem: str) -> None:
    with pytest.raises(StorageError, match=problem):
        make_engine(url)


def test_sqlite_folder_that_cannot_be_created(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("x", encoding="utf-8")
    with pytest.raises(StorageError, match="cannot create the folder"):
        make_engine(f"sqlite:///{tmp_path / 'file' / 'sub' / 'x.db'}")


def test_not_a_database_file_is_a_storage_error(tmp_path: Path) -> None:
    path = tmp_path / "notes.txt"
    path.write_text("hello " * 1000, encoding="utf-8")
    engine = make_engine(f"sqlite:///{path}")
    try:
        with pytest.raises(StorageError, match="file is not a database"):
            upgrade_schema(engine)
    finally:
        engine.dispose()


def test_close_engines_leaves_a_whole_database_file(tmp_path: Path) -> None:
    database = tmp_path / "fw.db"
    engine = get_engine(f"sqlite:///{database}")
    upgrade_schema(engine)
    assert has_schema(engine)
    with session_scope(engine, write=True) as session:
        source = SourceRecord(id="gov-a", name="Site", start_urls=("http://127.0.0.1/x/",))
        queries.sync_sources(session=session, sources=[source])
    assert (tmp_path / "fw.db-wal").stat().st_size > 0
    close_engines()
    wal = tmp_path / "fw.db-wal"
    assert not wal.exists() or wal.stat().st_size == 0
    copy = tmp_path / "copy.db"
    shutil.copyfile(database, copy)
    connection = sqlite3.connect(copy)
    try:
        assert connection.execute("SELECT id FROM sources").fetchall() == [("gov-a",)]
    finally:
        connection.close()
