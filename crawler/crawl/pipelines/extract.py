"""Extraction pipeline: turns PageItems into ArticleItems in worker processes.

Scrapy runs callbacks and pipelines on one thread; extraction (trafilatura + our passes) costs
far more than crawling, so it runs in a process pool and the reactor only awaits the result.
The workers die with the crawl process, even when it is killed (``crawler.crawl.processes``); with them
gone, multiprocessing's resource tracker sees its pipe close and exits too.
Reads ``FORUMWATCH_EXTRACT_WORKERS`` (None: one per core; 0: extract in Scrapy's process).
A page that turns out to be binary content becomes a ``NotPageItem``, which the store pipeline
counts as a failure of its source and remembers for a later retry.
"""

from __future__ import annotations

import asyncio
import logging
import multiprocessing
import os
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Any

from scrapy.crawler import Crawler

from crawler.crawl.items import PageItem

logger = logging.getLogger(__name__)


def _start_worker(parent_pid: int) -> None:
    """Tie the worker's life to the crawl process, then import and load the heavy parts once,
    before the first page arrives."""
    from crawler.crawl.processes import die_with_parent

    die_with_parent(parent_pid)
    from crawler.crawl.article_builder import warm_up

    warm_up()


def worker_count(setting: Any) -> int:
    """Workers for a FORUMWATCH_EXTRACT_WORKERS value (None or '' means one per core)."""
    if setting is None or setting == "":
        return os.cpu_count() or 1
    return max(0, int(setting))


class ExtractPipeline:
    """Offloads ``build_article`` to a pool of worker processes."""

    def __init__(self, workers: int) -> None:
        self.workers = workers
        self._pool: ProcessPoolExecutor | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ExtractPipeline:
        return cls(worker_count(crawler.settings.get("FORUMWATCH_EXTRACT_WORKERS")))

    def _new_pool(self) -> ProcessPoolExecutor:
        # spawn, not fork: forking a process that runs a Twisted/asyncio reactor is unsafe.
        # Created (and its workers started) from the reactor's thread, the main one, which
        # lives as long as the process: the workers' parent-death signal fires only with it.
        context = multiprocessing.get_context("spawn")
        return ProcessPoolExecutor(
            self.workers,
            mp_context=context,
            initializer=_start_worker,
            initargs=(os.getpid(),),
        )

    async def process_item(self, item: Any) -> Any:
        if not isinstance(item, PageItem):
            return item
        return await self._build(item)

    async def _build(self, item: PageItem) -> Any:
        # Imported on the first page: a routine crawl that finds nothing new never loads
        # trafilatura, langdetect, numpy and the analysis in the crawl process.
        from crawler.crawl.article_builder import build_article

        if self.workers == 0:
            return build_article(item)
        if self._pool is None:
            # Started on the first page, not at open: a routine crawl that finds nothing new
            # never pays for spawning workers and importing trafilatura in them.
            self._pool = self._new_pool()
        pool = self._pool
        try:
            return await asyncio.wrap_future(pool.submit(build_article, item))
        except BrokenProcessPool:
            logger.error("extraction worker died; restarting the pool", extra={"url": item.url})
            if self._pool is pool:
                self._pool = self._new_pool()
            return build_article(item)

    def close_spider(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None
