"""Checks of configuration values that would otherwise break a crawl after it started.

``url_problem`` parses a start URL (scheme, host, port range, IPv6 brackets, no whitespace or
credentials); ``database_url_problem`` accepts only the stores forumwatch supports (SQLite,
PostgreSQL through psycopg 3). ``check_scrapy_settings`` knows every Scrapy setting and every
setting of the project's ``settings.py``; it rejects unknown names (suggesting the closest known
one) and values whose type does not fit the setting's default, coercing what Scrapy's own
``getfloat``/``getbool``/``getlist``/``getdict`` would accept (``"0.5"`` for a number, ``"true"``
for a flag) so that what the crawl reads is already of the right type.
"""

from __future__ import annotations

import difflib
import importlib
import ipaddress
import json
import logging
import math
import os
import re
import unicodedata
from collections.abc import Mapping
from functools import lru_cache
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

MAX_PORT = 65_535
_NETLOC = re.compile(r"^(?:\[(?P<ip6>[^\]]*)\]|(?P<host>[^\[\]:]*))(?::(?P<port>[^:]*))?$")
_SECRET = re.compile(r"(//[^:/@]*):[^@/]*@")
_CLASS_PATH = re.compile(r"^[A-Za-z_][\w]*(\.[A-Za-z_]\w*)*$")

# Settings the CLI sets from elsewhere in the config; a scrapy_settings entry would be ignored.
_SET_BY_CLI = {
    "FORUMWATCH_DATABASE_URL": "set the top-level 'database' field instead",
    "FORUMWATCH_CONFIG": "names the config file itself (--config or $FORUMWATCH_CONFIG)",
}
# Settings Scrapy still reads but no longer lists in default_settings.
_EXTRA_KNOWN: dict[str, Any] = {"CONCURRENT_REQUESTS_PER_IP": 0, "META_COPY_WARN_SKIP_KEYS": []}
# Numeric settings a crawl cannot work with at zero (nothing would be requested, or all time out).
_POSITIVE = frozenset(
    {
        "CONCURRENT_REQUESTS",
        "CONCURRENT_REQUESTS_PER_DOMAIN",
        "CONCURRENT_ITEMS",
        "DOWNLOAD_TIMEOUT",
        "DNS_TIMEOUT",
        "AUTOTHROTTLE_TARGET_CONCURRENCY",
        "REACTOR_THREADPOOL_MAXSIZE",
        "FORUMWATCH_STORE_BATCH",
        "FORUMWATCH_STORE_INTERVAL",
        "FORUMWATCH_STALE_RUN_HOURS",
    }
)
# Settings whose default is None but whose values have a known type.
_NUMERIC_OR_NULL = frozenset({"FORUMWATCH_EXTRACT_WORKERS"})
_COMPONENT_SUFFIXES = ("MIDDLEWARES", "MIDDLEWARES_BASE", "PIPELINES", "EXTENSIONS", "CONTRACTS")


# --- URLs ----------------------------------------------------------------------------------------


def url_problem(url: str) -> str | None:
    """Why ``url`` cannot be a start URL, or None when it is a usable http(s) URL."""
    bad = next((ch for ch in url if ch.isspace() or unicodedata.category(ch) == "Cc"), None)
    if bad is not None:
        return f"{url!r} contains whitespace or a control character ({bad!r})"
    try:
        split = urlsplit(url)
    except ValueError as exc:
        return f"{url!r} is not a valid URL: {exc}"
    if split.scheme.lower() not in ("http", "https") or not url.lower().startswith(
        f"{split.scheme.lower()}://"
    ):
        return f"{url!r} is not an http(s) URL"
    netloc = split.netloc
    if "@" in netloc:
        return f"{_mask(url)!r} holds credentials (user@ or user:password@); not supported"
    match = _NETLOC.match(netloc)
    if match is None:
        return f"{url!r} has a malformed host:port ({netloc!r})"
    host = match["ip6"] if match["ip6"] is not None else match["host"]
    if not host:
        return f"{url!r} has no host"
    if match["ip6"] is not None:
        try:
            ipaddress.IPv6Address(host)
        except ValueError:
            return f"{url!r}: [{host}] is not an IPv6 address"
    elif not _host_ok(host):
        return f"{url!r}: {host!r} is not a valid host name"
    port = match["port"] or ""  # "host:" is the default port
    if port and not (port.isascii() and port.isdigit() and 1 <= int(port) <= MAX_PORT):
        return f"{url!r}: port {port!r} is not a number from 1 to {MAX_PORT}"
    return None


def _host_ok(host: str) -> bool:
    try:
        encoded = host.rstrip(".").encode("idna")
    except UnicodeError:
        return False
    return bool(encoded) and all(re.fullmatch(rb"[A-Za-z0-9_-]+", p) for p in encoded.split(b"."))


def _mask(text: str) -> str:
    """``text`` with any ``user:password@`` password hidden."""
    return _SECRET.sub(r"\1:***@", text)


# --- database URLs -------------------------------------------------------------------------------

_DB_HINT = "use sqlite:///PATH or postgresql+psycopg://USER@HOST/DB"


def database_url_problem(url: str) -> str | None:
    """Why forumwatch cannot store into ``url``, or None when it is a supported URL."""
    from sqlalchemy import make_url
    from sqlalchemy.exc import ArgumentError

    if any(unicodedata.category(ch) == "Cc" for ch in url):
        return f"{_mask(url)!r} contains a control character"
    try:
        parsed = make_url(url)
    except (ArgumentError, ValueError):
        return f"{_mask(url)!r} is not a database URL; {_DB_HINT}"
    backend, _, driver = parsed.drivername.partition("+")
    if backend == "sqlite" and driver in ("", "pysqlite"):
        return _sqlite_path_problem(parsed.database or "")
    if backend == "postgresql" and driver in ("", "psycopg"):
        return None
    if backend in ("sqlite", "postgresql"):
        return f"unsupported driver {parsed.drivername!r} in {_mask(url)!r}; {_DB_HINT}"
    return f"unsupported database {backend!r} in {_mask(url)!r}; forumwatch stores in SQLite or PostgreSQL ({_DB_HINT})"


def _sqlite_path_problem(database: str) -> str | None:
    """Why the SQLite file or its folder cannot be there (without creating anything)."""
    if database in ("", ":memory:") or database.startswith("file:"):
        return None
    path = Path(database).expanduser()
    if path.is_dir():
        return f"{path} is a folder, not a database file"
    ancestor = path.parent
    while not ancestor.exists() and ancestor != ancestor.parent:
        ancestor = ancestor.parent
    if not ancestor.is_dir():
        return f"the folder of {path} cannot be created: {ancestor} is not a folder"
    if ancestor != path.parent and not os.access(ancestor, os.W_OK | os.X_OK):
        return f"the folder of {path} cannot be created: {ancestor} is not writable"
    return None


# --- Scrapy settings -----------------------------------------------------------------------------


@lru_cache(maxsize=1)
def known_settings() -> dict[str, Any]:
    """Every setting name a crawl may be given -> its default (ours over Scrapy's)."""
    from scrapy.settings import default_settings

    known: dict[str, Any] = dict(_EXTRA_KNOWN)
    known.update({k: getattr(default_settings, k) for k in dir(default_settings) if k.isupper()})
    try:
        project = importlib.import_module("settings")
    except ImportError:  # run outside the project: Scrapy's settings only
        return known
    known.update({k: getattr(project, k) for k in dir(project) if k.isupper()})
    return known


def check_scrapy_settings(raw: Mapping[Any, Any]) -> tuple[dict[str, Any], list[tuple[str, str]]]:
    """The settings with values coerced to their defaults' types, and (name, problem) pairs."""
    known = known_settings()
    values: dict[str, Any] = {}
    problems: list[tuple[str, str]] = []
    for key, value in raw.items():
        if not isinstance(key, str):
            problems.append((str(key), "setting names are upper-case strings"))
            continue
        if key in _SET_BY_CLI:
            problems.append((key, f"not settable here; {_SET_BY_CLI[key]}"))
            continue
        if key not in known:
            problems.append((key, _unknown(key, known)))
            continue
        try:
            values[key] = _coerce(key, value, known[key])
        except ValueError as exc:
            problems.append((key, str(exc)))
    problems.extend(_conflicts(values))
    return values, problems


def _conflicts(values: Mapping[str, Any]) -> list[tuple[str, str]]:
    """Settings each valid alone that stop a crawl from starting together."""
    queue = str(
        values.get("SCHEDULER_PRIORITY_QUEUE", "scrapy.pqueues.DownloaderAwarePriorityQueue")
    )
    if values.get("CONCURRENT_REQUESTS_PER_IP") and queue.endswith("DownloaderAwarePriorityQueue"):
        return [
            (
                "CONCURRENT_REQUESTS_PER_IP",
                "deprecated by Scrapy and refused by its default scheduler queue (the crawl "
                "would not start); use CONCURRENT_REQUESTS_PER_DOMAIN, or also set "
                "SCHEDULER_PRIORITY_QUEUE: scrapy.pqueues.ScrapyPriorityQueue",
            )
        ]
    return []


def _unknown(key: str, known: Mapping[str, Any]) -> str:
    if key.upper() in known:
        return f"unknown setting; did you mean {key.upper()}? (setting names are upper-case)"
    close = difflib.get_close_matches(key.upper(), list(known), n=1, cutoff=0.75)
    hint = f"; did you mean {close[0]}?" if close else ""
    return f"unknown setting{hint}"


def _coerce(key: str, value: Any, default: Any) -> Any:
    """``value`` as the type of ``default`` (ValueError saying what was expected)."""
    if key == "LOG_LEVEL":
        return _log_level(value)
    if key in _NUMERIC_OR_NULL:
        return None if value is None else _number(key, value, int)
    if default is None:
        return value
    if isinstance(default, bool):
        return _flag(value)
    if isinstance(default, int | float):
        return _number(key, value, type(default))
    if isinstance(default, dict):
        return _mapping(key, value, default)
    if isinstance(default, list | tuple):
        return _sequence(value, default)
    if isinstance(default, str):
        if isinstance(value, str):
            return value
        raise ValueError(f"expected a string, got {_shown(value)}")
    return value


def _shown(value: Any) -> str:
    text = repr(value)
    return (text[:60] + "...") if len(text) > 60 else text


def _flag(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, int) and value in (0, 1):
        return bool(value)
    if isinstance(value, str) and value.strip().lower() in ("true", "false", "0", "1"):
        return value.strip().lower() in ("true", "1")
    raise ValueError(f"expected true or false, got {_shown(value)}")


def _number(key: str, value: Any, kind: type) -> int | float:
    number: int | float
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise ValueError(f"expected a number, got {_shown(value)}")
    if isinstance(value, str):
        try:
            number = int(value) if re.fullmatch(r"\s*[-+]?\d+\s*", value) else float(value)
        except ValueError:
            raise ValueError(f"expected a number, got {_shown(value)}") from None
    else:
        number = value
    if not math.isfinite(number):
        raise ValueError(f"expected a finite number, got {_shown(value)}")
    if key in _POSITIVE and number <= 0:
        raise ValueError(f"must be greater than 0, got {_shown(value)}")
    if number < 0 and "PRIORITY" not in key:
        raise ValueError(f"must not be negative, got {_shown(value)}")
    if kind is int and isinstance(number, float) and number.is_integer():
        return int(number)
    return number


def _mapping(key: str, value: Any, default: dict[Any, Any]) -> dict[str, Any]:
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            value = None
    if not isinstance(value, dict):
        raise ValueError("expected a mapping (name: value, ...)")
    if not all(isinstance(k, str) and k for k in value):
        raise ValueError("expected a mapping with names as keys")
    if key.endswith(_COMPONENT_SUFFIXES) or (
        default and all(isinstance(v, int) or v is None for v in default.values())
    ):
        for path, order in value.items():
            if not _CLASS_PATH.match(path):
                raise ValueError(f"{path!r} is not a dotted class path")
            if order is not None and (isinstance(order, bool) or not isinstance(order, int)):
                raise ValueError(f"{path}: expected an order number or null, got {_shown(order)}")
    return value


def _sequence(value: Any, default: list[Any] | tuple[Any, ...]) -> list[Any]:
    if isinstance(value, str):
        items: list[Any] = value.split(",") if value else []
    elif isinstance(value, list | tuple):
        items = list(value)
    else:
        raise ValueError(f"expected a list, got {_shown(value)}")
    if default and all(isinstance(v, int) and not isinstance(v, bool) for v in default):
        try:
            return [_int_item(v) for v in items]
        except ValueError:
            raise ValueError(f"expected a list of whole numbers, got {_shown(value)}") from None
    return items


def _int_item(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise ValueError(value)
    return int(value)


def _log_level(value: Any) -> str | int:
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    names = [name for name in logging.getLevelNamesMapping() if name != "NOTSET"]
    if isinstance(value, str) and value.upper() in names:
        return value.upper()
    raise ValueError(f"expected one of {', '.join(names)}, got {_shown(value)}")
