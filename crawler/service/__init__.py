"""The forumwatch service (``forumwatch serve``): crawl every source on its schedule, one crawl
child per tick for all due sources, one service per database.

One responsibility per module:

- ``planner``: which sources are due at a time (pure: jitter, coalescing, misfire grace, never
  two crawls of a source, batching);
- ``triggers``: the trigger of a source (its ``schedule``, the default, ``adaptive``);
- ``crawls``: the crawl child process (start, stop, kill its process group);
- ``loop``: a tick (reap or time out the running crawl, start one for the due sources), reload;
- ``lease``: the database lease that keeps a second service out;
- ``serve``: APScheduler, signals and the lease around it all, and ``main`` for
  ``python -m scheduler``.

Nothing happens on import.
"""

from __future__ import annotations

import logging
import sys

LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


def configure_logging(level: str = "INFO") -> None:
    """The service's log on stderr, one line per event."""
    logging.basicConfig(level=level, format=LOG_FORMAT, stream=sys.stderr)


def main(config_path: str | None = None) -> None:
    """Run the service until stopped (``python -m scheduler [CONFIG]``); exits with its code."""
    from crawler.config import ConfigError, load_config
    from crawler.service.serve import ServeOptions, serve
    from storage.db import StorageError, close_engines, get_engine, upgrade_schema

    configure_logging()
    try:
        config = load_config(config_path)
        engine = get_engine(config.database)
        upgrade_schema(engine)
    except (ConfigError, StorageError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        sys.exit(1)
    try:
        code = serve(engine, config, config_path, ServeOptions())
    finally:
        close_engines()
    sys.exit(code)
