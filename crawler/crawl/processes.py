"""Processes: who runs a crawl, whether a recorded crawl process still runs, and worker
processes that die with their parent.

A crawl run row records its process as host name, pid and a start stamp (``/proc``'s boot id and
the process's start time in clock ticks, on Linux), so the next crawl on that host can tell a
killed crawl from a live one even when the pid has been given to another process since.
``die_with_parent`` is for worker processes (extraction, reextract): on Linux the kernel kills
them when their parent dies (``PR_SET_PDEATHSIG``), and everywhere a watcher thread exits them
within a second of it. No settings read.
"""

from __future__ import annotations

import ctypes
import logging
import os
import signal
import socket
import sys
import threading
from dataclasses import dataclass
from pathlib import Path

logger = logging.getLogger(__name__)

_PR_SET_PDEATHSIG = 1  # <linux/prctl.h>
_PROC = Path("/proc")
_WATCH_INTERVAL = 1.0


@dataclass(frozen=True, slots=True)
class ProcessStamp:
    """A process as a crawl run records it."""

    host: str
    pid: int
    start: str | None
    """Boot id and start time, or None where ``/proc`` cannot tell."""


def this_process() -> ProcessStamp:
    """The stamp of the calling process."""
    pid = os.getpid()
    return ProcessStamp(host=socket.gethostname(), pid=pid, start=start_stamp(pid))


def start_stamp(pid: int) -> str | None:
    """``<boot id>:<start time in clock ticks>`` of a process, or None (not Linux, or gone)."""
    fields = _stat_fields(pid)
    if fields is None or len(fields) < 20:
        return None
    try:
        boot_id = (_PROC / "sys/kernel/random/boot_id").read_text().strip()
    except OSError:
        boot_id = ""
    return f"{boot_id}:{fields[19]}"  # field 22 of /proc/PID/stat


def is_running(pid: int, start: str | None) -> bool:
    """Whether the process recorded as ``pid`` (started at ``start``, when known) still runs on
    this host: a zombie or a later process given the same pid does not count."""
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass  # exists, another user's
    fields = _stat_fields(pid)
    if fields is None:
        return True  # no /proc to ask (not Linux, or hidden): the signal check says it exists
    if fields[0] in ("Z", "X"):
        return False
    return start is None or start_stamp(pid) == start


def _stat_fields(pid: int) -> list[str] | None:
    """``/proc/PID/stat`` from field 3 (state) on; the command name may hold spaces and
    parentheses, so the split starts after its last ')'."""
    try:
        text = (_PROC / str(pid) / "stat").read_text(errors="replace")
    except OSError:
        return None
    return text[text.rfind(")") + 1 :].split()


def die_with_parent(
    parent_pid: int, *, use_prctl: bool = True, interval: float = _WATCH_INTERVAL
) -> None:
    """Make this process end when ``parent_pid`` (its parent) does, however the parent ends.

    Linux: the kernel sends SIGKILL when the parent thread that started this process ends
    (workers are started from the main thread, which lives as long as the process). Everywhere:
    a daemon thread checks the parent every ``interval`` seconds and exits the process at once
    when it is gone (this process re-parented).
    """
    if use_prctl and sys.platform.startswith("linux"):
        _set_parent_death_signal(signal.SIGKILL)
    if os.getppid() != parent_pid:  # the parent died before the signal was armed
        os._exit(1)
    watcher = threading.Thread(
        target=_watch_parent, args=(parent_pid, interval), name="parent-watch", daemon=True
    )
    watcher.start()


def _set_parent_death_signal(signum: int) -> None:
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        result = libc.prctl(_PR_SET_PDEATHSIG, ctypes.c_ulong(signum), 0, 0, 0)
    except (OSError, AttributeError):
        return
    if result != 0:
        logger.warning("prctl(PR_SET_PDEATHSIG) failed: errno %s", ctypes.get_errno())


def _watch_parent(parent_pid: int, interval: float) -> None:
    stop = threading.Event()
    while not stop.wait(interval):
        if os.getppid() != parent_pid:
            os._exit(1)
