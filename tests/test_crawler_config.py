"""Configuration: lookup order, validation errors that name file, field and problem."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from crawler.config import ConfigError, load_config
from crawler.config_checks import known_settings

SOURCE = {"id": "a", "name": "A", "start_urls": ["http://127.0.0.1/x/"]}


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "forumwatch.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_valid_config_with_defaults(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("FORUMWATCH_DATABASE_URL", raising=False)
    path = _write(
        tmp_path, "sources:\n- id: jm\n  name: 荆门\n  start_urls: [http://127.0.0.1/x/]\n"
    )
    config = load_config(path)
    assert config.database == "sqlite:///data/forumwatch.db"
    assert config.sources[0].max_list_pages == 20


def test_env_lookup_and_database_override(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = _write(tmp_path, "database: sqlite:///a.db\nsources: []\n")
    monkeypatch.setenv("FORUMWATCH_CONFIG", str(path))
    monkeypatch.setenv("FORUMWATCH_DATABASE_URL", "sqlite:///b.db")
    assert load_config().database == "sqlite:///b.db"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("sourcez: []\n", "sourcez: unknown field"),
        (
            "sources:\n- id: a\n  name: A\n",
            "sources[0] (id=a).start_urls: required field is missing",
        ),
        ("sources:\n- id: a\n  name: A\n  start_urls: [ftp://x]\n", "is not an http(s) URL"),
        (
            "sources:\n- id: a\n  name: A\n  start_urls: [http://x/]\n  encoding: klingon\n",
            "unknown encoding",
        ),
        (
            "sources:\n- id: a\n  name: A\n  start_urls: [http://x/]\n  max_list_pages: 0\n",
            "max_list_pages",
        ),
        ("sources: [\n", "not valid YAML"),
        (
            "sources:\n- {id: a, name: A, start_urls: ['http://x/']}\n- {id: a, name: B, start_urls: ['http://y/']}\n",
            "duplicate source id 'a'",
        ),
    ],
)
def test_errors_name_file_field_and_problem(tmp_path: Path, text: str, expected: str) -> None:
    path = _write(tmp_path, text)
    with pytest.raises(ConfigError) as info:
        load_config(path)
    message = str(info.value)
    assert str(path) in message
    assert expected in message


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="not found"):
        load_config(tmp_path / "nope.yaml")


# -- start URLs, database URLs and Scrapy settings are checked before anything runs ----------


def _problems(tmp_path: Path, text: str) -> list[str]:
    """The lines of the ConfigError for ``text`` (none when it is valid)."""
    try:
        load_config(_write(tmp_path, text))
    except ConfigError as exc:
        return str(exc).splitlines()
    return []


@pytest.mark.parametrize(
    ("url", "problem"),
    [
        ("http://127.0.0.1:99999/", "port '99999' is not a number from 1 to 65535"),
        ("http://example.com:0/", "port '0'"),
        ("http://example.com:80a/", "port '80a'"),
        ("http://[::1/", "Invalid IPv6 URL"),
        ("http://[::1]x/", "malformed host:port"),
        ("http://[zz]/", "not a valid URL"),
        ("http://::1/", "malformed host:port"),
        ("http:///path", "has no host"),
        ("http:/example.com/", "is not an http(s) URL"),
        ("file:///etc/passwd", "is not an http(s) URL"),
        ("http://a..b/", "is not a valid host name"),
        ("http://exa mple.com/", "whitespace"),
        ("http://example.com/\x1b[31m", "control character"),
        ("http://user:pw@example.com/", "credentials"),
    ],
)
def test_start_urls_are_parsed(tmp_path: Path, url: str, problem: str) -> None:
    lines = _problems(tmp_path, yaml.safe_dump({"sources": [SOURCE | {"start_urls": [url]}]}))
    assert len(lines) == 1
    assert "sources[0] (id=a).start_urls[0]: " in lines[0] and problem in lines[0]
    assert "pw@" not in lines[0]


@pytest.mark.parametrize(
    "url",
    [
        "http://example.com",
        "HTTPS://Example.COM:8443/a/b?c=d#e",
        "http://[::1]:8080/",
        "http://127.0.0.1/",
        "http://政府.cn/新闻/",
        "http://www.example.com./",
        "http://example.com:/x",
    ],
)
def test_good_start_urls_pass(tmp_path: Path, url: str) -> None:
    assert _problems(tmp_path, yaml.safe_dump({"sources": [SOURCE | {"start_urls": [url]}]})) == []


@pytest.mark.parametrize(
    ("url", "problem"),
    [
        ("mysql://fw:s3cret@db/fw", "unsupported database 'mysql'"),
        ("notaurl", "is not a database URL"),
        ("postgresql+psycopg2://db/fw", "unsupported driver 'postgresql+psycopg2'"),
        ("sqlite+aiosqlite:///x.db", "unsupported driver"),
        ("postgres://fw@db/fw", "unsupported database 'postgres'"),
    ],
)
def test_database_urls_are_checked(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, url: str, problem: str
) -> None:
    monkeypatch.delenv("FORUMWATCH_DATABASE_URL", raising=False)
    lines = _problems(tmp_path, yaml.safe_dump({"database": url}))
    assert len(lines) == 1 and ": database: " in lines[0] and problem in lines[0]
    assert "s3cret" not in lines[0]


def test_sqlite_folder_that_cannot_be_created(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("FORUMWATCH_DATABASE_URL", raising=False)
    (tmp_path / "file").write_text("x", encoding="utf-8")
    lines = _problems(tmp_path, f"database: sqlite:///{tmp_path / 'file' / 'sub' / 'x.db'}\n")
    assert len(lines) == 1 and "is not a folder" in lines[0]
    assert _problems(tmp_path, f"database: sqlite:///{tmp_path}\n")[0].endswith(
        "not a database file"
    )
    ok = f"database: sqlite:///{tmp_path / 'new' / 'deeper' / 'x.db'}\n"
    assert _problems(tmp_path, ok) == []
    assert not (tmp_path / "new").exists()


def test_database_environment_override_is_checked(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FORUMWATCH_DATABASE_URL", "mysql://x/y")
    lines = _problems(tmp_path, "sources: []\n")
    assert lines == [
        "$FORUMWATCH_DATABASE_URL: unsupported database 'mysql' in 'mysql://x/y'; forumwatch "
        "stores in SQLite or PostgreSQL (use sqlite:///PATH or postgresql+psycopg://USER@HOST/DB)"
    ]


@pytest.mark.parametrize(
    ("settings", "field", "problem"),
    [
        ({"DOWNLOAD_DELAY": "fast"}, "DOWNLOAD_DELAY", "expected a number, got 'fast'"),
        ({"DOWNLOAD_DELAY": -1}, "DOWNLOAD_DELAY", "must not be negative"),
        ({"DOWNLOAD_DELAY": float("nan")}, "DOWNLOAD_DELAY", "finite"),
        ({"DOWNLOAD_DELAYY": 1}, "DOWNLOAD_DELAYY", "did you mean DOWNLOAD_DELAY?"),
        ({"download_delay": 1}, "download_delay", "did you mean DOWNLOAD_DELAY?"),
        ({"NO_SUCH_THING": 1}, "NO_SUCH_THING", "unknown setting"),
        ({"FORUMWATCH_STORE_BATCHH": 1}, "FORUMWATCH_STORE_BATCHH", "FORUMWATCH_STORE_BATCH?"),
        ({"FORUMWATCH_DATABASE_URL": "x"}, "FORUMWATCH_DATABASE_URL", "'database' field"),
        ({"ROBOTSTXT_OBEY": "maybe"}, "ROBOTSTXT_OBEY", "expected true or false"),
        ({"CONCURRENT_REQUESTS": 0}, "CONCURRENT_REQUESTS", "greater than 0"),
        ({"CONCURRENT_REQUESTS": [1]}, "CONCURRENT_REQUESTS", "expected a number"),
        ({"CONCURRENT_REQUESTS": True}, "CONCURRENT_REQUESTS", "expected a number"),
        ({"USER_AGENT": 5}, "USER_AGENT", "expected a string"),
        ({"RETRY_HTTP_CODES": [500, "x"]}, "RETRY_HTTP_CODES", "whole numbers"),
        ({"RETRY_HTTP_CODES": 500}, "RETRY_HTTP_CODES", "expected a list"),
        ({"ITEM_PIPELINES": ["a.B"]}, "ITEM_PIPELINES", "expected a mapping"),
        ({"ITEM_PIPELINES": {"a.B": "first"}}, "ITEM_PIPELINES", "order number or null"),
        ({"DOWNLOADER_MIDDLEWARES": {"not a path": 1}}, "DOWNLOADER_MIDDLEWARES", "class path"),
        ({"LOG_LEVEL": "verbose"}, "LOG_LEVEL", "expected one of"),
        ({"FORUMWATCH_EXTRACT_WORKERS": "many"}, "FORUMWATCH_EXTRACT_WORKERS", "a number"),
        # valid alone, but Scrapy's default queue refuses it and the crawl would not start
        ({"CONCURRENT_REQUESTS_PER_IP": 2}, "CONCURRENT_REQUESTS_PER_IP", "PER_DOMAIN"),
    ],
)
def test_scrapy_settings_names_and_types(
    tmp_path: Path, settings: dict[str, object], field: str, problem: str
) -> None:
    lines = _problems(tmp_path, yaml.safe_dump({"scrapy_settings": settings}))
    assert len(lines) == 1, lines
    assert f"forumwatch.yaml: scrapy_settings.{field}: " in lines[0] and problem in lines[0]


def test_per_ip_concurrency_is_accepted_with_a_queue_that_supports_it(tmp_path: Path) -> None:
    settings = {
        "CONCURRENT_REQUESTS_PER_IP": 2,
        "SCHEDULER_PRIORITY_QUEUE": "scrapy.pqueues.ScrapyPriorityQueue",
    }
    assert _problems(tmp_path, yaml.safe_dump({"scrapy_settings": settings})) == []


def test_scrapy_settings_are_coerced_like_scrapy_reads_them(tmp_path: Path) -> None:
    settings = {
        "DOWNLOAD_DELAY": "0.25",
        "CONCURRENT_REQUESTS_PER_DOMAIN": "4",
        "DOWNLOAD_TIMEOUT": 2.5,
        "DOWNLOAD_MAXSIZE": "1e6",
        "AUTOTHROTTLE_ENABLED": "false",
        "COOKIES_ENABLED": 1,
        "RETRY_HTTP_CODES": "500,503",
        "ITEM_PIPELINES": '{"crawler.crawl.pipelines.store.StorePipeline": 800}',
        "DOWNLOADER_MIDDLEWARES": {"scrapy.downloadermiddlewares.retry.RetryMiddleware": None},
        "DEPTH_PRIORITY": -1,
        "LOG_LEVEL": "info",
        "FORUMWATCH_EXTRACT_WORKERS": 0,
        "JOBDIR": "jobs/x",
        "DEFAULT_REQUEST_HEADERS": {"Accept-Language": "zh-CN"},
    }
    config = load_config(_write(tmp_path, yaml.safe_dump({"scrapy_settings": settings})))
    assert config.scrapy_settings == {
        "DOWNLOAD_DELAY": 0.25,
        "CONCURRENT_REQUESTS_PER_DOMAIN": 4,
        "DOWNLOAD_TIMEOUT": 2.5,
        "DOWNLOAD_MAXSIZE": 1_000_000,
        "AUTOTHROTTLE_ENABLED": False,
        "COOKIES_ENABLED": True,
        "RETRY_HTTP_CODES": [500, 503],
        "ITEM_PIPELINES": {"crawler.crawl.pipelines.store.StorePipeline": 800},
        "DOWNLOADER_MIDDLEWARES": {"scrapy.downloadermiddlewares.retry.RetryMiddleware": None},
        "DEPTH_PRIORITY": -1,
        "LOG_LEVEL": "INFO",
        "FORUMWATCH_EXTRACT_WORKERS": 0,
        "JOBDIR": "jobs/x",
        "DEFAULT_REQUEST_HEADERS": {"Accept-Language": "zh-CN"},
    }
    assert isinstance(config.scrapy_settings["DOWNLOAD_MAXSIZE"], int)


def test_every_problem_is_its_own_line(tmp_path: Path) -> None:
    text = yaml.safe_dump(
        {
            "database": "notaurl",
            "scrapy_settings": {"DOWNLOAD_DELAY": "fast", "DOWNLOAD_DELAYY": 1},
            "sources": [SOURCE | {"start_urls": ["http://[::1/", "http://x:99999/"]}],
        }
    )
    lines = _problems(tmp_path, text)
    fields = [line.split(": ")[1] for line in lines]
    assert sorted(fields) == [
        "database",
        "scrapy_settings.DOWNLOAD_DELAY",
        "scrapy_settings.DOWNLOAD_DELAYY",
        "sources[0] (id=a).start_urls[0]",
        "sources[0] (id=a).start_urls[1]",
    ]
    assert all(line.startswith(str(tmp_path / "forumwatch.yaml") + ": ") for line in lines)


def test_known_settings_cover_scrapy_and_the_project() -> None:
    known = known_settings()
    assert {"DOWNLOAD_DELAY", "ROBOTSTXT_OBEY", "RETRY_BACKOFF_BASE"} <= set(known)
    assert "FORUMWATCH_STORE_BATCH" in known and known["FORUMWATCH_STORE_BATCH"] == 100


@pytest.mark.parametrize(
    ("selector", "problem"),
    [("div[[[", "bad CSS selector"), ("(//a", "bad XPath"), ("re:(", "bad regular expression")],
)
def test_article_link_overrides_must_compile(tmp_path: Path, selector: str, problem: str) -> None:
    lines = _problems(tmp_path, yaml.safe_dump({"sources": [SOURCE | {"article_links": selector}]}))
    assert len(lines) == 1 and "(id=a).article_links: " in lines[0] and problem in lines[0]
