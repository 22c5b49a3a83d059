"""The crawl child: one ``forumwatch crawl`` process for all the sources due in a tick.

Scrapy's reactor cannot be restarted in one process, so every crawl is a child process; the due
sources of a tick go to one child together (their ids in a file, one a line: a command line
would not hold thousands). The child runs in its own session (a Ctrl-C at the service's terminal
reaches the service only, which then stops the child gracefully) and watches the service: if
the service dies, the child exits within a second (``--parent-pid``), so no orphan crawl goes on
beside the service that takes over. The child's own output goes nowhere but its errors go to
the service's stderr; what the crawl did is read from its crawl runs.
"""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

logger = logging.getLogger(__name__)

_START_SLACK = timedelta(seconds=2)
"""Runs of the child started at most this long before the service's clock said it started."""


def crawl_command(config_path: str, sources_file: Path, *, log_level: str = "WARNING") -> list[str]:
    """The command line of a crawl child for the sources listed in ``sources_file``. The child
    delivers no alerts: the service's dispatcher does, within a second of each being stored."""
    return [
        sys.executable,
        "-m",
        "crawler.cli",
        "--config",
        config_path,
        "crawl",
        "--sources-from",
        str(sources_file),
        "--parent-pid",
        str(os.getpid()),
        "--log-level",
        log_level,
        "--no-alerts",
    ]


@dataclass
class CrawlChild:
    """A running crawl child and what it crawls."""

    process: subprocess.Popen[bytes]
    source_ids: list[str]
    started_at: datetime
    """Wall-clock start (UTC, a little early): the child's runs start after it."""
    started: float = field(default_factory=time.monotonic)
    folder: Path | None = None
    ended: float | None = None
    """When the child exited (monotonic), once the waiter thread saw it."""

    @property
    def pid(self) -> int:
        return self.process.pid

    def elapsed(self) -> float:
        return (self.ended or time.monotonic()) - self.started

    def watch(self, on_exit: Callable[[], None] | None) -> None:
        """Note the child's exit the moment it happens, then call ``on_exit`` (the service
        reaps it and starts what is due without waiting for its next tick)."""

        def waiter() -> None:
            self.process.wait()
            self.ended = time.monotonic()
            if on_exit is not None:
                try:
                    on_exit()
                except Exception:
                    logger.exception("handling the end of a crawl failed")

        threading.Thread(target=waiter, name=f"crawl-{self.pid}", daemon=True).start()

    def poll(self) -> int | None:
        return self.process.poll()

    def wait(self, timeout: float | None = None) -> int | None:
        """The exit code, or None if it still runs after ``timeout`` seconds."""
        try:
            return self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            return None

    def stop(self, grace: float) -> bool:
        """Ask the crawl to stop, wait up to ``grace`` seconds, then kill its process group;
        returns whether it had to be killed.

        A first SIGTERM lets Scrapy close cleanly (its runs recorded as 'interrupted'), which
        waits for the requests in flight; if it has not ended after half the grace, a second
        SIGTERM makes Scrapy stop at once (its runs left open: the caller closes them)."""
        for share in (0.5, 0.5):
            if self.poll() is not None:
                break
            with contextlib.suppress(ProcessLookupError):
                self.process.send_signal(signal.SIGTERM)
            self.wait(grace * share)
        killed = self.poll() is None
        self.kill()
        return killed

    def kill(self) -> None:
        """SIGKILL the child and everything left in its process group (extraction workers)."""
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.process.pid, signal.SIGKILL)
        self.wait(30)
        self.cleanup()

    def cleanup(self) -> None:
        if self.folder is not None:
            for path in self.folder.iterdir():
                path.unlink(missing_ok=True)
            with contextlib.suppress(OSError):
                self.folder.rmdir()
            self.folder = None


def start_crawl(
    config_path: str,
    source_ids: Sequence[str],
    *,
    on_exit: Callable[[], None] | None = None,
    log_level: str = "WARNING",
) -> CrawlChild:
    """Start one crawl child for ``source_ids``; ``on_exit`` is called (from a waiter thread)
    as soon as it exits."""
    folder = Path(tempfile.mkdtemp(prefix="forumwatch-serve-"))
    sources_file = folder / "sources.txt"
    sources_file.write_text("".join(f"{sid}\n" for sid in source_ids), encoding="utf-8")
    started_at = datetime.now(UTC) - _START_SLACK
    process = subprocess.Popen(
        crawl_command(config_path, sources_file, log_level=log_level),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        start_new_session=True,
    )
    child = CrawlChild(process, list(source_ids), started_at, folder=folder)
    child.watch(on_exit)
    return child
