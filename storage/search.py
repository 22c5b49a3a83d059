"""Full-text search over articles' titles and texts, exact for Chinese, on SQLite and PostgreSQL.

A query arrives parsed (``crawler.search.query``): clauses that must all hold, each a list of
``(term, negated)`` of which one must hold. A term matches an article whose title or text
contains it (``storage.search_text.contains``: a substring, ASCII letters ignoring case). The
result set is exactly what a substring scan gives: the index narrows the candidates, and every
term it cannot decide exactly is confirmed in SQL by a substring test (``instr(lower(..))`` on
SQLite, whose built-in ``lower`` folds ASCII only; ``strpos(translate(..))`` on PostgreSQL).
Terms reach the database as bound values and as tokens we quote ourselves inside the MATCH or
tsquery string: query text is never syntax.

**SQLite**: ``article_fts`` is a contentless FTS5 table (rowid = article id; columns ``title``
and ``body``) over the bigram token strings of ``storage.search_text`` (``ascii`` tokenizer, so
our tokens are never split further). A term that is one run of word characters is the phrase of
its bigrams (exact; one character: a prefix query); others are narrowed by their runs and
confirmed. Ranking is bm25 with the title weighted ``TITLE_WEIGHT``. ``ix_articles_search``
covers every filter column, so filtering candidates never reads an article's text.

**PostgreSQL**: ``article_search`` holds a tsvector per article that we write ourselves (the
same tokens as lexemes, with positions; weight A in the title) under a GIN index, matched by a
tsquery we write ourselves (a run as the ``<->`` phrase of its bigrams, one character as a
prefix), so the same terms are exact as on SQLite; the rest are confirmed by ``strpos`` on
``lower(.. COLLATE "C")`` (ASCII folding only). Ranking is ``ts_rank``. A document beyond a
tsvector's limits is *lossy* (``pg_tsvector``): a candidate of every query, confirmed wholly by
substring tests.

**Sync**: triggers on ``articles`` (insert; update of title or text; delete) queue the article in
``search_pending`` together with the title and text the index holds for it (SQLite's contentless
table can only forget a document given its tokens). ``apply_pending`` indexes the queue; it runs
inside ``queries.store_articles`` and ``queries.update_extractions``, so those leave the index in
step in their own transaction, and a delete made anywhere is applied by the next write (its
stale entry is never shown meanwhile: results are joined to ``articles``). Migration 0007 builds
the index of an existing database (``rebuild_index``).

**Ranking**: the newest ``RANK_WINDOW`` matches (by id, i.e. the most recently stored; for most
queries that is all of them) are ordered by score, then by publication date, fetch time and id;
matches beyond them follow, newest first. This bounds a query that matches most of the corpus
(``城市``) at a few thousand scored rows.

Keyword-only ``session`` functions, like ``storage.queries``; the caller owns the transaction.
Reads no settings.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, Final

from sqlalchemy import (
    ColumnElement,
    Connection,
    Integer,
    Table,
    Text,
    and_,
    bindparam,
    cast,
    column,
    exists,
    false,
    func,
    literal,
    literal_column,
    not_,
    null,
    or_,
    table,
    text,
)
from sqlalchemy import select as sa_select
from sqlalchemy.dialects import postgresql
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.expression import TableClause
from sqlmodel import Session, col, select

from storage.models import Article, Source
from storage.search_text import (
    bigrams,
    fold,
    index_text,
    index_tokens,
    runs,
)

FTS_TABLE: Final = "article_fts"
PG_TABLE: Final = "article_search"
PENDING_TABLE: Final = "search_pending"
COVERING_INDEX: Final = "ix_articles_search"
TITLE_WEIGHT: Final = 4.0
RANK_WINDOW: Final = 500
MAX_INDEX_CLAUSES: Final = 16
"""Clauses beyond these are confirmed by substring tests only (still exact)."""
MAX_PHRASE_TOKENS: Final = 64
"""A longer run is narrowed by its first 64 bigrams and confirmed (FTS5 phrases stay small)."""
MAX_RUNS: Final = 8
PG_MAX_TSVECTOR: Final = 900_000
PG_LOSSY: Final = "'_'"
"""The lexeme of documents whose tsvector could not hold every position (never a token)."""
PG_MAX_POSITION: Final = 16383
PG_MAX_POSITIONS: Final = 256
BATCH_SIZE: Final = 500

Clause = Sequence[tuple[str, bool]]
"""One clause of a query: (term, negated) pairs, of which one must hold."""

_pending = table(
    PENDING_TABLE,
    column("seq", Integer),
    column("article_id", Integer),
    column("indexed", Integer),
    column("old_title", Text),
    column("old_text", Text),
)
_fts = table(FTS_TABLE, column("rowid", Integer))
_COVERED_COLUMNS: Final = (
    "id",
    "published_on",
    "fetched_at",
    "source_id",
    "relevant",
    "language",
    "story_id",
    "topics",
    "flags",
)


class _CoveredArticles(TableClause):
    """``articles`` read through ``ix_articles_search`` alone (SQLite ``INDEXED BY``): a
    search that filters and orders by these columns never reads an article's row, whose text
    comes before them and spills over several pages."""

    inherit_cache = True


@compiles(_CoveredArticles)
def _render_covered(element: _CoveredArticles, compiler: Any, **kw: Any) -> str:
    rendered: str = compiler.visit_table(element, **kw)
    if kw.get("asfrom") and compiler.dialect.name == "sqlite":
        rendered += f" INDEXED BY {COVERING_INDEX}"
    return rendered


_covered = _CoveredArticles(
    "articles",
    *[column(c.name, c.type) for c in Article.__table__.c if c.name in _COVERED_COLUMNS],  # type: ignore[attr-defined]
)
_pg_index = table(PG_TABLE, column("article_id", Integer), column("tsv", postgresql.TSVECTOR))


@dataclass(frozen=True, slots=True)
class ArticleFilter:
    """Conditions on articles besides the text; empty tuples and None mean no condition.

    ``since``/``until`` bound the stated publication date (inclusive); an undated article counts
    by its fetch date (UTC), as in ``queries.list_articles``. Several values of one field: any.
    """

    sources: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    """Source tags (``sources[].tags`` in the config)."""
    since: date | None = None
    until: date | None = None
    relevant: bool | None = None
    topics: tuple[str, ...] = ()
    flags: tuple[str, ...] = ()
    languages: tuple[str, ...] = ()
    story_ids: tuple[int, ...] = ()


@dataclass(frozen=True, slots=True)
class SearchHit:
    """A matching article and its score (higher is better; None without text terms)."""

    article: Article
    score: float | None


@dataclass(frozen=True, slots=True)
class IndexSize:
    """Bytes of the search index (with ``ix_articles_search`` on SQLite) and of the text."""

    index_bytes: int
    text_bytes: int


_OWNED_NAMES: Final = (FTS_TABLE, PG_TABLE, PENDING_TABLE)
_OWNED_INDEXES: Final = frozenset(
    {COVERING_INDEX, "ix_article_search_tsv", "ix_search_pending_article_id"}
)


def owned_by_search(name: str | None) -> bool:
    """Whether a schema object belongs to the search index (built by migration 0007 in raw DDL,
    outside ``storage.models``): schema comparisons leave these alone."""
    return bool(name) and (str(name).startswith(_OWNED_NAMES) or name in _OWNED_INDEXES)


# -- compiling a query ------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Literal:
    text: str
    negated: bool
    parts: tuple[str, ...]
    exact: bool
    """Whether the index alone decides it."""


@dataclass(frozen=True, slots=True)
class _Plan:
    positive: str | None
    """Index expression every match satisfies (None: the index cannot narrow)."""
    negative: str | None
    """Index expression no match satisfies (exactly decided excluded terms)."""
    residual: tuple[tuple[_Literal, ...], ...]
    """Clauses to confirm with substring tests."""
    everything: tuple[tuple[_Literal, ...], ...]
    """All clauses (confirmed by substring tests where a document has no index entry)."""


class _Fts5:
    """FTS5 MATCH syntax; every token in double quotes."""

    @staticmethod
    def exact(text: str, parts: Sequence[str]) -> bool:
        return list(parts) == [text] and len(text) <= MAX_PHRASE_TOKENS + 1

    @staticmethod
    def run(value: str) -> str:
        if len(value) == 1:
            return f"{_fts_quote(value)}*"
        return _fts_quote(" ".join(bigrams(value)[:MAX_PHRASE_TOKENS]))

    @staticmethod
    def all(items: Sequence[str]) -> str:
        return items[0] if len(items) == 1 else "(" + " AND ".join(items) + ")"

    @staticmethod
    def any(items: Sequence[str]) -> str:
        return items[0] if len(items) == 1 else "(" + " OR ".join(items) + ")"

    @staticmethod
    def but_not(positive: str, negative: str) -> str:
        return f"({positive}) NOT ({negative})"


class _TsQuery:
    """PostgreSQL tsquery syntax; every lexeme in single quotes."""

    exact = _Fts5.exact

    @staticmethod
    def run(value: str) -> str:
        if len(value) == 1:
            return f"{_pg_quote(value)}:*"
        lexemes = [_pg_quote(gram) for gram in bigrams(value)[:MAX_PHRASE_TOKENS]]
        return lexemes[0] if len(lexemes) == 1 else "(" + " <-> ".join(lexemes) + ")"

    @staticmethod
    def all(items: Sequence[str]) -> str:
        return items[0] if len(items) == 1 else "(" + " & ".join(items) + ")"

    @staticmethod
    def any(items: Sequence[str]) -> str:
        return items[0] if len(items) == 1 else "(" + " | ".join(items) + ")"

    @staticmethod
    def but_not(positive: str, negative: str) -> str:
        return f"({positive}) & !({negative})"


_Syntax = type[_Fts5] | type[_TsQuery]


def _fts_quote(value: str) -> str:
    return '"' + value.replace('"', '""') + '"'


def _pg_quote(value: str) -> str:
    return "'" + value.replace("\\", "\\\\").replace("'", "''") + "'"


def _literal(term: str, negated: bool, syntax: _Syntax) -> _Literal:
    folded = fold(term)
    parts = tuple(dict.fromkeys(runs(folded)))
    return _Literal(folded, negated, parts, syntax.exact(folded, parts))


def _term_expression(literal: _Literal, syntax: _Syntax) -> str:
    return syntax.all([syntax.run(part) for part in literal.parts[:MAX_RUNS]])


def _plan(clauses: Sequence[Clause], syntax: _Syntax) -> _Plan:
    positive: list[str] = []
    negative: list[str] = []
    residual: list[tuple[_Literal, ...]] = []
    everything: list[tuple[_Literal, ...]] = []
    for clause in clauses:
        literals = tuple(_literal(term, bool(negated), syntax) for term, negated in clause)
        if not literals:
            continue
        everything.append(literals)
        if len(literals) == 1 and literals[0].negated:
            if literals[0].exact and len(negative) < MAX_INDEX_CLAUSES:
                negative.append(_term_expression(literals[0], syntax))
            else:
                residual.append(literals)
            continue
        narrowable = all(not lit.negated and lit.parts for lit in literals)
        if not narrowable or len(positive) >= MAX_INDEX_CLAUSES:
            residual.append(literals)
            continue
        positive.append(syntax.any([_term_expression(lit, syntax) for lit in literals]))
        if not all(lit.exact for lit in literals):
            residual.append(literals)
    return _Plan(
        positive=syntax.all(positive) if positive else None,
        negative=syntax.any(negative) if negative else None,
        residual=tuple(residual),
        everything=tuple(everything),
    )


# -- SQL pieces -------------------------------------------------------------------------------


def _articles() -> Table:
    return Article.__table__  # type: ignore[attr-defined,no-any-return]


def _contains_sql(target: Any, term: str, dialect: str) -> ColumnElement[bool]:
    def found(value: Any) -> ColumnElement[bool]:
        value = func.coalesce(value, "")
        if dialect == "sqlite":
            return func.instr(func.lower(value), literal(term, Text)) > 0
        # the C collation's lower() folds ASCII letters only, as search_text.fold does
        return func.strpos(func.lower(value.collate("C")), literal(term, Text)) > 0

    return or_(found(target.c.title), found(target.c.text))


def _balanced(
    combine: Callable[..., ColumnElement[bool]], items: Sequence[ColumnElement[bool]]
) -> ColumnElement[bool]:
    """``combine`` of ``items`` as a balanced tree: SQLite refuses expressions over 1000 deep."""
    if len(items) <= 8:
        return combine(*items)
    middle = len(items) // 2
    return combine(
        _balanced(combine, items[:middle]).self_group(),
        _balanced(combine, items[middle:]).self_group(),
    )


def _confirm_sql(
    clauses: Sequence[Sequence[_Literal]], target: Any, dialect: str
) -> ColumnElement[bool] | None:
    if not clauses:
        return None
    parts = []
    for clause in clauses:
        tests = [
            not_(_contains_sql(target, lit.text, dialect))
            if lit.negated
            else _contains_sql(target, lit.text, dialect)
            for lit in clause
        ]
        parts.append(_balanced(or_, tests).self_group())
    return _balanced(and_, parts)


def _filter_sql(
    session: Session, filters: ArticleFilter, target: Any, dialect: str
) -> list[ColumnElement[bool]]:
    c = target.c
    conditions: list[ColumnElement[bool]] = []
    if filters.sources:
        conditions.append(c.source_id.in_(list(filters.sources)))
    if filters.tags:
        wanted = set(filters.tags)
        tagged = [s.id for s in session.exec(select(Source)).all() if wanted & set(s.tags or [])]
        conditions.append(c.source_id.in_(tagged) if tagged else false())
    if filters.since is not None:
        start = datetime.combine(filters.since, time(), tzinfo=UTC)
        conditions.append(
            or_(
                c.published_on >= filters.since,
                and_(c.published_on.is_(None), c.fetched_at >= start),
            )
        )
    if filters.until is not None:
        end = datetime.combine(filters.until + timedelta(days=1), time(), tzinfo=UTC)
        conditions.append(
            or_(
                c.published_on <= filters.until,
                and_(c.published_on.is_(None), c.fetched_at < end),
            )
        )
    if filters.relevant is not None:
        conditions.append(c.relevant.is_(filters.relevant))
    if filters.languages:
        conditions.append(c.language.in_(list(filters.languages)))
    if filters.story_ids:
        conditions.append(c.story_id.in_(list(filters.story_ids)))
    if filters.topics:
        conditions.append(_json_has_any(c.topics, filters.topics, dialect))
    if filters.flags:
        conditions.append(_json_has_any(c.flags, filters.flags, dialect))
    return conditions


def filter_conditions(*, session: Session, filters: ArticleFilter) -> list[ColumnElement[bool]]:
    """The SQL conditions of ``filters`` on the ``articles`` table, for other listings (the
    HTTP API's article pages): the same semantics as a search's filters."""
    return _filter_sql(session, filters, _articles(), session.get_bind().dialect.name)


def _json_has_any(value: Any, wanted: Sequence[str], dialect: str) -> ColumnElement[bool]:
    if dialect == "sqlite":
        each = func.json_each(value).table_valued("value")
        return exists(sa_select(literal(1)).select_from(each).where(each.c.value.in_(wanted)))
    array = literal(list(wanted), postgresql.ARRAY(Text))
    return func.jsonb_exists_any(cast(value, postgresql.JSONB), array).is_(True)


def _recency(target: Any) -> list[Any]:
    return [
        target.c.published_on.desc().nulls_last(),
        target.c.fetched_at.desc(),
        target.c.id.desc(),
    ]


# -- candidates -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Candidates:
    """A select of (id, score, published_on, fetched_at) and the column giving id order."""

    statement: Any
    order: Any
    ranked: bool


def _candidates(session: Session, plan: _Plan, filters: ArticleFilter) -> _Candidates:
    dialect = session.get_bind().dialect.name
    if dialect == "sqlite":
        return _sqlite_candidates(session, plan, filters)
    return _pg_candidates(session, plan, filters)


def _sqlite_candidates(session: Session, plan: _Plan, filters: ArticleFilter) -> _Candidates:
    # every filter column is in the covering index: without substring tests, never read the text
    target: Any = _articles() if plan.residual else _covered
    conditions = _filter_sql(session, filters, target, "sqlite")
    confirm = _confirm_sql(plan.residual, target, "sqlite")
    if confirm is not None:
        conditions.append(confirm)
    if plan.positive is None:
        if plan.negative is not None:
            excluded = sa_select(_fts.c.rowid).where(_fts_match(plan.negative, "neg"))
            conditions.append(target.c.id.not_in(excluded))
        statement = sa_select(
            target.c.id, null().label("score"), target.c.published_on, target.c.fetched_at
        ).where(*conditions)
        return _Candidates(statement, target.c.id, ranked=False)
    match = plan.positive if plan.negative is None else _Fts5.but_not(plan.positive, plan.negative)
    score = -func.bm25(literal_column(FTS_TABLE), TITLE_WEIGHT, 1.0)
    statement = (
        sa_select(_fts.c.rowid.label("id"), score.label("score"), target.c.published_on)
        .add_columns(target.c.fetched_at)
        .select_from(_fts.join(target, target.c.id == _fts.c.rowid))
        .where(_fts_match(match, "match"), *conditions)
    )
    narrow = ArticleFilter(sources=filters.sources, story_ids=filters.story_ids)
    if narrow != ArticleFilter():
        # Selective filters on indexed columns: their few ids, gathered once into a lookup
        # table, sift the index's matches before any join ("+" keeps SQLite from seeking the
        # FTS table once per id instead).
        ids = sa_select(_articles().c.id).where(
            *_filter_sql(session, narrow, _articles(), "sqlite")
        )
        statement = statement.where(literal_column(f"+{FTS_TABLE}.rowid").in_(ids))
    return _Candidates(statement, _fts.c.rowid, ranked=True)


def _fts_match(expression: str, name: str) -> ColumnElement[bool]:
    return text(f"{FTS_TABLE} MATCH :{name}").bindparams(bindparam(name, expression))  # type: ignore[return-value]


def _pg_candidates(session: Session, plan: _Plan, filters: ArticleFilter) -> _Candidates:
    target = _articles()
    conditions = _filter_sql(session, filters, target, "postgresql")
    tsv = _pg_index.c.tsv
    if plan.positive is not None:  # a lossy document is always a candidate
        conditions.append(tsv.bool_op("@@")(_tsquery(f"{plan.positive} | {PG_LOSSY}")))
    # no index row yet (an insert not applied): confirmed like a lossy document
    lossy = or_(tsv.is_(None), tsv.bool_op("@@")(_tsquery(PG_LOSSY)))
    exact: list[ColumnElement[bool]] = [not_(lossy)]
    if plan.negative is not None:
        exact.append(not_(tsv.bool_op("@@")(_tsquery(plan.negative))))
    confirm = _confirm_sql(plan.residual, target, "postgresql")
    if confirm is not None:
        exact.append(confirm)
    checked: list[ColumnElement[bool]] = [lossy]
    everything = _confirm_sql(plan.everything, target, "postgresql")
    if everything is not None:
        checked.append(everything)
    conditions.append(or_(and_(*exact), and_(*checked)))
    score: Any = null()
    if plan.positive is not None:
        score = func.ts_rank(tsv, _tsquery(plan.positive))
    statement = (
        sa_select(target.c.id, score.label("score"), target.c.published_on, target.c.fetched_at)
        .select_from(target.outerjoin(_pg_index, target.c.id == _pg_index.c.article_id))
        .where(*conditions)
    )
    return _Candidates(statement, target.c.id, ranked=plan.positive is not None)


def _tsquery(expression: str) -> Any:
    return cast(literal(expression, Text), postgresql.TSQUERY)


# -- searching --------------------------------------------------------------------------------


def search(
    *,
    session: Session,
    clauses: Sequence[Clause],
    filters: ArticleFilter = ArticleFilter(),  # noqa: B008 (frozen, never mutated)
    limit: int = 20,
    offset: int = 0,
) -> list[SearchHit]:
    """Matching articles, best first (see the module docstring), ``limit`` from ``offset``."""
    if limit <= 0:
        return []
    rows = _ranked_ids(session, _plan(clauses, _syntax(session)), filters, limit, max(offset, 0))
    articles = _load(session, [row[0] for row in rows])
    return [SearchHit(articles[row[0]], row[1]) for row in rows if row[0] in articles]


def iter_matches(
    *,
    session: Session,
    clauses: Sequence[Clause],
    filters: ArticleFilter = ArticleFilter(),  # noqa: B008 (frozen, never mutated)
    batch_size: int = BATCH_SIZE,
) -> Iterator[list[Article]]:
    """Every matching article, in batches in id order (keyset pages: constant memory)."""
    candidates = _candidates(session, _plan(clauses, _syntax(session)), filters)
    subquery = candidates.statement
    after = 0
    while True:
        page = subquery.where(candidates.order > after).order_by(candidates.order).limit(batch_size)
        ids = [row[0] for row in session.connection().execute(page)]
        if not ids:
            return
        articles = _load(session, ids)
        yield [articles[i] for i in ids if i in articles]
        session.expunge_all()  # keep memory flat over a long export
        if len(ids) < batch_size:
            return
        after = ids[-1]


def newest_matches(
    *,
    session: Session,
    clauses: Sequence[Clause],
    filters: ArticleFilter = ArticleFilter(),  # noqa: B008 (frozen, never mutated)
    limit: int = 50,
) -> list[Article]:
    """The ``limit`` matching articles stored last, newest first (what a feed shows)."""
    candidates = _candidates(session, _plan(clauses, _syntax(session)), filters)
    statement = candidates.statement.order_by(candidates.order.desc()).limit(max(limit, 0))
    ids = [row[0] for row in session.connection().execute(statement)]
    articles = _load(session, ids)
    return [articles[i] for i in ids if i in articles]


def _syntax(session: Session) -> _Syntax:
    return _Fts5 if session.get_bind().dialect.name == "sqlite" else _TsQuery


def _ranked_ids(
    session: Session, plan: _Plan, filters: ArticleFilter, limit: int, offset: int
) -> list[tuple[int, float | None]]:
    candidates = _candidates(session, plan, filters)
    connection = session.connection()
    if not candidates.ranked:
        statement = candidates.statement.subquery()
        ordered = (
            sa_select(statement.c.id, statement.c.score)
            .order_by(*_recency(statement))
            .limit(limit)
            .offset(offset)
        )
        return [(row[0], row[1]) for row in connection.execute(ordered)]
    rows: list[tuple[int, float | None]] = []
    if offset < RANK_WINDOW:
        window = (
            candidates.statement.order_by(candidates.order.desc()).limit(RANK_WINDOW).subquery()
        )
        best = (
            sa_select(window.c.id, window.c.score)
            .order_by(window.c.score.desc(), *_recency(window))
            .limit(min(limit, RANK_WINDOW - offset))
            .offset(offset)
        )
        rows = [(row[0], row[1]) for row in connection.execute(best)]
    rest = limit - len(rows)
    if rest > 0 and (offset + len(rows) >= RANK_WINDOW):
        older = (
            candidates.statement.order_by(candidates.order.desc())
            .limit(rest)
            .offset(max(offset, RANK_WINDOW))
        )
        rows += [(row[0], row[1]) for row in connection.execute(older)]
    return rows


def _load(session: Session, ids: Sequence[int]) -> dict[int, Article]:
    found: dict[int, Article] = {}
    for start in range(0, len(ids), BATCH_SIZE):
        chunk = list(ids[start : start + BATCH_SIZE])
        for article in session.exec(select(Article).where(col(Article.id).in_(chunk))).all():
            assert article.id is not None
            found[article.id] = article
    return found


# -- keeping the index in step ----------------------------------------------------------------


def apply_pending(*, session: Session) -> int:
    """Index the articles queued by the triggers (new, changed or deleted); returns how many."""
    connection = session.connection()
    if connection.dialect.name == "sqlite":
        return _sqlite_apply(connection)
    return _pg_apply(connection)


def _sqlite_apply(connection: Connection) -> int:
    done = 0
    while True:
        heads = connection.execute(
            sa_select(_pending.c.article_id, func.min(_pending.c.seq).label("first"))
            .group_by(_pending.c.article_id)
            .order_by(literal_column("first"))
            .limit(BATCH_SIZE)
        ).all()
        if not heads:
            return done
        ids = [row[0] for row in heads]
        rows = connection.execute(
            sa_select(_pending).where(_pending.c.article_id.in_(ids)).order_by(_pending.c.seq)
        ).all()
        first: dict[int, Any] = {}
        for row in rows:
            first.setdefault(row.article_id, row)
        stale = [
            {
                "id": row.article_id,
                "title": index_text(row.old_title),
                "body": index_text(row.old_text),
            }
            for row in first.values()
            if row.indexed
        ]
        if stale:
            connection.exec_driver_sql(
                f"INSERT INTO {FTS_TABLE}({FTS_TABLE}, rowid, title, body) "
                "VALUES ('delete', ?, ?, ?)",
                [(row["id"], row["title"], row["body"]) for row in stale],
            )
        _sqlite_index(connection, ids)
        last_seq = max(row.seq for row in rows)
        connection.execute(
            _pending.delete().where(_pending.c.article_id.in_(ids), _pending.c.seq <= last_seq)
        )
        done += len(ids)


def _sqlite_index(connection: Connection, ids: Sequence[int]) -> None:
    articles = _articles()
    current = connection.execute(
        sa_select(articles.c.id, articles.c.title, articles.c.text).where(articles.c.id.in_(ids))
    ).all()
    if current:
        connection.exec_driver_sql(
            f"INSERT INTO {FTS_TABLE}(rowid, title, body) VALUES (?, ?, ?)",
            [(row[0], index_text(row[1]), index_text(row[2])) for row in current],
        )


def _pg_apply(connection: Connection) -> int:
    done = 0
    while True:
        rows = connection.execute(
            sa_select(_pending.c.seq, _pending.c.article_id)
            .order_by(_pending.c.seq)
            .limit(BATCH_SIZE)
            .with_for_update(skip_locked=True)
        ).all()
        if not rows:
            return done
        ids = sorted({row[1] for row in rows})
        connection.execute(_pg_index.delete().where(_pg_index.c.article_id.in_(ids)))
        _pg_index_rows(connection, ids)
        connection.execute(_pending.delete().where(_pending.c.seq.in_([row[0] for row in rows])))
        done += len(ids)


def _pg_index_rows(connection: Connection, ids: Sequence[int]) -> None:
    articles = _articles()
    current = connection.execute(
        sa_select(articles.c.id, articles.c.title, articles.c.text).where(articles.c.id.in_(ids))
    ).all()
    if not current:
        return
    statement = text(
        f"INSERT INTO {PG_TABLE} (article_id, tsv) VALUES (:id, CAST(:tsv AS tsvector)) "
        "ON CONFLICT (article_id) DO UPDATE SET tsv = EXCLUDED.tsv"
    )
    connection.execute(
        statement, [{"id": row[0], "tsv": pg_tsvector(row[1], row[2])} for row in current]
    )


def pg_tsvector(title: str | None, body: str | None) -> str:
    """The tsvector literal of an article: our tokens as lexemes with their positions (title:
    weight A), so phrases of bigrams are exact. A document beyond PostgreSQL's limits (positions
    up to 16383, 256 per lexeme, 1 MB) is *lossy*: its lexemes without positions, or none, and
    the lexeme ``_`` (never a token), which makes it a candidate of every query, confirmed by
    substring tests."""
    positions: dict[str, list[str]] = {}
    position = 0
    complete = True
    for weight, value in (("A", title), ("", body)):
        for token in index_tokens(value):
            position += 1
            found = positions.setdefault(token, [])
            if position > PG_MAX_POSITION or len(found) >= PG_MAX_POSITIONS:
                complete = False
            else:
                found.append(f"{position}{weight}")
    if complete:
        literal_text = " ".join(
            f"{_pg_quote(token)}:{','.join(found)}" for token, found in positions.items()
        )
        if len(literal_text.encode()) <= PG_MAX_TSVECTOR:
            return literal_text
    literal_text = " ".join([PG_LOSSY, *map(_pg_quote, positions)])
    return literal_text if len(literal_text.encode()) <= PG_MAX_TSVECTOR else PG_LOSSY


def rebuild_index(connection: Connection) -> int:
    """Index every article afresh (migration 0007; a repair); returns how many."""
    articles = _articles()
    if connection.dialect.name == "sqlite":
        connection.exec_driver_sql(f"INSERT INTO {FTS_TABLE}({FTS_TABLE}) VALUES ('delete-all')")
    else:
        connection.execute(_pg_index.delete())
    connection.execute(_pending.delete())
    after, done = 0, 0
    while True:
        ids = [
            row[0]
            for row in connection.execute(
                sa_select(articles.c.id)
                .where(articles.c.id > after)
                .order_by(articles.c.id)
                .limit(BATCH_SIZE)
            )
        ]
        if not ids:
            return done
        if connection.dialect.name == "sqlite":
            _sqlite_index(connection, ids)
        else:
            _pg_index_rows(connection, ids)
        done += len(ids)
        after = ids[-1]


def pending_count(*, session: Session) -> int:
    """How many queued changes the index has not taken in yet."""
    statement = sa_select(func.count()).select_from(_pending)
    return int(session.connection().execute(statement).scalar_one())


def delete_articles(*, session: Session, article_ids: Sequence[int]) -> int:
    """Delete articles (their HTML, signatures and bands go with them) and their index entries;
    returns how many were deleted. Their stories' listing dates are recomputed (a story left
    without articles gets none and is no longer listed)."""
    from storage.models import ArticleHtml, ArticleSignature, LshBand
    from storage.story_index import refresh_listing_dates, stories_of

    connection = session.connection()
    deleted = 0
    stories: set[int] = set()
    for start in range(0, len(article_ids), BATCH_SIZE):
        chunk = list(article_ids[start : start + BATCH_SIZE])
        stories |= stories_of(connection, chunk)
        for model in (ArticleHtml, ArticleSignature, LshBand):
            owned: Table = model.__table__  # type: ignore[union-attr]
            connection.execute(owned.delete().where(owned.c.article_id.in_(chunk)))
        articles = _articles()
        deleted += int(
            connection.execute(articles.delete().where(articles.c.id.in_(chunk))).rowcount or 0
        )
    refresh_listing_dates(session=session, story_ids=stories)
    apply_pending(session=session)
    return deleted


def index_size(*, session: Session) -> IndexSize:
    """The size of the search index and of the titles and texts it covers, in bytes."""
    connection = session.connection()
    if connection.dialect.name == "sqlite":
        index_bytes = connection.exec_driver_sql(
            "SELECT coalesce(sum(pgsize), 0) FROM dbstat "
            f"WHERE name LIKE '{FTS_TABLE}%' OR name = '{COVERING_INDEX}'"
        ).scalar_one()
        text_bytes = connection.exec_driver_sql(
            "SELECT coalesce(sum(length(CAST(text AS BLOB)) + "
            "coalesce(length(CAST(title AS BLOB)), 0)), 0) FROM articles"
        ).scalar_one()
    else:
        index_bytes = connection.exec_driver_sql(
            f"SELECT pg_total_relation_size('{PG_TABLE}')"
        ).scalar_one()
        text_bytes = connection.exec_driver_sql(
            "SELECT coalesce(sum(octet_length(text) + coalesce(octet_length(title), 0)), 0) "
            "FROM articles"
        ).scalar_one()
    return IndexSize(int(index_bytes), int(text_bytes))


__all__ = [
    "ArticleFilter",
    "IndexSize",
    "SearchHit",
    "apply_pending",
    "delete_articles",
    "index_size",
    "iter_matches",
    "owned_by_search",
    "pending_count",
    "pg_tsvector",
    "rebuild_index",
    "search",
]
