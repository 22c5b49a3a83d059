"""Service benchmark: the routine bench's 1,000 unchanged sources polled through ``forumwatch
serve`` for two poll cycles, next to one plain routine crawl of the same sources.

The sites, the config and the priming are ``bench/routine.py``'s (imported, not copied). Two
databases are primed alike: one for a plain ``forumwatch crawl`` (the baseline, measured as
``bench/routine.py`` measures it), one for the service. The service polls every source on an
interval set from the baseline's wall time (long enough that the second cycle ends before a
third is due), so it runs exactly two ticks that crawl: all sources, never crawled, due at
start; all due again one interval later. It is stopped (SIGTERM) once its second crawl has
finished. Measured: wall seconds per poll cycle (the service's own figure for each crawl child)
and CPU seconds per poll cycle (user+sys of the service and all its children over the whole run,
start-up and idle time included, divided by two), and their ratio to the plain crawl. Target:
the service costs no more than 1.2x a plain routine crawl per poll.

Prints a table and one JSON line; exits 1 when a correctness check fails (``--strict``: also
when the target is missed).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import re
import signal
import sys
import threading
from pathlib import Path
from typing import Any

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent))

import routine  # noqa: E402
from httpserve import ServerProcess  # noqa: E402
from procs import (  # noqa: E402
    RunResult,
    child_env,
    exit_on_sigterm,
    forumwatch_command,
    process_cpu,
    raise_fd_limit,
    run_in_scratch,
    run_measured,
)

TARGET_RATIO = 1.2
CYCLES = 2
_FINISHED = re.compile(r"crawl of (\d+) source\(s\) finished in ([\d.]+) s \(exit (-?\d+)\)")
_STARTED = re.compile(r"service started: pid (\d+)")


def _stop_after_cycles(log: Path, cycles: int, halt: threading.Event) -> None:
    """Watch the service's log; SIGTERM it once ``cycles`` crawls have finished."""
    pid = None
    while not halt.wait(0.1):
        text = log.read_text(errors="replace") if log.exists() else ""
        if pid is None and (found := _STARTED.search(text)):
            pid = int(found.group(1))
        if pid is not None and len(_FINISHED.findall(text)) >= cycles:
            os.kill(pid, signal.SIGTERM)
            return


def measure_serve(
    folder: Path, raw: dict[str, Any], interval: int, timeout: float
) -> tuple[RunResult, list[tuple[int, float, int]]]:
    """Run ``serve`` until it has crawled ``CYCLES`` times; (its run, per crawl: sources,
    seconds, exit code)."""
    config = folder / "serve.yaml"
    raw = {
        **raw,
        "service": {"default_schedule": f"{interval}s", "jitter": "1s", "tick": "2s"},
    }
    config.write_text(yaml.safe_dump(raw, allow_unicode=True))
    command = [forumwatch_command(), "--config", str(config), "serve"]
    halt = threading.Event()
    watcher = threading.Thread(
        target=_stop_after_cycles, args=(folder / "serve.stderr", CYCLES, halt), daemon=True
    )
    watcher.start()
    try:
        run = run_measured(command, timeout=timeout, out_dir=folder, name="serve", env=child_env())
    finally:
        halt.set()
    crawls = [
        (int(n), float(s), int(code))
        for n, s, code in _FINISHED.findall(run.stderr.read_text(errors="replace"))
    ]
    return run, crawls


def run(args: argparse.Namespace, folder: Path) -> int:
    sources, manifest, _ = routine.build_sites(folder / "sites", args.sources, args.seed)
    count = len(sources)
    addresses = [source.address for source in sources]
    with ServerProcess(manifest, addresses, log=folder / "server.log") as server:
        plain_db = f"sqlite:///{folder / 'plain.db'}"
        serve_db = f"sqlite:///{folder / 'serve.db'}"
        plain_raw = routine.config_mapping(sources, server.port, plain_db)
        serve_raw = routine.config_mapping(sources, server.port, serve_db)
        routine.prime(plain_db, plain_raw, sources, server.port)
        routine.prime(serve_db, serve_raw, sources, server.port)
        plain_config = folder / "plain.yaml"
        plain_config.write_text(yaml.safe_dump(plain_raw, allow_unicode=True))

        print(f"{count} sources primed; a plain routine crawl ...", flush=True)
        before, server_cpu = server.stats(), process_cpu(server.pid)
        plain = run_measured(
            [forumwatch_command(), "--config", str(plain_config), "crawl"],
            timeout=args.timeout,
            out_dir=folder,
            name="plain",
            env=child_env(),
        )
        plain_server = routine._delta(server.stats(), before)
        interval = max(30, math.ceil(plain.wall * 1.5) + 10)
        print(
            f"plain crawl {plain.wall:.1f} s, {plain.cpu:.1f} CPU-s; serve polling every "
            f"{interval} s for {CYCLES} cycles ...",
            flush=True,
        )
        before = server.stats()
        served, crawls = measure_serve(folder, serve_raw, interval, args.timeout + 3 * interval)
        serve_server = routine._delta(server.stats(), before)
        server_cpu = process_cpu(server.pid) - server_cpu
    plain_db_after = routine.stored_after(plain_db)
    serve_db_after = routine.stored_after(serve_db)

    problems = []
    if not plain.ok:
        problems.append(f"plain crawl failed (exit {plain.returncode})\n{plain.tail()}")
    if served.returncode != 0 or served.timed_out:
        problems.append(f"serve failed (exit {served.returncode})\n{served.tail()}")
    if len(crawls) < CYCLES or any(n != count or code != 0 for n, _, code in crawls[:CYCLES]):
        problems.append(f"serve crawls: {crawls}, expected {CYCLES} of {count} sources, exit 0")
    if serve_server["kinds"].get("list", 0) != CYCLES * count:
        problems.append(
            f"serve fetched {serve_server['kinds'].get('list', 0)} list pages, "
            f"expected {CYCLES * count}"
        )
    for name, stats in (("plain", plain_server), ("serve", serve_server)):
        if stats["kinds"].get("article", 0):
            problems.append(f"{name}: ARTICLE PAGES REQUESTED: {stats['kinds']['article']}")
    if serve_db_after["runs"] != CYCLES * count or serve_db_after["statuses"] != {
        "ok": CYCLES * count
    }:
        problems.append(f"serve runs: {serve_db_after['runs']} {serve_db_after['statuses']}")

    walls = [seconds for _, seconds, _ in crawls[:CYCLES]]
    wall_per_cycle = sum(walls) / len(walls) if walls else float("nan")
    cpu_per_cycle = served.cpu / CYCLES
    ratios = {"wall": wall_per_cycle / plain.wall, "cpu": cpu_per_cycle / plain.cpu}
    met = {key: value <= TARGET_RATIO for key, value in ratios.items()}
    print(
        f"\n== serve: {count} unchanged sources, {CYCLES} poll cycles "
        f"(interval {interval} s), load average {os.getloadavg()[0]:.2f}"
    )
    print(f"  {'measure':<22}{'plain crawl':>12}{'serve/cycle':>13}{'ratio':>8}   target")
    print(
        f"  {'wall':<22}{plain.wall:>10.1f} s{wall_per_cycle:>11.1f} s"
        f"{ratios['wall']:>8.2f}   <= {TARGET_RATIO} {'ok' if met['wall'] else 'MISSED'}"
    )
    print(
        f"  {'CPU (all processes)':<22}{plain.cpu:>10.1f} s{cpu_per_cycle:>11.1f} s"
        f"{ratios['cpu']:>8.2f}   <= {TARGET_RATIO} {'ok' if met['cpu'] else 'MISSED'}"
    )
    print(
        f"  serve process itself: {served.cpu_main:.1f} CPU-s over {served.wall:.0f} s; "
        f"crawls: {[f'{s:.1f} s' for s in walls]}; runs {serve_db_after['statuses']}; "
        f"list pages plain {plain_server['kinds'].get('list', 0)}, "
        f"serve {serve_server['kinds'].get('list', 0)}; server {server_cpu:.1f} CPU-s"
    )
    for problem in problems:
        print(f"\n!!!!! {problem}", file=sys.stderr)
    result = {
        "bench": "serve",
        "sources": count,
        "cycles": CYCLES,
        "interval": interval,
        "plain": {"wall": plain.wall, "cpu": plain.cpu, "db": plain_db_after},
        "serve": {
            "wall_per_cycle": wall_per_cycle,
            "cpu_per_cycle": cpu_per_cycle,
            "cpu_total": served.cpu,
            "cpu_service_process": served.cpu_main,
            "crawls": crawls,
            "db": serve_db_after,
        },
        "ratios": ratios,
        "targets_met": met,
        "failures": [problem.splitlines()[0] for problem in problems],
    }
    print(json.dumps(result, default=str, ensure_ascii=False))
    return 1 if problems or (args.strict and not all(met.values())) else 0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sources", type=int, default=1000, help="sites (default 1000)")
    parser.add_argument("--keep", action="store_true", help="keep the temp dir")
    parser.add_argument("--timeout", type=float, default=600.0, help="seconds for a crawl")
    parser.add_argument("--seed", type=int, default=2025)
    parser.add_argument("--strict", action="store_true", help="exit 1 when a target is missed")
    args = parser.parse_args()
    args.sources = max(1, min(args.sources, routine.MAX_SOURCES))
    exit_on_sigterm()
    raise_fd_limit()
    run_in_scratch("fw-serve-", args.keep, lambda folder: run(args, folder))


if __name__ == "__main__":
    main()
