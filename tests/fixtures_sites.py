"""Pytest plugin: the fixture sites of ``tests/sites/`` served on loopback, and crawl-test helpers.

``demo_sites`` (session) starts every site once, each on its own port, and yields site name -> base
URL; ``demo_site_servers`` yields the ``SiteServer`` objects, whose ``hits()`` show what was
requested (e.g. that nothing under a robots-disallowed path was fetched). ``site_expectations(name)``
reads a site's ``_expected.yaml``; ``demo_config(...)`` writes a forumwatch config for some sites.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path

import pytest

from tests.sites.demo import write_demo_config
from tests.sites.server import SiteServer, running_sites, site_expectations, site_names

__all__ = [
    "demo_config",
    "demo_site_servers",
    "demo_sites",
    "expected_urls",
    "site_expectations",
    "site_names",
]


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
