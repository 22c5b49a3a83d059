"""What runs beside the service's crawls (``ServeOptions.companions``): the alert dispatcher,
which delivers an alert within about a second of its article being stored, and the health
watch, which re-judges every source now and then (a source turns ``quiet`` without any run
failing). Both read the configuration in force, reloaded on SIGHUP.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence
from datetime import UTC, datetime

from sqlalchemy.engine import Engine

from crawler.alerts.dispatch import DispatchLoop
from crawler.config import Config
from crawler.crawl.health import judge_sources
from crawler.service.serve import CompanionFactory

logger = logging.getLogger(__name__)

DISPATCH_INTERVAL = 1.0
"""Seconds between two looks at the outbox (a crawl's end looks at once)."""
HEALTH_INTERVAL = 15 * 60.0
"""Seconds between two judgements of every source's health."""


class HealthWatch:
    """A thread judging every configured source's health every ``interval`` seconds."""

    def __init__(
        self, engine: Engine, get_config: Callable[[], Config], interval: float = HEALTH_INTERVAL
    ) -> None:
        self.engine = engine
        self.get_config = get_config
        self.interval = interval
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        if self._thread is None or not self._thread.is_alive():
            self._stop.clear()
            self._thread = threading.Thread(target=self._run, name="forumwatch-health", daemon=True)
            self._thread.start()

    def wake(self) -> None:
        """Crawls judge their own sources as they close: nothing to do."""

    def stop(self, timeout: float | None = 30.0) -> bool:
        self._stop.set()
        if self._thread is None:
            return True
        self._thread.join(timeout)
        return not self._thread.is_alive()

    def judge(self) -> None:
        """Judge every configured source now (changes are logged and alerted as recorded)."""
        judge_sources(self.engine, self.get_config(), datetime.now(UTC))

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            try:
                self.judge()
            except Exception:  # noqa: BLE001 - a database hiccup must not end the watch
                logger.exception("source health not judged; trying again later")


def alert_dispatcher(engine: Engine, get_config: Callable[[], Config]) -> DispatchLoop:
    return DispatchLoop(engine, get_config(), interval=DISPATCH_INTERVAL, get_config=get_config)


def health_watch(engine: Engine, get_config: Callable[[], Config]) -> HealthWatch:
    return HealthWatch(engine, get_config)


def default_companions(alerts: bool = True) -> Sequence[CompanionFactory]:
    """The service's companions: the health watch, and the alert dispatcher unless ``alerts``
    is off."""
    return [health_watch, alert_dispatcher] if alerts else [health_watch]
