"""Stories: articles grouped with their reposts, and the LSH index that finds them; articles
are indexed by event start date for linking write-ups of one event.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-01
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | Sequence[str] | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "stories",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("first_seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("event_group", sa.Integer(), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_stories"),
    )
    op.create_index("ix_stories_first_seen_at", "stories", ["first_seen_at"])
    op.create_index("ix_stories_event_group", "stories", ["event_group"])
    op.create_table(
        "article_signatures",
        sa.Column("article_id", sa.Integer(), nullable=False),
        sa.Column("signature", sa.LargeBinary(), nullable=False),
        sa.Column("shingles", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["article_id"],
            ["articles.id"],
            name="fk_article_signatures_article_id_articles",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("article_id", name="pk_article_signatures"),
    )
    op.create_table(
        "lsh_bands",
        sa.Column("band_key", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("article_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.ForeignKeyConstraint(
            ["article_id"],
            ["articles.id"],
            name="fk_lsh_bands_article_id_articles",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("band_key", "article_id", name="pk_lsh_bands"),
        sqlite_with_rowid=False,
    )
    with op.batch_alter_table("articles") as batch:
        batch.add_column(sa.Column("story_id", sa.Integer(), nullable=True))
        batch.create_index("ix_articles_story_id", ["story_id"])
        batch.create_index("ix_articles_event_start", ["event_start"])
        batch.create_foreign_key(
            "fk_articles_story_id_stories", "stories", ["story_id"], ["id"], ondelete="SET NULL"
        )


def downgrade() -> None:
    with op.batch_alter_table("articles") as batch:
        batch.drop_constraint("fk_articles_story_id_stories", type_="foreignkey")
        batch.drop_index("ix_articles_event_start")
        batch.drop_index("ix_articles_story_id")
        batch.drop_column("story_id")
    op.drop_table("lsh_bands")
    op.drop_table("article_signatures")
    op.drop_index("ix_stories_event_group", table_name="stories")
    op.drop_index("ix_stories_first_seen_at", table_name="stories")
    op.drop_table("stories")
