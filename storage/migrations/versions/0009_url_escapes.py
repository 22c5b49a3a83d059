"""Canonical URLs normalise escapes: raw and percent-encoded spellings of one URL are one key.

Rewrites stored keys as the crawler now makes them (``rekey``: the URL made a valid URI by w3lib's
``safe_url_string``, an IDN host in punycode, a raw non-ASCII path in UTF-8 escapes; escaped
unreserved characters decoded, other escapes in upper-case hex, a stray ``%`` escaped; the path
rules applied again to what decoding revealed) in every table keyed by canonical URL:
``articles``, ``attachments``, ``crawled_urls``, ``source_walks`` (``start_url``, per source)
and ``http_validators``. When several spellings of one page are stored, one row is kept, as
migration 0004 chose:

- articles: the first stored (lowest id). The others' attachments and alerts are moved to it;
  their raw HTML, signature, LSH bands and search index entries go with them; a story left
  without articles is deleted.
- attachments: one linked to an article if any, else the lowest id.
- crawled_urls: one whose state says the content is stored (article, attachment), else the
  one seen last.
- source_walks: the walk completed last; http_validators: the ones checked last.

Queries are left as stored: the older code already wrote them decoded and escaped again. A
query value in another encoding than UTF-8 was stored with U+FFFD in place of its bytes; such a
key cannot be restored and stays as it is.

Downgrade keeps the new keys: they are valid keys for the older code too.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-04
"""

import posixpath
import re
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import sqlalchemy as sa
from alembic import op
from sqlmodel import Session
from w3lib.url import safe_url_string

from storage.search import apply_pending

revision: str = "0009"
down_revision: str | Sequence[str] | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_CHUNK = 500
_PROTECTED_STATES = ("article", "attachment")

# A copy of crawler.discover.urls's escape and path rules (storage imports nothing of ours).
_UNRESERVED = frozenset(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")
_ESCAPE = re.compile(r"%([0-9A-Fa-f]{2})?")
_SESSION_IN_PATH = re.compile(r";(?:jsessionid|phpsessid|sid)=[^/?#]*", re.IGNORECASE)
_INDEX_PAGES = re.compile(r"/(?:index|default)\.(?:s?html?|php|aspx?|jsp)$", re.IGNORECASE)

Row = dict[str, Any]


def rekey(key: str) -> str:
    """A stored canonical URL as ``crawler.discover.urls.canonicalize`` now writes it."""
    if not key.startswith("http://"):
        return key
    try:
        parts = urlsplit(safe_url_string(key))
    except ValueError:  # UnicodeError included
        return key
    if not parts.hostname:
        return key
    path = _SESSION_IN_PATH.sub("", _ESCAPE.sub(_normalized_escape, parts.path)) or "/"
    if "/./" in path or "/../" in path or path.endswith(("/.", "/..")):
        trailing = path.endswith("/")
        path = posixpath.normpath(path)
        if trailing and not path.endswith("/"):
            path += "/"
    path = _INDEX_PAGES.sub("/", re.sub(r"/{2,}", "/", path))
    return urlunsplit(("http", parts.netloc.lower(), path, parts.query, ""))


def _normalized_escape(match: re.Match[str]) -> str:
    if match.group(1) is None:
        return "%25"
    byte = int(match.group(1), 16)
    return chr(byte) if byte in _UNRESERVED else f"%{byte:02X}"


Keep = Callable[[list[Row]], Row]
Drop = Callable[[sa.Connection, str, Sequence[str], list[Row], dict[Any, Any]], None]


def upgrade() -> None:
    connection = op.get_bind()
    _rekey_table(connection, "articles", "canonical_url", ["id"], ["story_id"], _first, _articles)
    _rekey_table(connection, "attachments", "canonical_url", ["id"], ["article_id"], _linked, _rows)
    _rekey_table(
        connection,
        "crawled_urls",
        "canonical_url",
        ["canonical_url"],
        ["state", "last_seen_at"],
        _stored_else_latest,
        _rows,
    )
    _rekey_table(
        connection,
        "source_walks",
        "start_url",
        ["source_id", "start_url"],
        ["completed_at"],
        _latest("completed_at"),
        _rows,
        scope=["source_id"],
    )
    _rekey_table(
        connection,
        "http_validators",
        "canonical_url",
        ["canonical_url"],
        ["checked_at"],
        _latest("checked_at"),
        _rows,
    )
    with Session(bind=connection) as session:  # joins the migration's transaction
        apply_pending(session=session)  # the index forgets the deleted articles


def downgrade() -> None:
    """Nothing to undo: the new keys are valid keys for the older code too."""


def _rekey_table(
    connection: sa.Connection,
    table: str,
    key: str,
    identity: Sequence[str],
    columns: Sequence[str],
    keep: Keep,
    drop: Drop,
    *,
    scope: Sequence[str] = (),
) -> None:
    """Rewrite the changed keys of one table; of rows meeting on one key (and the same
    ``scope`` values: a walk is keyed per source), keep one. ``identity`` names a row."""
    select_list = ", ".join(dict.fromkeys([*identity, key, *columns]))
    every_row = sa.text(f"SELECT {select_list} FROM {table}").execution_options(
        stream_results=True, yield_per=_CHUNK
    )  # read in chunks, not at once: every row of the table is looked at
    changed = []
    for found in connection.execute(every_row).mappings():
        new_key = rekey(found[key])
        if new_key != found[key]:
            changed.append({**found, "new_key": new_key})
    if not changed:
        return

    def group_of(row: Row) -> tuple[Any, ...]:
        return (*(row[column] for column in scope), row["new_key"])

    groups: dict[tuple[Any, ...], list[Row]] = defaultdict(list)
    for row in changed:
        groups[group_of(row)].append(row)
    statement = sa.text(f"SELECT {select_list} FROM {table} WHERE {key} IN :keys").bindparams(
        sa.bindparam("keys", expanding=True)
    )
    for chunk in _chunks(sorted({row["new_key"] for row in changed})):
        for found in connection.execute(statement, {"keys": chunk}).mappings():
            row = {**found, "new_key": found[key]}
            if group_of(row) in groups:
                groups[group_of(row)].append(row)
    keepers: list[Row] = []
    losers: list[Row] = []
    keeper_of: dict[Any, Any] = {}
    for members in groups.values():
        kept = keep(members)
        keepers.append(kept)
        for member in members:
            if member is not kept:
                losers.append(member)
                keeper_of[member[identity[0]]] = kept[identity[0]]
    if losers:
        drop(connection, table, identity, losers, keeper_of)
    renamed = [
        {**{f"id_{n}": row[c] for n, c in enumerate(identity)}, "new_key": row["new_key"]}
        for row in keepers
        if row["new_key"] != row[key]
    ]
    if renamed:
        connection.execute(
            sa.text(f"UPDATE {table} SET {key} = :new_key WHERE {_match(identity)}"), renamed
        )


def _match(identity: Sequence[str]) -> str:
    return " AND ".join(f"{column} = :id_{n}" for n, column in enumerate(identity))


def _first(members: list[Row]) -> Row:
    return min(members, key=lambda row: row["id"])


def _linked(members: list[Row]) -> Row:
    return min(members, key=lambda row: (row["article_id"] is None, row["id"]))


def _stored_else_latest(members: list[Row]) -> Row:
    def rank(row: Row) -> tuple[bool, str]:
        return (row["state"] in _PROTECTED_STATES, str(row["last_seen_at"] or ""))

    return max(members, key=rank)


def _latest(column: str) -> Keep:
    def keep(members: list[Row]) -> Row:
        return max(members, key=lambda row: str(row[column] or ""))

    return keep


def _rows(
    connection: sa.Connection,
    table: str,
    identity: Sequence[str],
    losers: list[Row],
    _: dict[Any, Any],
) -> None:
    connection.execute(
        sa.text(f"DELETE FROM {table} WHERE {_match(identity)}"),
        [{f"id_{n}": row[c] for n, c in enumerate(identity)} for row in losers],
    )


def _articles(
    connection: sa.Connection,
    table: str,
    identity: Sequence[str],
    losers: list[Row],
    keeper_of: dict[Any, Any],
) -> None:
    """Delete duplicate articles with what hangs on them; their attachments and alerts move to
    the kept one (the search index forgets them: a trigger queues it on SQLite, a cascade on
    PostgreSQL)."""
    moves = [{"kept": kept, "dropped": dropped} for dropped, kept in keeper_of.items()]
    for dependent in ("attachments", "alerts"):
        connection.execute(
            sa.text(f"UPDATE {dependent} SET article_id = :kept WHERE article_id = :dropped"),
            moves,
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


def _chunks(items: Sequence[Any]) -> Iterable[Sequence[Any]]:
    for start in range(0, len(items), _CHUNK):
        yield items[start : start + _CHUNK]
