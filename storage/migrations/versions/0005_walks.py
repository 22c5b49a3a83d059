"""Crash recovery: list chains walked to their end, the process of each crawl run, and the URL
a failure was linked as.

``source_walks`` holds one row per source start URL whose pagination a crawl has walked to its
end; ``crawl_runs`` gets the host, pid and process start of the crawl that runs it, so a run
whose process is gone is marked interrupted at the next start; ``crawled_urls`` keeps the
linked URL of a failed article for retrying it.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-03
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | Sequence[str] | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "source_walks",
        sa.Column("source_id", sa.String(), nullable=False),
        sa.Column("start_url", sa.String(), nullable=False),
        sa.Column("completed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ended_by", sa.String(), nullable=False),
        sa.Column("pages", sa.Integer(), nullable=False),
        sa.Column("max_list_pages", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["source_id"], ["sources.id"], name="fk_source_walks_source_id_sources"
        ),
        sa.PrimaryKeyConstraint("source_id", "start_url", name="pk_source_walks"),
    )
    with op.batch_alter_table("crawl_runs") as batch:
        batch.add_column(sa.Column("host", sa.String(), nullable=True))
        batch.add_column(sa.Column("pid", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("process_start", sa.String(), nullable=True))
    with op.batch_alter_table("crawled_urls") as batch:
        batch.add_column(sa.Column("url", sa.String(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("crawled_urls") as batch:
        batch.drop_column("url")
    with op.batch_alter_table("crawl_runs") as batch:
        batch.drop_column("process_start")
        batch.drop_column("pid")
        batch.drop_column("host")
    op.drop_table("source_walks")
