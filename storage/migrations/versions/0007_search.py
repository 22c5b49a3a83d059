"""Full-text search: the index of articles' titles and texts, its change queue and triggers.

SQLite: ``article_fts``, a contentless FTS5 table over bigram tokens (``storage.search_text``),
and ``ix_articles_search``, an index covering every search filter column. PostgreSQL:
``article_search`` (a tsvector per article, GIN-indexed; deleted with its article). Both:
``search_pending``, filled by triggers on ``articles`` and emptied by
``storage.search.apply_pending``. The index of the articles already stored is built here.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-02
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from storage.search import rebuild_index

revision: str = "0007"
down_revision: str | Sequence[str] | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_SQLITE_TRIGGERS = (
    """CREATE TRIGGER articles_search_insert AFTER INSERT ON articles BEGIN
        INSERT INTO search_pending (article_id, indexed) VALUES (new.id, 0);
    END""",
    """CREATE TRIGGER articles_search_update AFTER UPDATE OF title, text ON articles
    WHEN old.title IS NOT new.title OR old.text IS NOT new.text BEGIN
        INSERT INTO search_pending (article_id, indexed, old_title, old_text)
        VALUES (old.id, 1, old.title, old.text);
    END""",
    """CREATE TRIGGER articles_search_delete AFTER DELETE ON articles BEGIN
        INSERT INTO search_pending (article_id, indexed, old_title, old_text)
        VALUES (old.id, 1, old.title, old.text);
    END""",
)
_PG_FUNCTION = """CREATE FUNCTION forumwatch_search_queue() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO search_pending (article_id, indexed) VALUES (NEW.id, TG_OP = 'UPDATE');
    RETURN NEW;
END
$$"""
_PG_TRIGGERS = (
    """CREATE TRIGGER articles_search_insert AFTER INSERT ON articles
    FOR EACH ROW EXECUTE FUNCTION forumwatch_search_queue()""",
    """CREATE TRIGGER articles_search_update AFTER UPDATE OF title, text ON articles
    FOR EACH ROW WHEN (OLD.title IS DISTINCT FROM NEW.title OR OLD.text IS DISTINCT FROM NEW.text)
    EXECUTE FUNCTION forumwatch_search_queue()""",
)


def upgrade() -> None:
    op.create_table(
        "search_pending",
        sa.Column("seq", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("article_id", sa.Integer(), nullable=False),
        sa.Column("indexed", sa.Boolean(), nullable=False),
        sa.Column("old_title", sa.String(), nullable=True),
        sa.Column("old_text", sa.Text(), nullable=True),
    )
    op.create_index("ix_search_pending_article_id", "search_pending", ["article_id"])
    if op.get_bind().dialect.name == "sqlite":
        op.execute(
            "CREATE VIRTUAL TABLE article_fts USING fts5(title, body, content='', tokenize='ascii')"
        )
        op.create_index(
            "ix_articles_search",
            "articles",
            [
                "id",
                "published_on",
                "fetched_at",
                "source_id",
                "relevant",
                "language",
                "story_id",
                "topics",
                "flags",
            ],
        )
        for trigger in _SQLITE_TRIGGERS:
            op.execute(trigger)
    else:
        op.create_table(
            "article_search",
            sa.Column("article_id", sa.Integer(), nullable=False),
            sa.Column("tsv", postgresql.TSVECTOR(), nullable=True),
            sa.ForeignKeyConstraint(
                ["article_id"],
                ["articles.id"],
                name="fk_article_search_article_id_articles",
                ondelete="CASCADE",
            ),
            sa.PrimaryKeyConstraint("article_id", name="pk_article_search"),
        )
        op.create_index("ix_article_search_tsv", "article_search", ["tsv"], postgresql_using="gin")
        op.execute(_PG_FUNCTION)
        for trigger in _PG_TRIGGERS:
            op.execute(trigger)
    rebuild_index(op.get_bind())


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for name in ("insert", "update", "delete"):
            op.execute(f"DROP TRIGGER IF EXISTS articles_search_{name}")
        op.drop_index("ix_articles_search", table_name="articles")
        op.execute("DROP TABLE article_fts")
    else:
        for name in ("insert", "update"):
            op.execute(f"DROP TRIGGER IF EXISTS articles_search_{name} ON articles")
        op.execute("DROP FUNCTION IF EXISTS forumwatch_search_queue()")
        op.drop_table("article_search")
    op.drop_index("ix_search_pending_article_id", table_name="search_pending")
    op.drop_table("search_pending")
