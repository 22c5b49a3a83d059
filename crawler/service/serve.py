"""``forumwatch serve``: the lease, the scheduler, the signals, around a ``Service``.

APScheduler 3 (a ``BackgroundScheduler``, memory job store, one scheduler per process) runs two
jobs with explicit ids (``replace_existing``, ``coalesce``, ``max_instances=1``, the configured
``misfire_grace_time``): ``forumwatch:tick`` every ``service.tick`` (``Service.tick``: gather due
sources into one crawl child, reap or time out the running one) and ``forumwatch:lease``, the
lease's heartbeat. Nothing is kept in the job store across restarts: what a source is due for
is planned from its crawl runs at start. The main thread waits for signals: SIGTERM/SIGINT stop
(no new crawls, the running crawl asked to stop, then killed after ``stop_grace``; the lease
released; exit 0), SIGHUP re-reads the configuration (a bad one is logged and the old kept).
Companions (e.g. the alert dispatcher) are started after the lease is taken and stopped before
it is released; ``wake()`` is called on them after each crawl.
"""

from __future__ import annotations

import logging
import signal
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any, Protocol

from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.interval import IntervalTrigger
from sqlalchemy.engine import Engine

from crawler.config import Config, ConfigError, config_path, load_config
from crawler.crawl.processes import this_process
from crawler.service.lease import DEFAULT_RENEW, DEFAULT_TTL, LeaseHeld, ServiceLeaseKeeper
from crawler.service.loop import CrawlReport, Service

logger = logging.getLogger(__name__)

TICK_JOB, LEASE_JOB = "forumwatch:tick", "forumwatch:lease"
EXIT_OK, EXIT_ERROR = 0, 1
STOP_GRACE = 30.0
"""Seconds a running crawl gets to stop cleanly when the service stops, before it is killed."""


class Companion(Protocol):
    """Something that runs beside the service (the alert dispatcher): started once the lease is
    held, stopped before it is released, woken after each crawl."""

    def start(self) -> None: ...

    def stop(self) -> object: ...

    def wake(self) -> None: ...


CompanionFactory = Callable[[Engine, Callable[[], Config]], Companion]


@dataclass
class ServeOptions:
    once: bool = False
    """Run one tick (everything due now, in one crawl), wait for its crawl, then exit."""
    tick: timedelta | None = None
    """Overrides ``service.tick``."""
    lease_ttl: timedelta = DEFAULT_TTL
    lease_renew: timedelta = DEFAULT_RENEW
    stop_grace: float = STOP_GRACE
    companions: Sequence[CompanionFactory] = field(default_factory=list)
    """Made once the lease is held: ``factory(engine, get_config)``, ``get_config()`` giving
    the configuration in force (reloaded on SIGHUP); e.g. the alert dispatcher:
    ``lambda engine, get_config: DispatchLoop(engine, get_config, interval)``."""


class _Signals:
    """Signals turned into flags for the main thread."""

    def __init__(self) -> None:
        self.wake = threading.Event()
        self.stop: int | None = None
        self.reload = False
        self._previous: dict[int, Any] = {}

    def install(self) -> None:
        for signum in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
            self._previous[signum] = signal.signal(signum, self._handle)

    def restore(self) -> None:
        for signum, handler in self._previous.items():
            signal.signal(signum, handler)

    def _handle(self, signum: int, frame: Any) -> None:
        if signum == signal.SIGHUP:
            self.reload = True
        else:
            self.stop = signum
        self.wake.set()


def serve(engine: Engine, config: Config, path: str | None, options: ServeOptions) -> int:
    """Run the service on ``engine``'s database until stopped; the exit code (1: the lease is
    held by another service, or was lost)."""
    resolved = str(config_path(path).resolve())
    process = this_process()
    lease = ServiceLeaseKeeper(engine, process, ttl=options.lease_ttl)
    try:
        lease.acquire()
    except LeaseHeld as held:
        logger.error("%s", held)
        return EXIT_ERROR
    logger.info(
        "service started: pid %d on %s, %d source(s), database %s",
        process.pid,
        process.host,
        len(config.sources),
        engine.url.render_as_string(hide_password=True),
    )
    service = Service(engine=engine, config=config, config_path=resolved, host=process)
    companions: list[Companion] = []
    try:
        service.load()
        for make in options.companions:
            companion = make(engine, lambda: service.config)
            companion.start()
            companions.append(companion)
            service.on_crawl_end.append(_waker(companion))
        if options.once:
            return _run_once(service)
        return _run(service, lease, resolved, options)
    finally:
        service.stop(options.stop_grace)
        for companion in companions:
            try:
                companion.stop()
            except Exception:
                logger.exception("a companion did not stop cleanly")
        lease.release()
        logger.info("service stopped; lease released")


def _waker(companion: Companion) -> Callable[[CrawlReport], None]:
    def wake(_report: CrawlReport) -> None:
        companion.wake()

    return wake


class _Stopped(Exception):
    """SIGTERM or SIGINT during ``--once``."""


def _run_once(service: Service) -> int:
    def stop(signum: int, frame: Any) -> None:
        raise _Stopped(signum)

    previous = {s: signal.signal(s, stop) for s in (signal.SIGTERM, signal.SIGINT)}
    try:
        crawl = service.tick()
        service.stopping = True  # this crawl only
        if crawl is None:
            logger.info("nothing due")
            return EXIT_OK
        report = service.wait_crawl()
    except _Stopped as stopped:
        logger.info("%s received: stopping", signal.Signals(stopped.args[0]).name)
        return EXIT_OK  # the caller stops the crawl and releases the lease
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
    if report is None or report.outcome != "finished" or (report.returncode or 0) < 0:
        return EXIT_ERROR  # timed out or killed
    return report.returncode or EXIT_OK  # the crawl's own code (3: every source failed ...)


def _run(service: Service, lease: ServiceLeaseKeeper, path: str, options: ServeOptions) -> int:
    signals = _Signals()
    lost = threading.Event()

    def heartbeat() -> None:
        try:
            held = lease.renew()
        except Exception:
            logger.exception("the lease heartbeat failed; retrying")
            return
        if not held:
            logger.error("the service lease was taken over by another process: stopping")
            lost.set()
            signals.wake.set()

    scheduler = BackgroundScheduler(timezone="UTC")
    logging.getLogger("apscheduler").setLevel(logging.WARNING)
    grace = int(service.config.service.misfire_grace.total_seconds())
    job_options: dict[str, Any] = {
        "replace_existing": True,
        "coalesce": True,
        "max_instances": 1,
        "misfire_grace_time": grace,
    }
    tick = options.tick or service.config.service.tick
    scheduler.add_job(
        service.tick,
        IntervalTrigger(seconds=tick.total_seconds()),
        id=TICK_JOB,
        name="gather due sources into one crawl",
        next_run_time=service.clock(),
        **job_options,
    )
    scheduler.add_job(
        heartbeat,
        IntervalTrigger(seconds=options.lease_renew.total_seconds()),
        id=LEASE_JOB,
        name="renew the service lease",
        **job_options,
    )
    signals.install()
    scheduler.start()
    logger.info(
        "polling %d source(s); a tick every %s, crawls limited to %s",
        len(service.planner),
        tick,
        service.config.service.crawl_time_limit,
    )
    try:
        while signals.stop is None and not lost.is_set():
            signals.wake.wait()
            signals.wake.clear()
            if signals.reload:
                signals.reload = False
                _reload(service, scheduler, path, options)
    finally:
        scheduler.shutdown(wait=True)
        signals.restore()
    if signals.stop is not None:
        logger.info("%s received: stopping", signal.Signals(signals.stop).name)
    return EXIT_ERROR if lost.is_set() else EXIT_OK


def _reload(
    service: Service, scheduler: BackgroundScheduler, path: str, options: ServeOptions
) -> None:
    try:
        config = load_config(path)
    except ConfigError as exc:
        for line in str(exc).splitlines():
            logger.error("configuration not reloaded: %s", line)
        logger.error("keeping the previous configuration")
        return
    if config.database != service.config.database:
        logger.warning("a new database takes a restart: still serving the previous one")
        config = config.model_copy(update={"database": service.config.database})
    old_tick = service.config.service.tick
    try:
        changes = service.reload(config)
    except Exception:  # the database could not be read: the next SIGHUP tries again
        logger.exception("configuration not reloaded")
        return
    logger.info(
        "configuration reloaded: %d source(s); %d added, %d removed, %d rescheduled",
        len(service.planner),
        len(changes.added),
        len(changes.removed),
        len(changes.rescheduled),
    )
    if options.tick is None and config.service.tick != old_tick:
        scheduler.reschedule_job(
            TICK_JOB, trigger=IntervalTrigger(seconds=config.service.tick.total_seconds())
        )
    scheduler.wakeup()
