"""Running a measured child process: wall time, CPU time and peak memory of its whole tree.

The child runs in its own process group so it and every descendant (Scrapy's extraction
workers, reextract's pool) can be stopped together on timeout, Ctrl-C or failure. Memory is the
summed RSS of the child and all its live descendants, read from ``/proc`` every 0.2 s; CPU is
user+sys from ``getrusage(RUSAGE_CHILDREN)`` deltas (descendants count once their parents
reaped them), cross-checked by summing per-process ``/proc/PID/stat`` times seen while sampling.
"""

from __future__ import annotations

import contextlib
import os
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NoReturn

SAMPLE_INTERVAL = 0.2
_PAGE = os.sysconf("SC_PAGE_SIZE")
_TICKS = os.sysconf("SC_CLK_TCK")


@dataclass
class RunResult:
    """What one measured run cost."""

    command: list[str]
    returncode: int | None
    wall: float
    cpu: float
    cpu_main: float
    """CPU seconds of the child itself (sampled); ``cpu`` minus this is its descendants'."""
    peak_rss: int
    peak_processes: int
    timed_out: bool
    stdout: Path
    stderr: Path

    @property
    def ok(self) -> bool:
        return self.returncode == 0 and not self.timed_out

    def tail(self, lines: int = 15) -> str:
        text = self.stderr.read_text(errors="replace").splitlines()[-lines:]
        out = self.stdout.read_text(errors="replace").splitlines()[-lines:]
        return "\n".join(["--- stdout (tail)", *out, "--- stderr (tail)", *text])


def _stat_fields(pid: str) -> list[str] | None:
    try:
        raw = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    # comm may hold spaces and parentheses: split after the last ')'.
    return raw[raw.rfind(")") + 2 :].split()


def tree_usage(root: int) -> dict[int, tuple[int, float]]:
    """{pid: (rss bytes, cpu seconds)} for ``root`` and its live descendants."""
    parents: dict[int, int] = {}
    usage: dict[int, tuple[int, float]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        fields = _stat_fields(entry)
        if fields is None or len(fields) < 22:
            continue
        pid = int(entry)
        parents[pid] = int(fields[1])
        cpu = (int(fields[11]) + int(fields[12])) / _TICKS
        usage[pid] = (int(fields[21]) * _PAGE, cpu)
    members = {root} if root in usage else set()
    grew = True
    while grew:
        new = {pid for pid, parent in parents.items() if parent in members and pid not in members}
        members |= new
        grew = bool(new)
    return {pid: usage[pid] for pid in members}


class TreeSampler(threading.Thread):
    """Samples a process tree every 0.2 s until stopped: peak summed RSS, CPU seen per pid."""

    def __init__(self, root: int) -> None:
        super().__init__(daemon=True)
        self.root = root
        self.peak_rss = 0
        self.peak_processes = 0
        self.cpu_seen: dict[int, float] = {}
        self._halt = threading.Event()

    def run(self) -> None:
        while not self._halt.is_set():
            usage = tree_usage(self.root)
            if usage:
                self.peak_rss = max(self.peak_rss, sum(rss for rss, _ in usage.values()))
                self.peak_processes = max(self.peak_processes, len(usage))
                for pid, (_, cpu) in usage.items():
                    self.cpu_seen[pid] = max(cpu, self.cpu_seen.get(pid, 0.0))
            self._halt.wait(SAMPLE_INTERVAL)

    def stop(self) -> None:
        self._halt.set()
        self.join(timeout=5)


def process_cpu(pid: int) -> float:
    """CPU seconds (user+sys) a live process has used so far; 0.0 when it is gone."""
    fields = _stat_fields(str(pid))
    return (int(fields[11]) + int(fields[12])) / _TICKS if fields else 0.0


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def stop_group(process: subprocess.Popen[Any], grace: float = 10.0) -> None:
    """Stop a child we started, then SIGKILL whatever is left of its process group.

    The first signal goes to the child alone (SIGTERM: a graceful stop for Scrapy): signalling the
    whole group, as a terminal's Ctrl-C does, kills the extraction workers under a running crawl
    and leaves it hanging.
    """
    if process.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            process.terminate()
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(timeout=grace)
    # The group id is still ours: descendants may outlive the leader (orphaned pool workers).
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(process.pid, signal.SIGKILL)
    if process.poll() is None:
        process.wait(timeout=grace)


def run_measured(
    command: Sequence[str],
    *,
    timeout: float,
    out_dir: Path,
    name: str,
    env: dict[str, str] | None = None,
) -> RunResult:
    """Run ``command`` to the end (or ``timeout``), measuring its whole process tree."""
    stdout, stderr = out_dir / f"{name}.stdout", out_dir / f"{name}.stderr"
    cpu_before = _children_cpu()
    started = time.perf_counter()
    with stdout.open("wb") as out, stderr.open("wb") as err:
        process = subprocess.Popen(
            list(command),
            stdout=out,
            stderr=err,
            stdin=subprocess.DEVNULL,
            env=env,
            start_new_session=True,
        )
        sampler = TreeSampler(process.pid)
        sampler.start()
        timed_out = False
        try:
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            timed_out = True
            print(f"!! {name}: no end after {timeout:.0f} s; stopping it", file=sys.stderr)
        finally:
            sampler.stop()
            stop_group(process)
    wall = time.perf_counter() - started
    cpu = max(_children_cpu() - cpu_before, sum(sampler.cpu_seen.values()))
    return RunResult(
        command=list(command),
        returncode=process.returncode,
        wall=wall,
        cpu=cpu,
        cpu_main=sampler.cpu_seen.get(process.pid, 0.0),
        peak_rss=sampler.peak_rss,
        peak_processes=sampler.peak_processes,
        timed_out=timed_out,
        stdout=stdout,
        stderr=stderr,
    )


def run_in_scratch(prefix: str, keep: bool, run: Callable[[Path], int]) -> NoReturn:
    """Exit with ``run(folder)``'s code, ``folder`` a new temporary folder removed afterwards
    (kept and named when ``keep``); Ctrl-C exits 130 once servers and children are stopped."""
    folder = Path(tempfile.mkdtemp(prefix=prefix))
    try:
        code = run(folder)
    except KeyboardInterrupt:
        print("\ninterrupted: servers and child processes stopped", file=sys.stderr)
        code = 130
    finally:
        if keep:
            print(f"kept {folder}")
        else:
            shutil.rmtree(folder, ignore_errors=True)
    sys.exit(code)


def exit_on_sigterm() -> None:
    """Turn SIGTERM/SIGHUP into SystemExit (and SIGINT into KeyboardInterrupt, always) so
    ``finally`` blocks stop servers and children."""

    def _handler(signum: int, frame: Any) -> None:
        raise SystemExit(128 + signum)

    signal.signal(signal.SIGTERM, _handler)
    signal.signal(signal.SIGHUP, _handler)
    # Started in the background by a script, SIGINT arrives ignored: make Ctrl-C/kill -INT work.
    signal.signal(signal.SIGINT, signal.default_int_handler)


def raise_fd_limit() -> None:
    """Children inherit it: a thousand sites need more than 1,024 sockets."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


def forumwatch_command() -> str:
    """The CLI next to the running interpreter (the venv's), else on PATH."""
    candidate = Path(sys.executable).parent / "forumwatch"
    if candidate.exists():
        return str(candidate)
    import shutil

    found = shutil.which("forumwatch")
    if not found:
        raise SystemExit("forumwatch CLI not found: run `make install` first")
    return found


def child_env() -> dict[str, str]:
    """This environment minus forumwatch's overrides: the benchmark's temp config must win."""
    env = dict(os.environ)
    env.pop("FORUMWATCH_DATABASE_URL", None)
    env.pop("FORUMWATCH_CONFIG", None)
    return env


def profiled(command: list[str], output: Path) -> list[str]:
    """``command`` (a Python console script first) run under cProfile, writing ``output``."""
    return [sys.executable, "-m", "cProfile", "-o", str(output), *command]


def print_profile(path: Path, limit: int = 25) -> None:
    """The main process's hottest functions (by own time), for finding where CPU goes."""
    import pstats

    if not path.exists():
        print(f"(no profile written at {path})")
        return
    print("\n-- profile of the main process (cProfile slows it down; figures above are inflated)")
    pstats.Stats(str(path)).sort_stats("tottime").print_stats(limit)


def mb(value: float) -> str:
    return f"{value / 1e6:,.0f} MB"
