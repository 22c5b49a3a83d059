"""Canonical URLs fold the scheme: ``http://`` and ``https://`` of one page are one key.

Rewrites stored keys as the crawler now makes them (scheme ``http``; ports 80 and 443 dropped
whatever the scheme) in every table keyed by canonical URL: ``articles``, ``attachments`` and
``crawled_urls``. When both forms of one page are stored, one row is kept:

- articles: the first stored (lowest id). The others' attachments are moved to it; their raw
  HTML, signature and LSH bands go with them; a story left without articles is deleted.
- attachments: one linked to an article if any, else the lowest id.
- crawled_urls: one whose state says the content is stored (article, attachment), else the
  one seen last.

Downgrade keeps the folded keys: which scheme each page had is not recorded.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-03
"""

from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any
from urllib.parse import urlsplit

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | Sequence[str] | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_CHUNK = 500
# Keys that may change: https ones, and http ones naming port 80 or 443 (a superset; fold decides).
_CANDIDATES = (
    "canonical_url LIKE :https OR canonical_url LIKE :port80 OR canonical_url LIKE :port443"
)
_PATTERNS = {"https": "https://%", "port80": "http://%:80/%", "port443": "http://%:443/%"}
_PROTECTED_STATES = ("article", "attachment")

Row = dict[str, Any]


def fold(key: str) -> str:
    """A stored canonical URL with the scheme folded, as ``crawler.discover.urls.canonicalize`` now does."""
    if not key.startswith(("http://", "https://")):
        return key
    try:
        parts = urlsplit(key)
        port = parts.port
    except ValueError:
        return key
    scheme_length = len(parts.scheme) + 3
    netloc = parts.netloc
    rest = key[scheme_length + len(netloc) :]
    if port in (80, 443):
        netloc = netloc.rsplit(":", 1)[0]
    return f"http://{netloc}{rest}"


def upgrade() -> None:
    connection = op.get_bind()
    _fold_table(connection, "articles", "id", ["story_id"], _keep_article, _drop_articles)
    _fold_table(connection, "attachments", "id", ["article_id"], _keep_attachment, _drop_rows)
    _fold_table(
        connection,
        "crawled_urls",
        "canonical_url",
        ["state", "last_seen_at"],
        _keep_url,
        _drop_rows,
    )


def downgrade() -> None:
    """Nothing to undo: folded keys are valid keys for the older code too."""


def _fold_table(
    connection: sa.Connection,
    table: str,
    pk: str,
    columns: list[str],
    keep: Callable[[list[Row]], Row],
    drop: Callable[[sa.Connection, str, str, list[Row], dict[Any, Any]], None],
) -> None:
    """Rewrite the changed keys of one table; of rows meeting on one key, keep one."""
    select_list = ", ".join(dict.fromkeys([pk, "canonical_url", *columns]))
    changed = [
        {**row, "new_key": fold(row["canonical_url"])}
        for row in _rows(connection, f"SELECT {select_list} FROM {table} WHERE {_CANDIDATES}")
    ]
    changed = [row for row in changed if row["new_key"] != row["canonical_url"]]
    if not changed:
        return
    groups: dict[str, list[Row]] = defaultdict(list)
    for row in changed:
        groups[row["new_key"]].append(row)
    for chunk in _chunks(list(groups)):
        statement = sa.text(
            f"SELECT {select_list} FROM {table} WHERE canonical_url IN :keys"
        ).bindparams(sa.bindparam("keys", expanding=True))
        for found in connection.execute(statement, {"keys": chunk}).mappings():
            groups[found["canonical_url"]].append({**found, "new_key": found["canonical_url"]})
    keepers: list[Row] = []
    losers: list[Row] = []
    keeper_of: dict[Any, Any] = {}
    for members in groups.values():
        kept = keep(members)
        keepers.append(kept)
        for member in members:
            if member is not kept:
                losers.append(member)
                keeper_of[member[pk]] = kept[pk]
    drop(connection, table, pk, losers, keeper_of)
    renamed = [
        {"pk": row[pk], "new_key": row["new_key"]}
        for row in keepers
        if row["new_key"] != row["canonical_url"]
    ]
    if renamed:
        connection.execute(
            sa.text(f"UPDATE {table} SET canonical_url = :new_key WHERE {pk} = :pk"), renamed
        )


def _keep_article(members: list[Row]) -> Row:
    return min(members, key=lambda row: row["id"])


def _keep_attachment(members: list[Row]) -> Row:
    return min(members, key=lambda row: (row["article_id"] is None, row["id"]))


def _keep_url(members: list[Row]) -> Row:
    def rank(row: Row) -> tuple[bool, str]:
        return (row["state"] in _PROTECTED_STATES, str(row["last_seen_at"] or ""))

    return max(members, key=rank)


def _drop_rows(
    connection: sa.Connection, table: str, pk: str, losers: list[Row], _: dict[Any, Any]
) -> None:
    _execute_in(connection, f"DELETE FROM {table} WHERE {pk} IN :ids", [row[pk] for row in losers])


def _drop_articles(
    connection: sa.Connection, table: str, pk: str, losers: list[Row], keeper_of: dict[Any, Any]
) -> None:
    """Delete duplicate articles with what hangs on them; their attachments move to the kept one."""
    if not losers:
        return
    connection.execute(
        sa.text("UPDATE attachments SET article_id = :kept WHERE article_id = :dropped"),
        [{"kept": kept, "dropped": dropped} for dropped, kept in keeper_of.items()],
    )
    ids = [row["id"] for row in losers]
    for dependent in ("article_html", "article_signatures", "lsh_bands"):
        _execute_in(connection, f"DELETE FROM {dependent} WHERE article_id IN :ids", ids)
    _execute_in(connection, "DELETE FROM articles WHERE id IN :ids", ids)
    stories = sorted({row["story_id"] for row in losers if row["story_id"] is not None})
    _execute_in(
        connection,
        "DELETE FROM stories WHERE id IN :ids "
        "AND NOT EXISTS (SELECT 1 FROM articles WHERE articles.story_id = stories.id)",
        stories,
    )


def _execute_in(connection: sa.Connection, sql: str, ids: list[Any]) -> None:
    statement = sa.text(sql).bindparams(sa.bindparam("ids", expanding=True))
    for chunk in _chunks(ids):
        connection.execute(statement, {"ids": chunk})


def _rows(connection: sa.Connection, sql: str) -> Iterator[Row]:
    for row in connection.execute(sa.text(sql), _PATTERNS).mappings():
        yield dict(row)


def _chunks(items: Sequence[Any]) -> Iterable[Sequence[Any]]:
    for start in range(0, len(items), _CHUNK):
        yield items[start : start + _CHUNK]
