"""Bad configuration, missing databases, crawl exit codes and a whole ``.db`` file (issue 7,
items 10, 11 and 13).

* Item 10: configuration that used to pass validation and then break every source (a port out of
  range, a broken IPv6 literal, ``DOWNLOAD_DELAY: fast``, a misspelt setting, an unusable database
  URL, a file that is no YAML mapping) makes every command exit 1 with one ``error:`` line per
  problem naming the file, the field and the problem; no traceback, no database file or folder.
  Commands that only read never create a database: on a missing one they say so and exit 1.
* Item 11: a crawl in which every source failed (connection refused, a host that never resolves)
  exits 3; one source read and one dead exits 0; a crawl stopped by SIGTERM exits 143.
* Item 13: after a crawl the SQLite ``.db`` file alone, copied without its ``-wal``/``-shm``,
  holds every article.
"""

from __future__ import annotations

import shutil
import signal
import sqlite3
import time
from pathlib import Path
from typing import Any

import pytest
import yaml
from typer.testing import CliRunner

from crawler.cli import app
from tests.faults.hostile import (
    HostileSite,
    Reply,
    crawl,
    free_port,
    html,
    source,
    write_config,
)
from tests.fixtures_sites import run_cli, start_cli

runner = CliRunner()
# Dead sources fail fast: no retries, short timeouts (an unresolvable name must not hang).
DEAD_FAST = {"RETRY_TIMES": 0, "DNS_TIMEOUT": 5, "DOWNLOAD_TIMEOUT": 5}
ARTICLE = """<html><head><meta charset="utf-8"><title>{title}_示例市人民政府</title></head>
<body><h1>{title}</h1><div class="info">发布时间：2024年11月0{n}日 来源：示例市</div>
<div class="content"><p>11月3日，{title}，来自全国的三百余位嘉宾参加论坛，围绕城市更新展开讨论。</p>
<p>论坛上多位市长作主旨演讲，发布了城市更新白皮书，并签约了一批城市更新项目，第{n}号。</p></div>
</body></html>"""
TITLES = ["2024城市更新论坛在杭州举行", "第三届市长论坛在成都开幕", "城市投资大会在武汉召开"]


def _site_routes() -> dict[str, Any]:
    links = "".join(
        f'<li><a href="/news/t2024110{n}_{n}.html">{title}</a> 2024-11-0{n}</li>'
        for n, title in enumerate(TITLES, start=1)
    )
    routes: dict[str, Any] = {
        "/robots.txt": lambda _r: Reply(404, b"", content_type="text/plain"),
        "/news/": lambda _r: html(f"<html><body><ul class='list'>{links}</ul></body></html>"),
    }
    for n, title in enumerate(TITLES, start=1):
        page = ARTICLE.format(title=title, n=n)
        routes[f"/news/t2024110{n}_{n}.html"] = lambda _r, page=page: html(page)
    return routes


def _config(tmp_path: Path, **fields: Any) -> Path:
    """A config with one source; ``fields`` replace top-level keys (``None`` leaves one out)."""
    data: dict[str, Any] = {
        "database": f"sqlite:///{tmp_path / 'data' / 'fw.db'}",
        "allow_private_networks": True,
        "sources": [source("s", "http://127.0.0.1:8080/news/")],
    }
    data.update(fields)
    path = tmp_path / "forumwatch.yaml"
    path.write_text(yaml.safe_dump({k: v for k, v in data.items() if v is not None}), "utf-8")
    return path


def _error_lines(text: str) -> list[str]:
    return [line for line in text.splitlines() if line.startswith("error:")]


BAD_CONFIGS: list[tuple[str, dict[str, Any], str, str]] = [
    (
        "port out of range",
        {"sources": [source("s", "http://127.0.0.1:99999/news/")]},
        "sources[0] (id=s).start_urls[0]",
        "port '99999' is not a number from 1 to 65535",
    ),
    (
        "broken IPv6 literal",
        {"sources": [source("s", "http://[::1/news/")]},
        "sources[0] (id=s).start_urls[0]",
        "Invalid IPv6 URL",
    ),
    (
        "junk after an IPv6 literal",
        {"sources": [source("s", "http://[::1]x/")]},
        "sources[0] (id=s).start_urls[0]",
        "malformed host:port",
    ),
    (
        "whitespace in a start URL",
        {"sources": [source("s", "http://example.com/a b/")]},
        "sources[0] (id=s).start_urls[0]",
        "whitespace",
    ),
    (
        "DOWNLOAD_DELAY: fast",
        {"scrapy_settings": {"DOWNLOAD_DELAY": "fast"}},
        "scrapy_settings.DOWNLOAD_DELAY",
        "expected a number, got 'fast'",
    ),
    (
        "misspelt setting",
        {"scrapy_settings": {"DOWNLOAD_DELAYY": 1}},
        "scrapy_settings.DOWNLOAD_DELAYY",
        "unknown setting; did you mean DOWNLOAD_DELAY?",
    ),
    (
        "a flag that is no flag",
        {"scrapy_settings": {"ROBOTSTXT_OBEY": "sometimes"}},
        "scrapy_settings.ROBOTSTXT_OBEY",
        "expected true or false",
    ),
    (
        "zero concurrency",
        {"scrapy_settings": {"CONCURRENT_REQUESTS_PER_DOMAIN": 0}},
        "scrapy_settings.CONCURRENT_REQUESTS_PER_DOMAIN",
        "must be greater than 0",
    ),
    (
        "an unsupported database",
        {"database": "mysql://fw:s3cret@127.0.0.1/fw"},
        "database",
        "unsupported database 'mysql'",
    ),
    ("not a database URL", {"database": "notaurl"}, "database", "is not a database URL"),
    ("sources not a list", {"sources": {"s": "http://x/"}}, "sources", "valid list"),
    ("settings not a mapping", {"scrapy_settings": [1, 2]}, "scrapy_settings", "dictionary"),
]


@pytest.mark.parametrize(
    ("fields", "field", "problem"),
    [case[1:] for case in BAD_CONFIGS],
    ids=[case[0] for case in BAD_CONFIGS],
)
@pytest.mark.parametrize("command", ["crawl", "articles"])
def test_bad_config_is_one_error_line(
    tmp_path: Path, fields: dict[str, Any], field: str, problem: str, command: str
) -> None:
    """Item 10. Scenario: a config with one bad value, for ``crawl`` and for ``articles``.
    Pass: exit 1, exactly one ``error:`` line naming the file, the field and the problem, no
    traceback, no password echoed, and no database file or folder created."""
    config = _config(tmp_path, **fields)
    result = runner.invoke(app, ["--config", str(config), command])
    assert result.exit_code == 1, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    lines = _error_lines(result.stderr)
    assert len(lines) == 1, result.stderr
    assert f"{config}: {field}: " in lines[0] and problem in lines[0], lines[0]
    assert "Traceback" not in result.output and "s3cret" not in result.output
    assert sorted(p.name for p in tmp_path.iterdir()) == ["forumwatch.yaml"]


def test_issue_reproduction_through_the_real_cli(tmp_path: Path) -> None:
    """Item 10, the issue's own reproduction in a child process. Scenario: a start URL with
    port 99999, another with a broken IPv6 literal and ``DOWNLOAD_DELAY: fast``. Pass: exit 1
    before any crawl (no summary, no source marked), one ``error:`` line per problem, no
    traceback, no database."""
    config = _config(
        tmp_path,
        scrapy_settings={"DOWNLOAD_DELAY": "fast"},
        sources=[source("s", "http://127.0.0.1:99999/", "http://[::1/")],
    )
    result = crawl(config, timeout=60)
    assert result.returncode == 1, result.stdout + result.stderr
    lines = _error_lines(result.stderr)
    assert len(lines) == 3, result.stderr
    assert any("start_urls[0]" in line and "99999" in line for line in lines)
    assert any("start_urls[1]" in line and "IPv6" in line for line in lines)
    assert any("scrapy_settings.DOWNLOAD_DELAY" in line for line in lines)
    assert "Traceback" not in result.stderr and "crawl finished" not in result.stdout
    assert not (tmp_path / "data").exists()


def test_unusable_database_is_one_error_line(tmp_path: Path) -> None:
    """Item 10. Scenario: the SQLite database lies under a regular file (its folder cannot be
    created), then is a folder, then a file that is no database. Pass: each gives exit 1 with
    one ``error:`` line naming the problem and no traceback; nothing is created."""
    blocker = tmp_path / "blocker"
    blocker.write_text("not a folder", "utf-8")
    not_a_db = tmp_path / "notes.txt"
    not_a_db.write_text("hello " * 1000, "utf-8")
    cases = [
        (f"sqlite:///{blocker / 'sub' / 'fw.db'}", "cannot be created"),
        (f"sqlite:///{tmp_path}", "is a folder"),
        (f"sqlite:///{not_a_db}", "file is not a database"),
    ]
    for url, problem in cases:
        config = _config(tmp_path, database=url)
        for command in ("crawl", "articles"):
            result = runner.invoke(app, ["--config", str(config), command])
            assert result.exit_code == 1, (url, command, result.output)
            lines = _error_lines(result.stderr)
            assert len(lines) == 1 and problem in lines[0], (url, command, result.stderr)
            assert "Traceback" not in result.output
    assert blocker.read_text("utf-8") == "not a folder"
    assert not_a_db.read_text("utf-8") == "hello " * 1000


def test_database_url_from_the_environment_is_checked(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Item 10. Scenario: ``$FORUMWATCH_DATABASE_URL=notaurl`` over a good file. Pass: exit 1,
    one ``error:`` line naming the variable and the problem."""
    config = _config(tmp_path)
    monkeypatch.setenv("FORUMWATCH_DATABASE_URL", "notaurl")
    result = runner.invoke(app, ["--config", str(config), "articles"])
    assert result.exit_code == 1
    lines = _error_lines(result.stderr)
    assert len(lines) == 1 and "$FORUMWATCH_DATABASE_URL" in lines[0], result.stderr
    assert "not a database URL" in lines[0]


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        (None, "cannot read"),  # the config path is a folder
        (b"sources: [\n", "not valid YAML: line 2"),
        (b"\xff\xfe garbage", "cannot read"),
        (b"- just\n- a list\n", "top level must be a mapping"),
        (b"a: !!python/object/apply:os.system ['true']\n", "not valid YAML"),
        (b"sources:\n- id: s\n  name: S\n  start_urls: 5\n", "start_urls: Input should be"),
    ],
    ids=["folder", "yaml", "not utf-8", "list", "python tag", "wrong type"],
)
def test_unreadable_or_malformed_config_file(
    tmp_path: Path, content: bytes | None, problem: str
) -> None:
    """Item 10. Scenario: the config path is a folder, or the file is not YAML, not UTF-8, not a
    mapping, carries a Python tag, or gives a field the wrong type. Pass: exit 1, one ``error:``
    line naming the file and the problem, no traceback."""
    path = tmp_path / "forumwatch.yaml"
    if content is None:
        path.mkdir()
    else:
        path.write_bytes(content)
    result = runner.invoke(app, ["--config", str(path), "articles"])
    assert result.exit_code == 1, result.output
    lines = _error_lines(result.stderr)
    assert len(lines) == 1 and str(path) in lines[0] and problem in lines[0], result.stderr
    assert "Traceback" not in result.output


@pytest.mark.parametrize(
    "args",
    [
        ["articles"],
        ["show", "1"],
        ["stories"],
        ["explain", "1"],
        ["sources"],
        ["stories", "--rebuild"],
        ["reextract"],
    ],
    ids=lambda args: "-".join(args),
)
def test_read_commands_never_create_a_database(tmp_path: Path, args: list[str]) -> None:
    """Item 10. Scenario: a command that works on stored data, with a database path (and folder)
    that does not exist. Pass: exit 1 with ``error: no database at <path>; run 'forumwatch
    crawl' first``, and neither the file nor its folder is created."""
    database = tmp_path / "data" / "x.db"
    config = _config(tmp_path, database=f"sqlite:///{database}")
    result = runner.invoke(app, ["--config", str(config), *args])
    assert result.exit_code == 1, result.output
    lines = _error_lines(result.stderr)
    assert lines == [f"error: no database at {database}; run 'forumwatch crawl' first"]
    assert not (tmp_path / "data").exists()


def test_every_source_failed_exits_3(tmp_path: Path) -> None:
    """Item 11. Scenario: two sources, one on a closed loopback port (connection refused), one
    on a host that never resolves (``.invalid``). Pass: the crawl ends within its time bound,
    both are ``failed`` in the summary, exit 3 with ``error: every source failed``."""
    config = write_config(
        tmp_path,
        [
            source("refused", f"http://127.0.0.1:{free_port()}/news/"),
            source("nodns", "http://nonexistent.invalid/news/"),
        ],
        settings=DEAD_FAST,
    )
    started = time.monotonic()
    result = crawl(config, timeout=90)
    assert result.returncode == 3, result.stdout + result.stderr
    assert time.monotonic() - started < 90
    assert "error: every source failed" in result.stderr
    summary = result.stdout.split("crawl finished", 1)[1]
    assert summary.count("failed") >= 2


def test_one_source_read_one_dead_exits_0(tmp_path: Path) -> None:
    """Item 11. Scenario: one source is a working site, the other a closed port. Pass: exit 0
    (a partial outage is a normal day), the dead source is listed as failed."""
    with HostileSite(_site_routes()) as site:
        config = write_config(
            tmp_path,
            [
                source("alive", site.url("/news/")),
                source("dead", f"http://127.0.0.1:{free_port()}/news/"),
            ],
            settings=DEAD_FAST,
        )
        result = crawl(config, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "failed dead:" in result.stdout
    assert not _error_lines(result.stderr)


def test_sigterm_stops_the_crawl_with_exit_143(tmp_path: Path) -> None:
    """Item 11. Scenario: the only list page answers slowly (a body dripped over ~20 s); the
    crawl gets SIGTERM once the request arrived. Pass: the crawl stops gracefully within 60 s
    with exit 143 (128 + SIGTERM), not 0."""
    drip = Reply(body=iter([b"<html><body>"] + [b" "] * 40), pause=0.5)
    with HostileSite({"/news/": lambda _r: drip}) as site:
        config = write_config(tmp_path, [source("slow", site.url("/news/"))], settings=DEAD_FAST)
        process = start_cli(config, "crawl", log=tmp_path / "crawl.log")
        try:
            deadline = time.monotonic() + 60
            while "/news/" not in site.paths():
                assert process.poll() is None, (tmp_path / "crawl.log").read_text()
                assert time.monotonic() < deadline, "the list page was never requested"
                time.sleep(0.05)
            process.send_signal(signal.SIGTERM)
            code = process.wait(timeout=60)
        finally:
            if process.poll() is None:
                process.kill()
                process.wait(timeout=10)
    log = (tmp_path / "crawl.log").read_text(errors="replace")
    assert code == 128 + signal.SIGTERM, log
    assert "stopped by SIGTERM" in log


def test_crawled_database_file_is_whole_without_its_wal(tmp_path: Path) -> None:
    """Item 13. Scenario: crawl a site of three articles into SQLite, then copy only the ``.db``
    file (not ``-wal``/``-shm``) elsewhere and open the copy. Pass: the copy holds all three
    articles, the same as the original, and the write-ahead log was emptied on exit."""
    with HostileSite(_site_routes()) as site:
        config = write_config(tmp_path, [source("site", site.url("/news/"))])
        result = crawl(config, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
    database = tmp_path / "fw.db"
    copy = tmp_path / "copy" / "fw.db"
    copy.parent.mkdir()
    shutil.copyfile(database, copy)
    connection = sqlite3.connect(copy)
    try:
        tables = {row[0] for row in connection.execute("SELECT name FROM sqlite_master")}
        assert "articles" in tables, f"the copied file has no tables: {sorted(tables)}"
        titles = {row[0] for row in connection.execute("SELECT title FROM articles")}
    finally:
        connection.close()
    assert titles == set(TITLES)
    wal = database.with_name("fw.db-wal")
    assert not wal.exists() or wal.stat().st_size == 0


def test_reextract_leaves_a_whole_database_file(tmp_path: Path) -> None:
    """Item 13. Scenario: after a crawl, ``reextract`` rewrites every article. Pass: it exits 0
    and leaves no pages in the write-ahead log, so the ``.db`` file alone is current. (This held
    before the fix too, through SQLite's checkpoint when the last connection closes; the test
    keeps it so for every command that writes, not only ``crawl``.)"""
    with HostileSite(_site_routes()) as site:
        config = write_config(tmp_path, [source("site", site.url("/news/"))])
        assert crawl(config, timeout=120).returncode == 0
    result = run_cli(config, "reextract", "--workers", "1", timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
    wal = tmp_path / "fw.db-wal"
    assert not wal.exists() or wal.stat().st_size == 0
