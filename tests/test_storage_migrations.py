"""The Alembic migrations build exactly the models' schema, upgrading is safe to repeat, and data
migrations (0004: canonical URLs fold the scheme) rewrite stored rows correctly."""

from __future__ import annotations

import importlib.util
import threading
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Index
from sqlalchemy.engine import Connection, Engine
from sqlmodel import Session, SQLModel, select

import storage.models  # noqa: F401  (registers the tables)
from crawler.discover.urls import canonicalize
from storage.db import MIGRATIONS_DIR, StorageError, alembic_config, make_engine, upgrade_schema
from storage.models import (
    Article,
    ArticleHtml,
    ArticleSignature,
    Attachment,
    LshBand,
    Source,
    Story,
)
from storage.search import owned_by_search


def schema_differences(connection: Connection) -> list[Any]:
    context = MigrationContext.configure(
        connection,
        opts={
            "compare_type": True,
            "compare_server_default": True,
            "include_name": lambda name, _type, _parents: not owned_by_search(name),
        },
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
            assert current_revision(connection) == head_revision() == "0010"
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


# -- 0004: canonical URLs fold the scheme -------------------------------------------------------

T0 = datetime(2025, 3, 1, 8, 0, tzinfo=UTC)


def load_migration(filename: str) -> Any:
    """A migration script as a module (its own helpers are tested against the live code)."""
    path = MIGRATIONS_DIR / "versions" / filename
    spec = importlib.util.spec_from_file_location(f"migration_{path.stem}", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def fold_module() -> Any:
    return load_migration("0004_fold_scheme.py")


def upgrade_to(engine: Engine, revision: str) -> None:
    config = alembic_config()
    with engine.connect() as connection, connection.begin():
        config.attributes["connection"] = connection
        command.upgrade(config, revision)


@pytest.mark.parametrize(
    "old_key",
    [
        "https://x.gov.cn/a/t20240101_1.html",
        "https://x.gov.cn:8443/a?id=1",
        "https://x.gov.cn:80/a",
        "http://x.gov.cn:443/a",
        "http://x.gov.cn:8080/a",
        "http://x.gov.cn/a",
        "https://[2001:db8::1]/a",
        "https://[2001:db8::1]:8443/a",
        "http://[2001:db8::1]:443/a?b=1&c=2",
    ],
)
def test_migration_folds_keys_as_canonicalize_does(old_key: str) -> None:
    """A key stored by the older code, re-canonicalized by the crawler and by the migration,
    comes out the same (so stored keys match the keys new crawls look up)."""
    assert fold_module().fold(old_key) == canonicalize(old_key)


def _article(article_id: int, key: str, story_id: int | None = None) -> Article:
    return Article(
        id=article_id,
        source_id="x",
        url=key + "?from=list",
        canonical_url=key,
        text=f"article {article_id}",
        content_hash=f"{article_id:064x}",
        extracted_at=T0,
        fetched_at=T0,
        story_id=story_id,
    )


_CRAWLED_URLS_0003 = sa.table(
    "crawled_urls",
    sa.column("canonical_url"),
    sa.column("source_id"),
    sa.column("state"),
    sa.column("attempts"),
    sa.column("first_seen_at"),
    sa.column("last_seen_at"),
)

_STORIES_0003 = sa.table("stories", sa.column("id"), sa.column("first_seen_at"))


def _url(canonical_url: str, state: str, seen: datetime) -> dict[str, object]:
    return {
        "canonical_url": canonical_url,
        "source_id": "x",
        "state": state,
        "attempts": 0,
        "first_seen_at": seen,
        "last_seen_at": seen,
    }


def _seed_0003(engine: Engine) -> None:
    """Rows as the older code stored them: http and https of the same pages, side by side."""
    with Session(engine) as session:
        session.add(Source(id="x", name="X", start_urls=["https://x.example/"]))
        # stories as of 0003 (the model has columns of later revisions)
        session.execute(
            sa.insert(_STORIES_0003),
            [{"id": 1, "first_seen_at": T0}, {"id": 2, "first_seen_at": T0}],
        )
        session.flush()
        session.add_all(
            [
                _article(1, "https://x.example/a/1.html", story_id=1),
                _article(2, "http://x.example/a/1.html", story_id=2),  # same page as 1
                _article(3, "https://x.example:443/b.html"),
                _article(4, "https://x.example:8443/c.html"),
                _article(5, "http://x.example/d.html"),
                _article(6, "http://y.example/e.html", story_id=1),
                _article(7, "https://y.example/e.html", story_id=1),  # same page as 6
            ]
        )
        session.flush()
        for article_id in (1, 2, 7):
            session.add(ArticleHtml(article_id=article_id, raw_html=b"x"))
            session.add(ArticleSignature(article_id=article_id, signature=b"s", shingles=3))
            session.add(LshBand(band_key=article_id * 10, article_id=article_id))
        session.add_all(
            [
                Attachment(id=1, source_id="x", url="u", canonical_url="https://x.example/f.pdf"),
                Attachment(
                    id=2,
                    source_id="x",
                    url="u",
                    canonical_url="http://x.example/f.pdf",
                    article_id=1,
                ),
                Attachment(
                    id=3,
                    source_id="x",
                    url="u",
                    canonical_url="http://x.example/g.pdf",
                    article_id=2,
                ),
            ]
        )
        # crawled_urls as of 0003 (the model has columns of later revisions)
        session.execute(
            sa.insert(_CRAWLED_URLS_0003),
            [
                _url("https://x.example/a/1.html", "article", T0),
                _url("http://x.example/a/1.html", "error", T0 + timedelta(days=1)),
                _url("https://x.example/h.html", "gone", T0),
                _url("https://x.example/i.html", "error", T0),
                _url("http://x.example/i.html", "gone", T0 + timedelta(days=2)),
            ],
        )
        session.commit()


def test_fold_scheme_migration_merges_http_and_https_rows(db_url: str) -> None:
    """0004 on a database holding both schemes of some pages: every key is folded, one row per
    page is kept (the first article; the attachment linked to an article; the URL state saying
    the content is stored, else the latest), what hung on dropped articles is moved or removed,
    and the unique constraints hold."""
    engine = make_engine(db_url)
    try:
        upgrade_to(engine, "0003")
        _seed_0003(engine)
        upgrade_to(engine, "0004")
        with Session(engine) as session:
            articles = {a.id: (a.canonical_url, a.story_id) for a in session.exec(select(Article))}
            assert articles == {
                1: ("http://x.example/a/1.html", 1),
                3: ("http://x.example/b.html", None),
                4: ("http://x.example:8443/c.html", None),
                5: ("http://x.example/d.html", None),
                6: ("http://y.example/e.html", 1),
            }
            assert sorted(h.article_id for h in session.exec(select(ArticleHtml))) == [1]
            assert sorted(s.article_id for s in session.exec(select(ArticleSignature))) == [1]
            assert sorted(b.article_id for b in session.exec(select(LshBand))) == [1]
            stories = session.execute(sa.select(_STORIES_0003.c.id)).scalars().all()
            assert stories == [1]  # story 2 was left empty
            attachments = {
                a.id: (a.canonical_url, a.article_id) for a in session.exec(select(Attachment))
            }
            assert attachments == {
                2: ("http://x.example/f.pdf", 1),
                3: ("http://x.example/g.pdf", 1),  # moved from the dropped article 2
            }
            rows = session.execute(
                sa.select(_CRAWLED_URLS_0003.c.canonical_url, _CRAWLED_URLS_0003.c.state)
            )
            states = {url: state for url, state in rows}
            assert states == {
                "http://x.example/a/1.html": "article",
                "http://x.example/h.html": "gone",
                "http://x.example/i.html": "gone",
            }
        upgrade_schema(engine)  # the later revisions apply on top
        with engine.connect() as connection:
            assert schema_differences(connection) == []
    finally:
        engine.dispose()


def test_listing_date_migration_fills_each_story_from_its_articles(db_url: str) -> None:
    """0010 on stories stored before it: the earliest stated publication day of a story's
    articles, an undated article counting by its UTC fetch day; none for an empty story."""
    engine = make_engine(db_url)
    try:
        upgrade_to(engine, "0008")
        late_evening = datetime(2024, 12, 31, 23, 30, tzinfo=UTC)  # 1 January in Beijing
        with Session(engine) as session:
            session.add(Source(id="x", name="X", start_urls=["https://x.example/"]))
            session.execute(
                sa.insert(_STORIES_0003),
                [{"id": n, "first_seen_at": T0} for n in (1, 2, 3)],
            )
            session.flush()
            dated = _article(1, "https://x.example/1", story_id=1)
            dated.published_on = date(2024, 5, 2)
            earlier = _article(2, "https://x.example/2", story_id=1)
            earlier.published_on = date(2023, 1, 9)
            undated = _article(3, "https://x.example/3", story_id=2)
            undated.fetched_at = late_evening
            session.add_all([dated, earlier, undated])
            session.commit()
        upgrade_to(engine, "0010")
        with Session(engine) as session:
            assert {s.id: s.listing_date for s in session.exec(select(Story))} == {
                1: date(2023, 1, 9),
                2: date(2024, 12, 31),
                3: None,
            }
    finally:
        engine.dispose()
