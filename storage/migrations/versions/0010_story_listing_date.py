"""Stories carry their listing date (the earliest day among their articles, an undated article
counting by its UTC fetch day), indexed with first seen and id for the newest-first listing.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-03
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | Sequence[str] | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# storage.story_index's article day, in each dialect's SQL (fetched_at is stored in UTC)
_FETCH_DAY = {
    "sqlite": "date(articles.fetched_at)",
    "postgresql": "CAST(timezone('UTC', articles.fetched_at) AS DATE)",
}


def upgrade() -> None:
    with op.batch_alter_table("stories") as batch:
        batch.add_column(sa.Column("listing_date", sa.Date(), nullable=True))
    op.create_index("ix_stories_listing", "stories", ["listing_date", "first_seen_at", "id"])
    fetch_day = _FETCH_DAY[op.get_bind().dialect.name]
    op.execute(
        "UPDATE stories SET listing_date = (SELECT min(coalesce(articles.published_on, "
        f"{fetch_day})) FROM articles WHERE articles.story_id = stories.id)"
    )


def downgrade() -> None:
    op.drop_index("ix_stories_listing", table_name="stories")
    with op.batch_alter_table("stories") as batch:
        batch.drop_column("listing_date")
