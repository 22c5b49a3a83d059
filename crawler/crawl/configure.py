"""The forumwatch configuration as Scrapy settings, however a crawl starts.

``apply_config`` is the one translation of a config into settings: the config's ``scrapy_settings``
over ``settings.py``, then its ``database`` and ``allow_private_networks``. ``forumwatch crawl``
calls it with the config it has loaded (``crawler.crawl.runner.build_settings``). Scrapy's own
tools (``scrapy crawl forumwatch``, ``scrapy shell``, scrapyd, scrapy-redis workers) go through
``ConfigAddon``, enabled in ``settings.py``'s ``ADDONS``: before any crawler is made, it loads the
file named by the ``FORUMWATCH_CONFIG`` setting (``-s FORUMWATCH_CONFIG=...``), else
``$FORUMWATCH_CONFIG``, else ``./forumwatch.yaml`` and applies it to the process's settings, so the
DNS resolver, logging and every crawler see it. ``crawl_config(crawler)`` is the config a crawl's
spider builds its sources from, loaded once per crawler.

Config values are set at ``CONFIG_PRIORITY``, above ``settings.py`` and below the command line
(``scrapy crawl -s NAME=VALUE`` wins). Two rules hold whatever sets what: the downloader is
``PoliteDownloader`` or a subclass (Scrapy's own lets one host take every queued request when
``DOWNLOAD_DELAY`` is 0, see ``crawler.crawl.downloader``), and the network guard stays on unless
named with ``None``.
"""

from __future__ import annotations

import os
from typing import Any

from scrapy.settings import SETTINGS_PRIORITIES, BaseSettings
from scrapy.utils.misc import load_object

from crawler.config import CONFIG_ENV, Config, config_path, load_config
from crawler.crawl.downloader import PoliteDownloader

CONFIG_SETTING = "FORUMWATCH_CONFIG"
CONFIG_ADDON = "crawler.crawl.configure.ConfigAddon"
NETWORK_GUARD = "crawler.crawl.middlewares.netguard.NetworkGuardMiddleware"
CONFIG_PRIORITY = (SETTINGS_PRIORITIES["project"] + SETTINGS_PRIORITIES["spider"]) // 2
"""Above settings.py (``project``), below spider ``custom_settings`` and the command line."""
# Settings holding component mappings: a config's mapping is merged over ours.
_COMPONENT_MAPPINGS = (
    "DOWNLOADER_MIDDLEWARES",
    "SPIDER_MIDDLEWARES",
    "ITEM_PIPELINES",
    "EXTENSIONS",
    "DOWNLOAD_HANDLERS",
    "ADDONS",
)
_ON_CRAWLER = "_forumwatch_config"


def apply_config(settings: BaseSettings, config: Config) -> None:
    """Apply ``config`` to Scrapy ``settings``.

    Component mappings in the config (``DOWNLOADER_MIDDLEWARES``, ``ITEM_PIPELINES``...) are merged
    over ours rather than replacing them, so adding a middleware keeps our retry, robots and
    network-guard components; naming one with ``None`` switches it off.
    """
    overrides = dict(config.scrapy_settings)
    for key in _COMPONENT_MAPPINGS:
        if isinstance(overrides.get(key), dict):
            overrides[key] = {**settings.getdict(key), **overrides[key]}
    settings.update(overrides, priority=CONFIG_PRIORITY)
    settings.set("FORUMWATCH_DATABASE_URL", config.database, priority=CONFIG_PRIORITY)
    settings.set(
        "FORUMWATCH_ALLOW_PRIVATE_NETWORKS", config.allow_private_networks, priority=CONFIG_PRIORITY
    )
    # The two rules below hold over the command line too.
    if not _is_polite(settings.get("DOWNLOADER")):
        settings.set("DOWNLOADER", PoliteDownloader, priority="cmdline")
    middlewares = settings.getdict("DOWNLOADER_MIDDLEWARES")
    if NETWORK_GUARD not in middlewares:
        settings.set(
            "DOWNLOADER_MIDDLEWARES", {**middlewares, NETWORK_GUARD: 50}, priority="cmdline"
        )


def _is_polite(downloader: object) -> bool:
    try:
        cls = load_object(downloader) if isinstance(downloader, str) else downloader
    except (ImportError, NameError, ValueError):
        return False
    return isinstance(cls, type) and issubclass(cls, PoliteDownloader)


class ConfigAddon:
    """Scrapy add-on applying the forumwatch config file to the settings of Scrapy's tools.

    With no file named (neither the setting nor the environment variable) and no
    ``./forumwatch.yaml``, it does nothing: ``scrapy list`` works anywhere, and a crawl's spider
    then fails naming the missing file. A file named but missing or invalid is a ``ConfigError``.
    """

    @classmethod
    def update_pre_crawler_settings(cls, settings: BaseSettings) -> None:
        named = settings.get(CONFIG_SETTING) or os.environ.get(CONFIG_ENV)
        path = config_path(named)
        if not named and not path.exists():
            return
        apply_config(settings, load_config(path))


def crawl_config(crawler: Any) -> Config:
    """The config of ``crawler``'s crawl: the one given to ``use_config``, else the file named by
    its settings (as ``ConfigAddon`` finds it), loaded once and kept on the crawler."""
    config: Config | None = getattr(crawler, _ON_CRAWLER, None)
    if config is None:
        config = load_config(crawler.settings.get(CONFIG_SETTING))
        use_config(crawler, config)
    return config


def use_config(crawler: Any, config: Config) -> None:
    """Make ``config`` the config of ``crawler``'s crawl (``forumwatch crawl`` has loaded it)."""
    setattr(crawler, _ON_CRAWLER, config)
