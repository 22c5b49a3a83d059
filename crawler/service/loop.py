"""The service's state between ticks: the planned sources, the crawl child that runs, and what a
tick does with them.

A tick (``Service.tick``) first looks at the running crawl: finished, it logs the crawl's
summary (from its crawl runs) and frees its sources; past ``service.crawl_time_limit``, it kills
the child's process group and records its open runs as ``timeout``. Then, when no crawl runs,
every due source goes into ONE new crawl child. One crawl runs at a time: sources that fall due
meanwhile wait for the next tick after it ends, together (the planner coalesces). ``reload``
swaps in a new configuration (sources added, removed, rescheduled). Thread-safe: ticks come
from the scheduler's thread, reloads and the stop from the main one.
"""

from __future__ import annotations

import logging
import threading
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy.engine import Engine

from crawler.config import Config
from crawler.crawl.processes import ProcessStamp
from crawler.service.crawls import CrawlChild, start_crawl
from crawler.service.planner import DuePlanner, PlanChanges
from crawler.service.triggers import schedules
from storage import service_runs
from storage.db import session_scope

logger = logging.getLogger(__name__)

Launcher = Callable[..., CrawlChild]
"""``start_crawl``'s signature: (config path, source ids, on_exit=callback)."""
Clock = Callable[[], datetime]


_OUTCOME_WORDS = {"timeout": "killed at its time limit", "stopped": "stopped"}


def utcnow() -> datetime:
    return datetime.now(UTC)


@dataclass
class CrawlReport:
    """How one crawl child ended."""

    source_ids: list[str]
    returncode: int | None
    seconds: float
    outcome: str
    """'finished', 'timeout' (killed at the time limit) or 'stopped' (the service stopped)."""
    statuses: Counter[str]
    new_articles: int = 0
    list_pages: int = 0
    failed: int = 0


class Service:
    """Planned sources and the running crawl (see the module docstring)."""

    def __init__(
        self,
        *,
        engine: Engine,
        config: Config,
        config_path: str,
        host: ProcessStamp,
        launch: Launcher = start_crawl,
        clock: Clock = utcnow,
        planner: DuePlanner | None = None,
    ) -> None:
        self.engine = engine
        self.config = config
        self.config_path = config_path
        self.host = host
        self.launch = launch
        self.clock = clock
        service = config.service
        self.planner = planner or DuePlanner(
            jitter=service.jitter, misfire_grace=service.misfire_grace
        )
        self.crawl: CrawlChild | None = None
        self.reports: list[CrawlReport] = []
        self.on_crawl_end: list[Callable[[CrawlReport], None]] = []
        self._lock = threading.RLock()
        self.stopping = False
        """Set by ``stop``: no tick starts a crawl any more."""
        self._waiting = 0

    # -- the plan -----------------------------------------------------------------------------

    def load(self) -> PlanChanges:
        """Plan every configured source from its last run start (start-up)."""
        return self.reload(self.config)

    def reload(self, config: Config) -> PlanChanges:
        """Swap in a configuration: sources added, removed, rescheduled; the service's jitter,
        grace and time limit. All or nothing: if the database cannot be read, nothing changes."""
        with self._lock:
            planned = schedules(config, self.engine, self.clock())
            with session_scope(self.engine) as session:
                starts = service_runs.last_run_starts(session=session, source_ids=list(planned))
            self.config = config
            self.planner.jitter = config.service.jitter
            self.planner.misfire_grace = config.service.misfire_grace
            changes = self.planner.update(planned, starts, self.clock())
            self._log_skipped()
            return changes

    # -- ticks ----------------------------------------------------------------------------------

    def tick(self) -> CrawlChild | None:
        """One tick: reap or time out the running crawl, then start one crawl for every due
        source if none runs; returns the crawl started, if any."""
        with self._lock:
            if self.stopping:
                return None
            self._check_crawl()
            now = self.clock()
            if self.crawl is not None:
                waiting = self.planner.count_due(now)
                if waiting and waiting != self._waiting:  # logged when it changes, not each tick
                    logger.info(
                        "tick: %d source(s) due, waiting for the running crawl of %d (%.0f s)",
                        waiting,
                        len(self.crawl.source_ids),
                        self.crawl.elapsed(),
                    )
                self._waiting = waiting
                return None
            self._waiting = 0
            due = self.planner.take_due(now)
            self._log_skipped()
            if not due:
                logger.debug("tick: no source due")
                return None
            logger.info("tick: %d source(s) due; starting one crawl for them", len(due))
            try:
                self.crawl = self.launch(self.config_path, due, on_exit=self._crawl_exited)
            except Exception:
                logger.exception("the crawl of %d source(s) could not start", len(due))
                self.planner.finished(due)
                return None
            return self.crawl

    def _crawl_exited(self) -> None:
        """The crawl child just exited: reap it and start what is due now (a tick early)."""
        if not self.stopping:
            self.tick()

    def _check_crawl(self) -> None:
        crawl = self.crawl
        if crawl is None:
            return
        code = crawl.poll()
        if code is not None:
            self._end(crawl, code, "finished")
            return
        limit = self.config.service.crawl_time_limit.total_seconds()
        if crawl.elapsed() > limit:
            logger.error(
                "the crawl of %d source(s) ran past its time limit (%s): killing it",
                len(crawl.source_ids),
                self.config.service.crawl_time_limit,
            )
            crawl.kill()
            self._close_runs(crawl, "timeout")
            self._end(crawl, crawl.poll(), "timeout")

    def _end(self, crawl: CrawlChild, code: int | None, outcome: str) -> None:
        crawl.cleanup()
        self.crawl = None
        self.planner.finished(crawl.source_ids)
        report = self._report(crawl, code, outcome)
        self.reports.append(report)
        del self.reports[:-100]
        level = logging.INFO if outcome == "finished" and code == 0 else logging.WARNING
        logger.log(
            level,
            "crawl of %d source(s) %s in %.1f s (exit %s): runs %s; %d new article(s), "
            "%d list page(s), %d failed page(s)",
            len(report.source_ids),
            _OUTCOME_WORDS.get(outcome, outcome),
            report.seconds,
            code,
            dict(report.statuses) or "none recorded",
            report.new_articles,
            report.list_pages,
            report.failed,
        )
        for callback in self.on_crawl_end:
            try:
                callback(report)
            except Exception:
                logger.exception("a crawl-end callback failed")

    def _report(self, crawl: CrawlChild, code: int | None, outcome: str) -> CrawlReport:
        report = CrawlReport(crawl.source_ids, code, crawl.elapsed(), outcome, Counter())
        try:
            with session_scope(self.engine) as session:
                runs = service_runs.process_runs(
                    session=session, host=self.host.host, pid=crawl.pid, since=crawl.started_at
                )
        except Exception:
            logger.exception("the crawl's runs could not be read")
            return report
        for run in runs:
            report.statuses[run.status] += 1
            report.new_articles += run.new_articles
            report.list_pages += run.list_pages
            report.failed += run.failed
        return report

    def _close_runs(self, crawl: CrawlChild, status: str) -> None:
        try:
            with session_scope(self.engine, write=True) as session:
                closed = service_runs.close_process_runs(
                    session=session,
                    host=self.host.host,
                    pid=crawl.pid,
                    since=crawl.started_at,
                    status=status,
                )
        except Exception:
            logger.exception("the killed crawl's runs could not be closed")
            return
        if closed:
            logger.warning("%d run(s) of the crawl recorded as %s", closed, status)

    def _log_skipped(self) -> None:
        for source_id, fire in self.planner.skipped:
            logger.warning(
                "%s: poll of %s UTC skipped, later than the misfire grace (%s)",
                source_id,
                f"{fire:%Y-%m-%d %H:%M:%S}",
                self.planner.misfire_grace,
            )
        self.planner.skipped.clear()

    # -- ending ---------------------------------------------------------------------------------

    def wait_crawl(self, poll: float = 0.5) -> CrawlReport | None:
        """Tick until the running crawl ends (finished or timed out); its report (``--once``)."""
        while True:
            with self._lock:
                crawl = self.crawl
                if crawl is None:
                    return self.reports[-1] if self.reports else None
                self._check_crawl()
                if self.crawl is None:
                    return self.reports[-1]
            crawl.wait(poll)

    def stop(self, grace: float) -> None:
        """No new crawls; ask the running one to stop, wait up to ``grace`` s, then kill it."""
        with self._lock:
            self.stopping = True
            crawl = self.crawl
            if crawl is None:
                return
            if crawl.poll() is None:
                logger.info(
                    "stopping the running crawl of %d source(s) (up to %.0f s)",
                    len(crawl.source_ids),
                    grace,
                )
            if crawl.stop(grace):
                logger.warning("the crawl did not stop within %.0f s: killed", grace)
            self._close_runs(crawl, "interrupted")  # a forced stop leaves its runs open
            self._end(crawl, crawl.poll(), "stopped")
