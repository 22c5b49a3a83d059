"""The forumwatch service: one APScheduler, one job per source, each crawl in a child process.

A first version (the scheduler issue will extend it): every source gets a job
``crawl:<source id>`` on its ``schedule`` (hourly when it has none) (explicit id, ``replace_existing``, ``max_instances=1``, ``coalesce``, a
generous ``misfire_grace_time``) whose target runs ``forumwatch crawl <id>`` as a child process,
since Scrapy's reactor cannot be restarted in one process. Schedules: ``30m``, ``2h``, ``1d`` or a
five-field cron expression. Nothing happens on import; ``python -m scheduler`` (the entry point
at the repository's top) or ``forumwatch schedule`` runs it. Reads no Scrapy settings: the
configuration file, found as ``crawler.config`` finds it, gives the sources and their schedules.
"""

from __future__ import annotations

import logging
import subprocess
import sys

from apscheduler.schedulers.blocking import BlockingScheduler

from crawler.config import Config, load_config
from crawler.schedules import parse_schedule

logger = logging.getLogger(__name__)

DEFAULT_SCHEDULE = "1h"
MISFIRE_GRACE_SECONDS = 600


def run_source_crawl(config_path: str | None, source_id: str) -> int:
    """Job target: crawl one source in a child process; returns its exit code."""
    command = [sys.executable, "-m", "crawler.cli"]
    if config_path:
        command += ["--config", config_path]
    command += ["crawl", source_id]
    logger.info("starting crawl of %s", source_id)
    completed = subprocess.run(command, check=False, stdout=subprocess.DEVNULL)
    if completed.returncode != 0:
        logger.error("crawl of %s exited with %s", source_id, completed.returncode)
    return completed.returncode


def build_scheduler(config: Config, config_path: str | None) -> BlockingScheduler:
    """A scheduler with one job per source (sources without a schedule use DEFAULT_SCHEDULE)."""
    scheduler = BlockingScheduler(timezone="UTC")
    for source in config.sources:
        scheduler.add_job(
            run_source_crawl,
            trigger=parse_schedule(source.schedule or DEFAULT_SCHEDULE),
            args=[config_path, source.id],
            id=f"crawl:{source.id}",
            name=f"crawl {source.name}",
            replace_existing=True,
            max_instances=1,
            coalesce=True,
            misfire_grace_time=MISFIRE_GRACE_SECONDS,
        )
    return scheduler


def main(config_path: str | None = None) -> None:
    """Run the service until interrupted."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    config = load_config(config_path)
    scheduler = build_scheduler(config, config_path)
    logger.info("scheduling %d source(s)", len(config.sources))
    try:
        scheduler.start()
    except (KeyboardInterrupt, SystemExit):
        scheduler.shutdown(wait=False)
