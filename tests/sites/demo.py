"""``make demo``: serve every fixture site on loopback, crawl them with the forumwatch CLI, show results.

Run from the repository root as ``python -m tests.sites.demo``. Writes ``demo-data/forumwatch.yaml``
(one source per site), starts from an empty ``demo-data/forumwatch.db``, then runs ``crawl``,
``sources``, ``articles --limit 20``, ``stories --min-sources 2`` and a second ``crawl`` that should store nothing new. Exits
with the first failing step's code.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

from tests.sites.server import serve_sites, site_expectations

REPO_ROOT = Path(__file__).resolve().parents[2]
DEMO_DIR = Path("demo-data")
DEMO_CONFIG = DEMO_DIR / "forumwatch.yaml"
DEMO_DB_FILE = DEMO_DIR / "forumwatch.db"
DEMO_DB_URL = f"sqlite:///{DEMO_DB_FILE.as_posix()}"
# No politeness delays against our own loopback servers.
DEMO_SCRAPY_SETTINGS: dict[str, Any] = {"DOWNLOAD_DELAY": 0, "AUTOTHROTTLE_ENABLED": False}

STEPS: list[tuple[str, list[str]]] = [
    ("Crawl every site", ["crawl"]),
    ("Sources", ["sources"]),
    ("Latest articles", ["articles", "--limit", "20"]),
    ("Stories carried by several sites", ["stories", "--min-sources", "2"]),
    ("Crawl again: nothing new should be stored", ["crawl"]),
]


def source_entry(name: str, base_url: str) -> dict[str, Any]:
    """One ``sources`` entry for a fixture site: its list page plus any feed or sitemap."""
    expected = site_expectations(name)
    return {
        "id": name,
        "name": expected["name"],
        "start_urls": [base_url + path for path in expected["start_paths"]],
    }


def write_demo_config(urls: Mapping[str, str], path: Path, db_url: str) -> Path:
    """Write a forumwatch config with one source per site (name -> base URL); return the path."""
    config = {
        "database": db_url,
        # the demo sites are served on 127.0.0.1
        "allow_private_networks": True,
        "scrapy_settings": dict(DEMO_SCRAPY_SETTINGS),
        "sources": [source_entry(name, url) for name, url in urls.items()],
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump(config, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


def cli_command() -> list[str]:
    """The forumwatch CLI of the running interpreter's environment."""
    script = Path(sys.executable).with_name("forumwatch")
    if script.exists():
        return [str(script)]
    return [sys.executable, "-m", "crawler.cli"]


def _heading(text: str) -> None:
    print(f"\n=== {text} ===", flush=True)


def _remove_database(db_file: Path) -> None:
    for suffix in ("", "-wal", "-shm", "-journal"):
        db_file.with_name(db_file.name + suffix).unlink(missing_ok=True)


def run_demo(root: Path = REPO_ROOT) -> int:
    """Serve the sites and run the CLI steps from ``root``; the first failing exit code, or 0."""
    with serve_sites() as urls:
        _heading("Fixture sites")
        for name, url in urls.items():
            print(f"  {name:12} {url}/", flush=True)
        config = write_demo_config(urls, root / DEMO_CONFIG, DEMO_DB_URL)
        _remove_database(root / DEMO_DB_FILE)
        print(f"  config: {DEMO_CONFIG}  database: {DEMO_DB_URL}", flush=True)
        for title, args in STEPS:
            _heading(title)
            command = [*cli_command(), "--config", str(config.relative_to(root)), *args]
            result = subprocess.run(command, cwd=root, check=False)
            if result.returncode != 0:
                print(f"demo: step '{title}' failed (exit {result.returncode})", file=sys.stderr)
                return result.returncode
    _heading("Done")
    return 0


def main() -> int:
    try:
        return run_demo()
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
