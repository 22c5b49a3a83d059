"""Pytest plugin: the fixture sites of ``tests/sites/`` served on loopback, and crawl-test helpers.

``demo_sites`` (session) starts every site once, each on its own port, and yields site name -> base
URL; ``demo_site_servers`` yields the ``SiteServer`` objects, whose ``hits()`` show what was
requested (e.g. that nothing under a robots-disallowed path was fetched). ``site_expectations(name)``
reads a site's ``_expected.yaml``; ``demo_config(...)`` writes a forumwatch config for some sites.

For end-to-end crawls: ``run_cli`` / ``start_cli`` run the real ``forumwatch`` CLI in a child process
(a Twisted reactor runs once per process), ``parse_crawl_summary`` reads the table ``crawl`` prints,
``update_scrapy_settings`` adjusts a written config and ``snapshot_hits`` copies what each server saw.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.sites.demo import REPO_ROOT, cli_command, write_demo_config
from tests.sites.server import Hit, SiteServer, running_sites, site_expectations, site_names

__all__ = [
    "FAST_RETRIES",
    "cli_env",
    "demo_config",
    "demo_site_servers",
    "demo_sites",
    "expected_urls",
    "parse_crawl_summary",
    "run_cli",
    "site_expectations",
    "site_names",
    "snapshot_hits",
    "start_cli",
    "update_scrapy_settings",
]

CLI_TIMEOUT = 240.0
# Retries keep their count (RETRY_TIMES) but not the seconds of backoff between tries.
FAST_RETRIES = {"RETRY_BACKOFF_BASE": 0.05, "RETRY_BACKOFF_MAX": 0.1}
# Wide enough that rich never wraps the summary table or the failure lines (URLs included).
CLI_COLUMNS = "400"


@pytest.fixture(scope="session")
def demo_site_servers() -> Iterator[dict[str, SiteServer]]:
    """Every fixture site, started once per session: site name -> running server."""
    with running_sites() as servers:
        yield servers


@pytest.fixture(scope="session")
def demo_sites(demo_site_servers: dict[str, SiteServer]) -> dict[str, str]:
    """Every fixture site, started once per session: site name -> base URL (no trailing slash)."""
    return {name: server.base_url for name, server in demo_site_servers.items()}


def demo_config(
    tmp_path: Path,
    demo_sites: Mapping[str, str],
    db_url: str,
    names: Iterable[str] | None = None,
) -> Path:
    """Write ``tmp_path/forumwatch.yaml`` with one source per site (all, or ``names``)."""
    chosen = list(names) if names is not None else list(demo_sites)
    return write_demo_config(
        {name: demo_sites[name] for name in chosen}, tmp_path / "forumwatch.yaml", db_url
    )


def expected_urls(name: str, base_url: str, key: str = "articles") -> set[str]:
    """Absolute URLs of one ``_expected.yaml`` list (articles, not_articles, attachments, ...)."""
    entries = site_expectations(name)[key]
    return {base_url + (entry["path"] if isinstance(entry, dict) else entry) for entry in entries}


def update_scrapy_settings(config: Path, **overrides: Any) -> Path:
    """Merge ``overrides`` into the ``scrapy_settings`` of a written config file."""
    data = yaml.safe_load(config.read_text(encoding="utf-8"))
    data.setdefault("scrapy_settings", {}).update(overrides)
    config.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return config


def cli_env() -> dict[str, str]:
    """The environment for CLI child processes: no config or database overrides, wide output."""
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("FORUMWATCH_CONFIG", "FORUMWATCH_DATABASE_URL")
    }
    env.update(COLUMNS=CLI_COLUMNS, PYTHONUNBUFFERED="1")
    return env


def _command(config: Path, args: Iterable[str]) -> list[str]:
    return [*cli_command(), "--config", str(config), *args]


def run_cli(
    config: Path, *args: str, timeout: float = CLI_TIMEOUT
) -> subprocess.CompletedProcess[str]:
    """Run ``forumwatch --config CONFIG ARGS...`` to the end in a child process."""
    return subprocess.run(
        _command(config, args),
        cwd=REPO_ROOT,
        env=cli_env(),
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def start_cli(config: Path, *args: str, log: Path) -> subprocess.Popen[bytes]:
    """Start ``forumwatch --config CONFIG ARGS...`` in its own session (so its extraction workers
    can be killed with it), its output going to ``log``."""
    with log.open("wb") as out:
        return subprocess.Popen(
            _command(config, args),
            cwd=REPO_ROOT,
            env=cli_env(),
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )


def parse_crawl_summary(stdout: str) -> dict[str, dict[str, str]]:
    """The final ``crawl finished`` table: source (or ``all``) -> column header -> cell text."""
    lines = stdout.splitlines()
    start = max(
        (i for i, line in enumerate(lines) if line.startswith("crawl finished")), default=-1
    )
    if start < 0:
        raise AssertionError(f"no crawl summary in the output:\n{stdout}")
    headers: list[str] = []
    rows: dict[str, dict[str, str]] = {}
    for line in lines[start + 1 :]:
        if "┃" in line:
            headers = [cell.strip() for cell in line.strip().strip("┃").split("┃")]
        elif "│" in line:
            cells = [cell.strip() for cell in line.strip().strip("│").split("│")]
            rows[cells[0]] = dict(zip(headers, cells, strict=True))
        elif line.startswith("└"):
            break
    return rows


def snapshot_hits(servers: Mapping[str, SiteServer]) -> dict[str, list[Hit]]:
    """What each site server has answered so far, by site name."""
    return {name: server.hits() for name, server in servers.items()}
