"""Articles get quality flags, relevance, topics and the event they report.

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-01
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | Sequence[str] | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("articles") as batch:
        batch.add_column(sa.Column("flags", sa.JSON(), nullable=True))
        batch.add_column(sa.Column("relevant", sa.Boolean(), nullable=True))
        batch.add_column(sa.Column("relevance_score", sa.Float(), nullable=True))
        batch.add_column(sa.Column("topics", sa.JSON(), nullable=True))
        batch.add_column(sa.Column("event_name", sa.String(), nullable=True))
        batch.add_column(sa.Column("event_city", sa.String(), nullable=True))
        batch.add_column(sa.Column("event_start", sa.Date(), nullable=True))
        batch.add_column(sa.Column("event_end", sa.Date(), nullable=True))
    # Existing rows: no flags or topics yet (``forumwatch reextract`` computes them).
    op.execute("UPDATE articles SET flags = '[]', topics = '[]'")
    with op.batch_alter_table("articles") as batch:
        batch.alter_column("flags", existing_type=sa.JSON(), nullable=False)
        batch.alter_column("topics", existing_type=sa.JSON(), nullable=False)
        batch.create_index("ix_articles_relevant", ["relevant"])


def downgrade() -> None:
    with op.batch_alter_table("articles") as batch:
        batch.drop_index("ix_articles_relevant")
        for column in (
            "event_end",
            "event_start",
            "event_city",
            "event_name",
            "topics",
            "relevance_score",
            "relevant",
            "flags",
        ):
            batch.drop_column(column)
