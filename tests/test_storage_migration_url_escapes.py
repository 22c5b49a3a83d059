"""Migration 0009: stored canonical URLs are re-keyed as ``canonicalize`` now writes them (raw and
percent-encoded spellings of one URL are one key), duplicates merged as 0004 merged schemes."""

from __future__ import annotations

import itertools
import posixpath
import re
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from crawler.discover.urls import canonicalize
from crawler.search.query import parse
from storage import search
from storage.db import make_engine, upgrade_schema
from storage.models import (
    Alert,
    Article,
    ArticleHtml,
    ArticleSignature,
    Attachment,
    CrawledUrl,
    HttpValidator,
    LshBand,
    Source,
    SourceWalk,
)
from tests.test_crawler_url_escapes import HOSTS, PATHS, QUERIES, spellings
from tests.test_storage_migrations import (
    _STORIES_0003,
    load_migration,
    schema_differences,
    upgrade_to,
)

T0 = datetime(2025, 3, 1, 8, 0, tzinfo=UTC)


def migration() -> Any:
    return load_migration("0009_url_escapes.py")


# -- the keys revisions up to 0008 stored (crawler.discover.urls.canonicalize before 0009) -------

_TRACKING = re.compile(
    r"^(?:utm_\w+|spm|from|share|share_token|shareid|scene|fbclid|gclid|yclid|"
    r"_hsenc|_hsmi|mc_cid|mc_eid|isappinstalled|_|phpsessid|jsessionid|"
    r"sessionid|sid|aspsessionid\w*)$",
    re.IGNORECASE,
)
_SESSION = re.compile(r";(?:jsessionid|phpsessid|sid)=[^/?#]*", re.IGNORECASE)
_INDEX = re.compile(r"/(?:index|default)\.(?:s?html?|php|aspx?|jsp)$", re.IGNORECASE)


def key_of_0008(url: str) -> str:
    """The canonical URL the code of revision 0008 stored for ``url`` (a frozen copy)."""
    parts = urlsplit(url.strip())
    port = parts.port
    assert parts.hostname
    host = parts.hostname.lower().rstrip(".")
    if ":" in host:
        host = f"[{host}]"
    if port is not None and port not in (80, 443):
        host = f"{host}:{port}"
    path = _SESSION.sub("", parts.path) or "/"
    if "/./" in path or "/../" in path or path.endswith(("/.", "/..")):
        trailing = path.endswith("/")
        path = posixpath.normpath(path)
        if trailing and not path.endswith("/"):
            path += "/"
    path = _INDEX.sub("/", re.sub(r"/{2,}", "/", path))
    pairs = [
        (key, value)
        for key, value in parse_qsl(parts.query, keep_blank_values=True)
        if not _TRACKING.match(key)
    ]
    return urlunsplit(("http", host, path, urlencode(sorted(pairs)), ""))


EXTRA_URLS = [
    "http://x.gov.cn/a/%2e%2E/b/index%2Ehtml",
    "http://x.gov.cn/a/%2e/b/",
    "http://x.gov.cn/%69ndex.html",
    "http://x.gov.cn/a;%6Asessionid=1/b",
    "http://x.gov.cn/100%/a%zz?p=5%",
    "http://x.gov.cn/a\\b\\c.html",
    "http://x.gov.cn/a|b^c`d{e}",
    "http://x.gov.cn//a//b.html?utm_source=x&id=2",
    "http://[2001:db8::1]:8080/%7e/新",
    "https://x.gov.cn:8443/~a/%7E%7e?k=%7e",
    "http://ＷＷＷ.例子.中国./a.html",
    "http://x.gov.cn/a%2f%3f%23%3b%25.html?q=%26%3d%23",
    "http://x.gov.cn/s?kw=新闻+发布&x=%E6%96%B0",
]


def utf8_urls() -> list[str]:
    """The spellings of the canonicalize tests and odd ones; not those with a query in another
    encoding than UTF-8, which the older code stored with U+FFFD (not recoverable)."""
    urls = [url for args in itertools.product(HOSTS, PATHS, QUERIES) for url in spellings(*args)]
    return [url for url in urls + EXTRA_URLS if "%D0%C2" not in url.upper()]


@pytest.mark.parametrize("url", utf8_urls())
def test_rekey_agrees_with_canonicalize(url: str) -> None:
    """A key stored by the older code, re-keyed by the migration, is the key the crawler now
    makes for the same URL; a new key is left as it is."""
    rekey = migration().rekey
    assert rekey(key_of_0008(url)) == canonicalize(url)
    assert rekey(canonicalize(url)) == canonicalize(url)


def test_rekey_leaves_what_is_not_an_http_key() -> None:
    rekey = migration().rekey
    for key in ("mailto:a@x.cn", "", "http://[::1/a", "http:///a", "relative/新闻"):
        assert rekey(key) == key


# -- the migration on a database -----------------------------------------------------------------

RAW = "http://x.example/xwzx/新闻/t1.html"
UPPER = "http://x.example/xwzx/%E6%96%B0%E9%97%BB/t1.html"
LOWER = "http://x.example/xwzx/%e6%96%b0%e9%97%bb/t1.html"
LIST_RAW = "http://x.example/新闻/"
LIST_KEY = "http://x.example/%E6%96%B0%E9%97%BB/"
PDF_RAW = "http://x.example/f/文件.pdf"
PDF_KEY = "http://x.example/f/%E6%96%87%E4%BB%B6.pdf"
WORDS = ("alpha", "bravo", "charlie", "delta", "echo", "foxtrot", "golf", "hotel", "india")


def _article(article_id: int, key: str, story_id: int | None = None) -> Article:
    return Article(
        id=article_id,
        source_id="x",
        url=key,
        canonical_url=key,
        title=f"title {WORDS[article_id - 1]}",
        text=f"article {WORDS[article_id - 1]} text",
        content_hash=f"{article_id:064x}",
        extracted_at=T0,
        fetched_at=T0,
        story_id=story_id,
    )


def _seed(engine: Engine) -> None:
    """Rows as the older code stored them: raw and escaped spellings of pages, side by side."""
    with Session(engine) as session:
        session.add_all([Source(id="x", name="X"), Source(id="y", name="Y")])
        # stories as of 0008 (the model has columns of later revisions)
        session.execute(
            sa.insert(_STORIES_0003), [{"id": n, "first_seen_at": T0} for n in (1, 2, 3)]
        )
        session.flush()
        session.add_all(
            [
                _article(1, RAW, story_id=1),
                _article(2, UPPER, story_id=2),  # same page as 1, alone in story 2
                _article(3, LOWER, story_id=1),  # same page as 1
                _article(4, "http://x.example/%7Euser/a.html", story_id=3),
                _article(5, "http://x.example/~user/b.html"),
                _article(6, "http://x.example/a%2Fb.html"),
                _article(7, "http://x.example/a%2fb.html"),  # same as 6, whose key stays
                _article(8, "http://x.example/a/index%2Ehtml"),  # becomes /a/, kept (lower id)
                _article(9, "http://x.example/a/"),
            ]
        )
        session.flush()
        for article_id in (1, 2, 3, 7):
            session.add(ArticleHtml(article_id=article_id, raw_html=b"x"))
            session.add(ArticleSignature(article_id=article_id, signature=b"s", shingles=3))
            session.add(LshBand(band_key=article_id * 10, article_id=article_id))
        session.add_all(
            [
                Attachment(id=1, source_id="x", url="u", canonical_url=PDF_RAW),
                Attachment(id=2, source_id="x", url="u", canonical_url=PDF_KEY, article_id=1),
                Attachment(
                    id=3,
                    source_id="x",
                    url="u",
                    canonical_url="http://x.example/g.pdf",
                    article_id=2,
                ),
                Alert(id=1, rule="r", dedupe_key="story:2", article_id=2, story_id=2),
                Alert(id=2, rule="r", dedupe_key="story:3", article_id=4, story_id=3),
            ]
        )
        session.add_all(
            [
                CrawledUrl(canonical_url=RAW, source_id="x", state="article", last_seen_at=T0),
                CrawledUrl(
                    canonical_url=UPPER,
                    source_id="x",
                    state="error",
                    last_seen_at=T0 + timedelta(1),
                ),
                CrawledUrl(
                    canonical_url="http://x.example/h%7e.html",
                    source_id="x",
                    state="gone",
                    last_seen_at=T0,
                ),
                CrawledUrl(
                    canonical_url="http://x.example/h~.html",
                    source_id="x",
                    state="error",
                    last_seen_at=T0 + timedelta(2),
                ),
            ]
        )
        walk = {"ended_by": "end", "pages": 3, "max_list_pages": 50}
        session.add_all(
            [
                SourceWalk(source_id="x", start_url=LIST_RAW, completed_at=T0, **walk),
                SourceWalk(
                    source_id="x",
                    start_url=LIST_KEY.lower(),
                    completed_at=T0 + timedelta(1),
                    **{**walk, "pages": 7},
                ),
                SourceWalk(source_id="y", start_url=LIST_RAW, completed_at=T0, **walk),
                HttpValidator(canonical_url=LIST_RAW, source_id="x", etag="a", checked_at=T0),
                HttpValidator(
                    canonical_url=LIST_KEY.lower(),
                    source_id="x",
                    etag="b",
                    checked_at=T0 + timedelta(1),
                ),
            ]
        )
        session.commit()
        search.apply_pending(session=session)
        session.commit()


def _hits(session: Session, word: str) -> list[int | None]:
    return [hit.article.id for hit in search.search(session=session, clauses=parse(word).clauses)]


def test_url_escapes_migration_merges_spellings(db_url: str) -> None:
    """0009 on a database holding several spellings of some pages: every key is re-keyed, one
    row per page is kept (the first article; the attachment linked to an article; the URL state
    saying the content is stored, else the latest; the latest walk and validators), what hung on
    dropped articles is moved (attachments, alerts) or removed (HTML, signature, bands, search
    index entries, a story left empty), and the unique constraints hold."""
    engine = make_engine(db_url)
    try:
        upgrade_to(engine, "0008")
        _seed(engine)
        with Session(engine) as session:
            assert _hits(session, "bravo") == [2]  # indexed before the migration
        upgrade_to(engine, "0009")
        with Session(engine) as session:
            articles = {a.id: (a.canonical_url, a.story_id) for a in session.exec(select(Article))}
            assert articles == {
                1: (UPPER, 1),
                4: ("http://x.example/~user/a.html", 3),
                5: ("http://x.example/~user/b.html", None),
                6: ("http://x.example/a%2Fb.html", None),
                8: ("http://x.example/a/", None),
            }
            for model in (ArticleHtml, ArticleSignature, LshBand):
                assert sorted(row.article_id for row in session.exec(select(model))) == [1]
            stories = session.execute(sa.select(_STORIES_0003.c.id)).scalars().all()
            assert sorted(stories) == [1, 3]  # 2 left empty
            attachments = {
                a.id: (a.canonical_url, a.article_id) for a in session.exec(select(Attachment))
            }
            assert attachments == {2: (PDF_KEY, 1), 3: ("http://x.example/g.pdf", 1)}
            alerts = {a.id: (a.article_id, a.dedupe_key) for a in session.exec(select(Alert))}
            assert alerts == {1: (1, "story:2"), 2: (4, "story:3")}
            states = {u.canonical_url: u.state for u in session.exec(select(CrawledUrl))}
            assert states == {UPPER: "article", "http://x.example/h~.html": "error"}
            walks = {(w.source_id, w.start_url): w.pages for w in session.exec(select(SourceWalk))}
            assert walks == {("x", LIST_KEY): 7, ("y", LIST_KEY): 3}
            etags = {v.canonical_url: v.etag for v in session.exec(select(HttpValidator))}
            assert etags == {LIST_KEY: "b"}
            # the search index forgot the dropped articles and kept the others
            assert search.pending_count(session=session) == 0
            assert _hits(session, "bravo") == _hits(session, "charlie") == []
            assert _hits(session, "alpha") == [1] and _hits(session, "delta") == [4]
            if engine.dialect.name == "postgresql":
                indexed = session.execute(sa.text("SELECT article_id FROM article_search"))
                assert sorted(row[0] for row in indexed) == [1, 4, 5, 6, 8]
        upgrade_schema(engine)  # a no-op at head
        with engine.connect() as connection:
            assert schema_differences(connection) == []
    finally:
        engine.dispose()


def test_url_escapes_migration_changes_nothing_on_canonical_keys(db_url: str) -> None:
    """A database whose keys are already canonical (or hold no rows) comes out unchanged."""
    engine = make_engine(db_url)
    try:
        upgrade_to(engine, "0008")
        with Session(engine) as session:
            session.add(Source(id="x", name="X"))
            session.flush()
            session.add_all([_article(1, UPPER), _article(2, "http://x.example/~a?b=%D0%C2")])
            session.commit()
        upgrade_to(engine, "0009")
        with Session(engine) as session:
            keys = sorted(a.canonical_url for a in session.exec(select(Article)))
            assert keys == sorted([UPPER, "http://x.example/~a?b=%D0%C2"])
    finally:
        engine.dispose()
