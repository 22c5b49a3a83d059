"""The monitoring service: every counter of a run, source health, the alert outbox, the
service lease, the robots.txt cache and list pages' HTTP validators.

``crawl_runs.counts`` keeps all of a run's counters by name; ``source_health`` holds each
source's state and its baseline; ``alerts`` and ``alert_deliveries`` are the transactional
outbox (one alert per rule and story, one delivery per channel); ``service_leases`` lets one
``forumwatch serve`` run per database; ``robots_cache`` and ``http_validators`` make a routine
poll of an unchanged source one conditional request.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-02
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | Sequence[str] | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_TIME = sa.DateTime(timezone=True)


def upgrade() -> None:
    with op.batch_alter_table("crawl_runs") as batch:
        batch.add_column(sa.Column("counts", sa.JSON(), nullable=True))
    op.create_table(
        "source_health",
        sa.Column("source_id", sa.String(), nullable=False),
        sa.Column("state", sa.String(), nullable=False),
        sa.Column("since", _TIME, nullable=False),
        sa.Column("reason", sa.String(), nullable=True),
        sa.Column("checked_at", _TIME, nullable=False),
        sa.Column("baseline_at", _TIME, nullable=True),
        sa.Column("last_success_at", _TIME, nullable=True),
        sa.Column("last_new_article_at", _TIME, nullable=True),
        sa.Column("consecutive_failures", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["source_id"], ["sources.id"], name="fk_source_health_source_id_sources"
        ),
        sa.PrimaryKeyConstraint("source_id", name="pk_source_health"),
    )
    op.create_table(
        "alerts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("rule", sa.String(), nullable=False),
        sa.Column("kind", sa.String(), nullable=False),
        sa.Column("mode", sa.String(), nullable=False),
        sa.Column("dedupe_key", sa.String(), nullable=False),
        sa.Column("article_id", sa.Integer(), nullable=True),
        sa.Column("story_id", sa.Integer(), nullable=True),
        sa.Column("source_id", sa.String(), nullable=True),
        sa.Column("matched", sa.JSON(), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("created_at", _TIME, nullable=False),
        sa.ForeignKeyConstraint(
            ["article_id"],
            ["articles.id"],
            name="fk_alerts_article_id_articles",
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_alerts"),
        sa.UniqueConstraint("rule", "dedupe_key", name="uq_alerts_rule_dedupe_key"),
    )
    op.create_index("ix_alerts_rule", "alerts", ["rule"])
    op.create_index("ix_alerts_article_id", "alerts", ["article_id"])
    op.create_index("ix_alerts_story_id", "alerts", ["story_id"])
    op.create_index("ix_alerts_source_id", "alerts", ["source_id"])
    op.create_index("ix_alerts_created_at", "alerts", ["created_at"])
    op.create_table(
        "alert_deliveries",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("alert_id", sa.Integer(), nullable=False),
        sa.Column("channel", sa.String(), nullable=False),
        sa.Column("channel_label", sa.String(), nullable=False),
        sa.Column("state", sa.String(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", _TIME, nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("sent_at", _TIME, nullable=True),
        sa.ForeignKeyConstraint(
            ["alert_id"],
            ["alerts.id"],
            name="fk_alert_deliveries_alert_id_alerts",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_alert_deliveries"),
        sa.UniqueConstraint("alert_id", "channel", name="uq_alert_deliveries_alert_id"),
    )
    op.create_index("ix_alert_deliveries_alert_id", "alert_deliveries", ["alert_id"])
    op.create_index("ix_alert_deliveries_state", "alert_deliveries", ["state"])
    op.create_index("ix_alert_deliveries_next_attempt_at", "alert_deliveries", ["next_attempt_at"])
    op.create_table(
        "service_leases",
        sa.Column("name", sa.String(), nullable=False),
        sa.Column("holder", sa.String(), nullable=False),
        sa.Column("host", sa.String(), nullable=False),
        sa.Column("pid", sa.Integer(), nullable=False),
        sa.Column("acquired_at", _TIME, nullable=False),
        sa.Column("heartbeat_at", _TIME, nullable=False),
        sa.Column("expires_at", _TIME, nullable=False),
        sa.PrimaryKeyConstraint("name", name="pk_service_leases"),
    )
    op.create_table(
        "robots_cache",
        sa.Column("origin", sa.String(), nullable=False),
        sa.Column("status", sa.Integer(), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("fetched_at", _TIME, nullable=False),
        sa.Column("expires_at", _TIME, nullable=False),
        sa.PrimaryKeyConstraint("origin", name="pk_robots_cache"),
    )
    op.create_table(
        "http_validators",
        sa.Column("canonical_url", sa.String(), nullable=False),
        sa.Column("source_id", sa.String(), nullable=False),
        sa.Column("etag", sa.String(), nullable=True),
        sa.Column("last_modified", sa.String(), nullable=True),
        sa.Column("checked_at", _TIME, nullable=False),
        sa.ForeignKeyConstraint(
            ["source_id"], ["sources.id"], name="fk_http_validators_source_id_sources"
        ),
        sa.PrimaryKeyConstraint("canonical_url", name="pk_http_validators"),
    )
    op.create_index("ix_http_validators_source_id", "http_validators", ["source_id"])


def downgrade() -> None:
    op.drop_table("http_validators")
    op.drop_table("robots_cache")
    op.drop_table("service_leases")
    op.drop_table("alert_deliveries")
    op.drop_table("alerts")
    op.drop_table("source_health")
    with op.batch_alter_table("crawl_runs") as batch:
        batch.drop_column("counts")
