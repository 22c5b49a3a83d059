"""The config as Scrapy settings (``crawler.crawl.configure``): one translation for
``forumwatch crawl`` and Scrapy's own tools, config values between ``settings.py`` and the command
line, the add-on finding the file as the CLI does."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from scrapy.settings import Settings
from scrapy.utils.test import get_crawler

from crawler.config import ConfigError, parse_config
from crawler.crawl.configure import (
    CONFIG_ADDON,
    NETWORK_GUARD,
    ConfigAddon,
    apply_config,
    crawl_config,
    use_config,
)
from crawler.crawl.downloader import PoliteDownloader
from crawler.crawl.runner import build_settings

DB = "sqlite:///elsewhere.db"


def project_settings(**cmdline: object) -> Settings:
    """settings.py, plus ``scrapy -s`` options."""
    settings = Settings()
    settings.setmodule("settings", priority="project")
    settings.setdict(cmdline, priority="cmdline")
    return settings


def write(tmp_path: Path, **config: object) -> Path:
    path = tmp_path / "fw.yaml"
    path.write_text(yaml.safe_dump({"sources": [], **config}), encoding="utf-8")
    return path


@pytest.fixture(autouse=True)
def _no_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("FORUMWATCH_CONFIG", raising=False)
    monkeypatch.delenv("FORUMWATCH_DATABASE_URL", raising=False)
    monkeypatch.chdir(tmp_path)  # no ./forumwatch.yaml


def test_config_values_override_settings_py_and_yield_to_the_command_line() -> None:
    config = parse_config(
        {
            "database": DB,
            "allow_private_networks": True,
            "scrapy_settings": {"DOWNLOAD_DELAY": 0, "CONCURRENT_REQUESTS": 8},
        }
    )
    settings = project_settings(CONCURRENT_REQUESTS=4)
    apply_config(settings, config)
    assert settings["FORUMWATCH_DATABASE_URL"] == DB
    assert settings.getbool("FORUMWATCH_ALLOW_PRIVATE_NETWORKS") is True
    assert settings.getfloat("DOWNLOAD_DELAY") == 0
    assert settings.getint("CONCURRENT_REQUESTS") == 4  # -s wins


def test_the_polite_downloader_and_the_guard_stay_whatever_sets_what() -> None:
    config = parse_config(
        {"scrapy_settings": {"DOWNLOADER_MIDDLEWARES": {"x.Y": 10}, "EXTENSIONS": {"x.Z": 1}}}
    )
    settings = project_settings(DOWNLOADER="scrapy.core.downloader.Downloader")
    apply_config(settings, config)
    assert settings["DOWNLOADER"] is PoliteDownloader
    middlewares = settings.getdict("DOWNLOADER_MIDDLEWARES")
    assert middlewares["x.Y"] == 10 and middlewares[NETWORK_GUARD] == 50
    extensions = settings.getdict("EXTENSIONS")
    assert extensions["x.Z"] == 1 and "crawler.crawl.extensions.runs.RunRecorder" in extensions


@pytest.mark.parametrize("how", ["setting", "environment"])
def test_the_addon_applies_the_named_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, how: str
) -> None:
    path = write(tmp_path, database=DB, allow_private_networks=True)
    if how == "setting":
        settings = project_settings(FORUMWATCH_CONFIG=str(path))
    else:
        monkeypatch.setenv("FORUMWATCH_CONFIG", str(path))
        settings = project_settings()
    ConfigAddon.update_pre_crawler_settings(settings)
    assert settings["FORUMWATCH_DATABASE_URL"] == DB
    assert settings.getbool("FORUMWATCH_ALLOW_PRIVATE_NETWORKS") is True


def test_the_addon_reads_forumwatch_yaml_in_the_current_directory(tmp_path: Path) -> None:
    write(tmp_path, database=DB).rename(tmp_path / "forumwatch.yaml")
    settings = project_settings()
    ConfigAddon.update_pre_crawler_settings(settings)
    assert settings["FORUMWATCH_DATABASE_URL"] == DB


def test_the_addon_does_nothing_without_a_config_and_fails_on_a_missing_named_one() -> None:
    settings = project_settings()
    ConfigAddon.update_pre_crawler_settings(settings)
    assert settings["FORUMWATCH_DATABASE_URL"] == "sqlite:///data/forumwatch.db"
    with pytest.raises(ConfigError, match="not found"):
        ConfigAddon.update_pre_crawler_settings(project_settings(FORUMWATCH_CONFIG="nope.yaml"))


def test_the_cli_applies_its_config_itself_with_the_addon_off() -> None:
    settings = build_settings(parse_config({"database": DB}))
    assert settings.getdict("ADDONS")[CONFIG_ADDON] is None
    assert settings["FORUMWATCH_DATABASE_URL"] == DB


def test_a_crawl_loads_its_config_once_unless_given_one(tmp_path: Path) -> None:
    path = write(tmp_path, database=DB)
    crawler = get_crawler(settings_dict={"FORUMWATCH_CONFIG": str(path)})
    loaded = crawl_config(crawler)
    assert loaded.database == DB and crawl_config(crawler) is loaded
    given = parse_config({"database": "sqlite:///given.db"})
    use_config(crawler, given)
    assert crawl_config(crawler) is given


def test_no_open_control_ports_in_a_crawl() -> None:
    """Scrapy's telnet console and its 2.19 remote-control server (which runs code sent to a local
    port) stay off in every crawl, whatever Scrapy's defaults."""
    from crawler.config import parse_config
    from crawler.crawl.runner import build_settings

    settings = build_settings(parse_config({"sources": []}))
    assert settings.getbool("TELNETCONSOLE_ENABLED") is False
    assert settings.getbool("REMOTE_CONTROL_ENABLED") is False
