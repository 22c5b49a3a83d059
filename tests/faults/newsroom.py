"""A plausible little news site for the fault suite, and what a crawl left in the database.

``article_page(n)`` and ``list_page(links)`` build pages that forumwatch's heuristics read as a
Chinese government news column and its articles (distinct text per ``n``, so no two are one story).
``news_routes(base, count)`` serves ``count`` such articles under ``base`` with robots.txt open;
hostile routes are added next to them. ``crawl_measured`` runs the real CLI like ``hostile.crawl``
and also returns the peak RSS of the crawl process (its extraction workers included), read from
``wait4``. ``stored``/``runs`` read the articles and ``crawl_runs`` rows a crawl left.
"""

from __future__ import annotations

import os
import signal
import subprocess
import tempfile
import time
from collections import Counter
from collections.abc import Iterable, Mapping
from contextlib import suppress
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, text
from sqlalchemy.pool import NullPool

from tests.faults.hostile import Handler, Reply, html
from tests.fixtures_sites import cli_env
from tests.sites.demo import REPO_ROOT, cli_command

ROBOTS_OPEN = "User-agent: *\nAllow: /\n"
_TOPICS = ("城市更新", "产城融合", "绿色低碳", "智慧城市", "文化旅游", "城投转型", "新质生产力")


def article_path(n: int, prefix: str = "/news") -> str:
    """The path of article ``n``: a dated ``content_<id>.html`` page, as TRS-like sites use."""
    return f"{prefix}/2024/11/content_{1000 + n}.html"


def article_title(n: int) -> str:
    return f"第{n}届城市发展论坛{_TOPICS[n % len(_TOPICS)]}分论坛在荆门举行"


def article_text(n: int) -> str:
    """Six paragraphs unique to ``n`` (numbers and topics vary), long enough to be a body."""
    topic = _TOPICS[n % len(_TOPICS)]
    return "".join(
        f"<p>第{n}届城市发展论坛第{i}场活动中，{n * 7 + i}位代表围绕{topic}与"
        f"{_TOPICS[(n + i) % len(_TOPICS)]}展开交流，编号{n}-{i}的议题形成{i + n % 5}项务实建议。</p>"
        for i in range(6)
    )


def article_page(n: int, *, head: str = "<meta charset='utf-8'>", extra_body: str = "") -> str:
    """Article ``n``; ``head`` replaces the charset declaration, ``extra_body`` ends the text."""
    title = article_title(n)
    return (
        f"<!DOCTYPE html><html><head>{head}<title>{title}</title></head>"
        f"<body><div class='article'><h1>{title}</h1>"
        f"<div class='info'>发布时间：2024-11-{1 + n % 28:02d} 来源：荆门市人民政府</div>"
        f"<div class='content'>{article_text(n)}{extra_body}</div></div></body></html>"
    )


def list_page(links: Iterable[tuple[str, str]], *, extra: str = "") -> str:
    """A news column linking ``(href, headline)`` pairs, plus ``extra`` markup after the list."""
    items = "".join(
        f"<li><a href='{href}'>{text}</a><span>2024-11-04</span></li>" for href, text in links
    )
    return (
        "<!DOCTYPE html><html><head><meta charset='utf-8'><title>新闻中心</title></head><body>"
        f"<div class='main'><ul class='news-list'>{items}</ul>{extra}</div></body></html>"
    )


def article_links(numbers: Iterable[int], prefix: str = "/news") -> list[tuple[str, str]]:
    return [(article_path(n, prefix), article_title(n)) for n in numbers]


def page(body: str, **headers: str) -> Handler:
    """A route answering ``body`` as UTF-8 HTML."""
    return lambda _request: html(body, **headers)


def news_routes(
    numbers: Iterable[int], *, prefix: str = "/news", extra_links: Iterable[tuple[str, str]] = ()
) -> dict[str, Handler]:
    """robots.txt (open), the column ``prefix/`` linking articles ``numbers`` (then
    ``extra_links``), and those articles."""
    numbers = list(numbers)
    routes: dict[str, Handler] = {
        "/robots.txt": lambda _r: Reply(body=ROBOTS_OPEN.encode(), content_type="text/plain"),
        f"{prefix}/": page(list_page([*article_links(numbers, prefix), *extra_links])),
    }
    for n in numbers:
        routes[article_path(n, prefix)] = page(article_page(n))
    return routes


# -- running the CLI with its peak memory --------------------------------------------------------


@dataclass
class MeasuredRun:
    returncode: int
    stdout: str
    stderr: str
    seconds: float
    max_rss_mb: float
    """Peak resident memory of the crawl process or any process it waited for."""
    log: str
    """Scrapy's log at INFO level."""

    def assert_clean(self) -> None:
        """No traceback and no locking error anywhere in the output or the log."""
        for name, output in (("stdout", self.stdout), ("stderr", self.stderr), ("log", self.log)):
            for bad in ("Traceback", "database is locked", "Spider error", "Error processing"):
                assert bad not in output, f"{bad!r} in the crawl's {name}:\n{output[-4000:]}"


def crawl_measured(config: Path, *args: str, timeout: float = 120) -> MeasuredRun:
    """``forumwatch --config CONFIG crawl ARGS...`` in its own session, bounded in time (the
    whole session is killed if it overruns, and the test fails), its log at INFO level kept."""
    log = config.with_name(f"crawl-{time.monotonic_ns()}.log")
    command = [*cli_command(), "--config", str(config), "crawl", *args]
    command += ["--log-level", "INFO", "--log-file", str(log)]
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        started = time.monotonic()
        process = subprocess.Popen(
            command, cwd=REPO_ROOT, env=cli_env(), stdout=out, stderr=err, start_new_session=True
        )
        try:
            status, usage = _wait(process.pid, started + timeout)
        finally:
            with suppress(ProcessLookupError):  # anything the crawl left behind in its session
                os.killpg(process.pid, signal.SIGKILL)
        process.returncode = os.waitstatus_to_exitcode(status)
        seconds = time.monotonic() - started
        out.seek(0)
        err.seek(0)
        return MeasuredRun(
            returncode=process.returncode,
            stdout=out.read().decode("utf-8", "replace"),
            stderr=err.read().decode("utf-8", "replace"),
            seconds=seconds,
            max_rss_mb=usage.ru_maxrss / 1024,  # KiB on Linux
            log=log.read_text(encoding="utf-8", errors="replace") if log.exists() else "",
        )


def _wait(pid: int, deadline: float) -> tuple[int, Any]:
    while True:
        reaped, status, usage = os.wait4(pid, os.WNOHANG)
        if reaped:
            return status, usage
        if time.monotonic() > deadline:
            os.killpg(pid, signal.SIGKILL)
            _, status, usage = os.wait4(pid, 0)
            raise AssertionError(f"the crawl did not end in time (killed, status {status})")
        time.sleep(0.05)


# -- what a crawl left in the database -----------------------------------------------------------


def query(db_url: str, sql: str, **params: Any) -> list[tuple[Any, ...]]:
    engine = create_engine(db_url, poolclass=NullPool)
    try:
        with engine.connect() as connection:
            return [tuple(row) for row in connection.execute(text(sql), params)]
    finally:
        engine.dispose()


def stored_urls(db_url: str) -> Counter[str]:
    """Canonical URL -> how many article rows carry it (every count should be 1)."""
    return Counter(url for (url,) in query(db_url, "SELECT canonical_url FROM articles"))


def stored_titles(db_url: str) -> dict[str, str | None]:
    return dict(query(db_url, "SELECT canonical_url, title FROM articles"))  # type: ignore[arg-type]


def runs(db_url: str, source_id: str | None = None) -> list[Mapping[str, Any]]:
    """The ``crawl_runs`` rows (oldest first), as mappings."""
    sql = "SELECT * FROM crawl_runs"
    if source_id is not None:
        sql += " WHERE source_id = :source"
    engine = create_engine(db_url, poolclass=NullPool)
    try:
        with engine.connect() as connection:
            result = connection.execute(text(sql + " ORDER BY id"), {"source": source_id})
            return [dict(row._mapping) for row in result]
    finally:
        engine.dispose()
