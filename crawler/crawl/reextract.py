"""Re-running extraction over stored raw HTML, on every core, without crawling again.

The main process reads batches of compressed HTML and writes updates; worker processes
decompress and extract. Reading batch N+1 and writing batch N-1 overlap with the workers
extracting batch N, so the main process never leaves the workers idle for long. The workers die
with the main process, even when it is killed (``crawler.crawl.processes``).
"""

from __future__ import annotations

import multiprocessing
import os
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from multiprocessing.pool import AsyncResult

from sqlalchemy.engine import Engine

from crawler.crawl import stories
from crawler.crawl.article_builder import article_content, decompress_html, warm_up
from crawler.crawl.pipelines.extract import worker_count
from crawler.crawl.processes import die_with_parent
from crawler.extract.extraction import extract_article
from crawler.extract.options import DEFAULT_OPTIONS, ExtractOptions
from storage import queries
from storage.db import session_scope
from storage.models import ArticleUpdate

Row = tuple[int, str, str, bytes, str | None, datetime]


_options: dict[str, ExtractOptions] = {}
"""Each worker's copy of the sources' options, by source id (set by ``_init_worker``)."""


@dataclass
class ReextractResult:
    articles: int
    changed: int
    seconds: float


def _init_worker(options: Mapping[str, ExtractOptions], parent_pid: int) -> None:
    die_with_parent(parent_pid)
    _options.clear()
    _options.update(options)
    warm_up()


def reextract_row(row: Row) -> tuple[ArticleUpdate, str]:
    """Extract one stored page again; returns the update and its new content hash."""
    article_id, url, source_id, blob, charset, fetched_at = row
    options = _options.get(source_id, DEFAULT_OPTIONS)
    extracted = extract_article(decompress_html(blob), url, header_charset=charset, options=options)
    content = article_content(extracted, options, fetched_at=fetched_at)
    update = ArticleUpdate(id=article_id, **content)
    return update, update.content_hash


def reextract_all(
    engine: Engine,
    *,
    source_id: str | None = None,
    options: Mapping[str, ExtractOptions] | None = None,
    workers: int | None = None,
    batch_size: int = 200,
    on_progress: Callable[[int], None] | None = None,
) -> ReextractResult:
    """Re-extract every stored article (of one source, if given); returns counts and time.

    ``options`` maps source ids to their ``ExtractOptions``; an article of a source not in it
    (no longer configured) is read with the defaults."""
    started = time.perf_counter()
    count = worker_count(workers)
    done = changed = 0
    context = multiprocessing.get_context("spawn")
    with context.Pool(
        max(1, count), initializer=_init_worker, initargs=(dict(options or {}), os.getpid())
    ) as pool:
        # read after the pool starts: the workers import the extraction stack meanwhile
        previous = _current_hashes(engine, source_id)
        pending: AsyncResult[list[tuple[ArticleUpdate, str]]] | None = None
        for batch in _batches(engine, source_id, batch_size):
            job = pool.map_async(
                reextract_row, batch, chunksize=max(1, len(batch) // (4 * count or 1))
            )
            if pending is not None:
                done, changed = _write(engine, pending.get(), previous, done, changed, on_progress)
            pending = job
        if pending is not None:
            done, changed = _write(engine, pending.get(), previous, done, changed, on_progress)
    return ReextractResult(articles=done, changed=changed, seconds=time.perf_counter() - started)


def _batches(engine: Engine, source_id: str | None, batch_size: int) -> Iterable[list[Row]]:
    with session_scope(engine) as session:
        yield from queries.iter_article_html(
            session=session, batch_size=batch_size, source_id=source_id
        )


def _current_hashes(engine: Engine, source_id: str | None) -> dict[int, str]:
    with session_scope(engine) as session:
        return queries.article_hashes(session=session, source_id=source_id)


def _write(
    engine: Engine,
    results: list[tuple[ArticleUpdate, str]],
    previous: dict[int, str],
    done: int,
    changed: int,
    on_progress: Callable[[int], None] | None,
) -> tuple[int, int]:
    updates = [update for update, _ in results]
    with session_scope(engine, write=True) as session:
        queries.update_extractions(session=session, updates=updates)
        stories.reindex(session=session, updates=updates)
    changed += sum(1 for update, digest in results if previous.get(update.id) != digest)
    done += len(updates)
    if on_progress is not None:
        on_progress(len(updates))
    return done, changed
