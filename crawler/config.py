"""The forumwatch YAML configuration: finding the file, validating it, naming what is wrong.

Lookup order for the file: ``--config PATH``, else ``$FORUMWATCH_CONFIG``, else ``./forumwatch.yaml``.
``$FORUMWATCH_DATABASE_URL`` overrides the ``database`` field.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Annotated, Any

import yaml
from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from crawler.config_checks import check_scrapy_settings, database_url_problem, url_problem
from crawler.extract.options import ExtractOptions

DEFAULT_CONFIG_PATH = Path("forumwatch.yaml")
DEFAULT_DATABASE_URL = "sqlite:///data/forumwatch.db"  # also settings.FORUMWATCH_DATABASE_URL
CONFIG_ENV = "FORUMWATCH_CONFIG"
DATABASE_ENV = "FORUMWATCH_DATABASE_URL"

_SOURCE_ID = re.compile(r"^[a-z0-9][a-z0-9_.-]{0,99}$")


class ConfigError(Exception):
    """A configuration problem, already phrased for the user: one line per problem, each naming
    the file, the field and the problem."""


def _start_url(value: str) -> str:
    problem = url_problem(value)
    if problem:
        raise ValueError(problem)
    return value


StartUrl = Annotated[str, AfterValidator(_start_url)]


class SourceConfig(BaseModel):
    """One watched site: where its lists/feeds/sitemaps are and how to read them."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str
    name: str
    start_urls: list[StartUrl] = Field(min_length=1)
    article_links: str | None = None
    """CSS selector, XPath (starts with ``/`` or ``(``) or URL regex (``re:...``) for article links."""
    max_list_pages: int = Field(default=20, ge=1, le=10_000)
    encoding: str | None = None
    schedule: str | None = None
    tags: list[str] = Field(default_factory=list)
    keep_traditional: bool = False
    fold_hosts: list[str] = Field(default_factory=list)
    """Host prefixes naming the same site (``m.``, ``wap.``, ``www.``), folded in canonical URLs."""

    def extract_options(self) -> ExtractOptions:
        """What this source's configuration changes about reading its pages, as one object."""
        return ExtractOptions(
            source_name=self.name,
            encoding=self.encoding,
            keep_traditional=self.keep_traditional,
            fold_hosts=tuple(self.fold_hosts),
        )

    @field_validator("fold_hosts")
    @classmethod
    def _check_fold_hosts(cls, value: list[str]) -> list[str]:
        for prefix in value:
            if not re.match(r"^[a-z0-9-]+\.$", prefix):
                raise ValueError(f"{prefix!r} is not a host prefix like 'm.' or 'wap.'")
        return value

    @field_validator("id")
    @classmethod
    def _check_id(cls, value: str) -> str:
        if not _SOURCE_ID.match(value):
            raise ValueError(
                "must be lower-case letters, digits, '_', '-' or '.', starting with a letter or digit"
            )
        return value

    @field_validator("encoding")
    @classmethod
    def _check_encoding(cls, value: str | None) -> str | None:
        if value is None:
            return None
        import codecs

        try:
            codecs.lookup(value)
        except LookupError:
            raise ValueError(f"unknown encoding {value!r}") from None
        return value

    @field_validator("schedule")
    @classmethod
    def _check_schedule(cls, value: str | None) -> str | None:
        if value is not None:
            from crawler.schedules import parse_schedule

            parse_schedule(value)
        return value

    @field_validator("article_links")
    @classmethod
    def _check_article_links(cls, value: str | None) -> str | None:
        if value and value.startswith("re:"):
            try:
                re.compile(value[3:])
            except re.error as exc:
                raise ValueError(f"bad regular expression: {exc}") from None
        elif value:
            _check_selector(value)
        return value


def _check_selector(value: str) -> None:
    """An XPath (as ``crawler.discover.links`` tells them apart) or a CSS selector that compiles."""
    from cssselect import SelectorError
    from lxml import etree
    from lxml.cssselect import CSSSelector

    try:
        if value.startswith(("/", "(", ".//")):
            etree.XPath(value)
        else:
            CSSSelector(value)
    except etree.XPathSyntaxError as exc:
        raise ValueError(f"bad XPath: {exc}") from None
    except SelectorError as exc:
        raise ValueError(f"bad CSS selector: {exc}") from None


class Config(BaseModel):
    """The whole file."""

    model_config = ConfigDict(extra="forbid")

    database: str = DEFAULT_DATABASE_URL
    scrapy_settings: dict[Any, Any] = Field(default_factory=dict)
    """Scrapy setting overrides, checked and coerced by ``config_checks.check_scrapy_settings``."""
    allow_private_networks: bool = False
    """Allow requests to loopback, private and link-local addresses (intranets, tests, the demo)."""
    sources: list[SourceConfig] = Field(default_factory=list)

    @field_validator("database")
    @classmethod
    def _check_database(cls, value: str) -> str:
        problem = database_url_problem(value)
        if problem:
            raise ValueError(problem)
        return value

    @model_validator(mode="after")
    def _unique_ids(self) -> Config:
        seen: set[str] = set()
        for source in self.sources:
            if source.id in seen:
                raise ValueError(f"duplicate source id {source.id!r}")
            seen.add(source.id)
        return self

    def source(self, source_id: str) -> SourceConfig:
        for source in self.sources:
            if source.id == source_id:
                return source
        raise KeyError(source_id)

    def select(self, source_ids: list[str] | None) -> list[SourceConfig]:
        """The sources named (all when none are), or ConfigError naming the unknown ones."""
        if not source_ids:
            return list(self.sources)
        unknown = [sid for sid in source_ids if sid not in {s.id for s in self.sources}]
        if unknown:
            known = ", ".join(s.id for s in self.sources) or "(none)"
            raise ConfigError(f"unknown source id(s): {', '.join(unknown)}; configured: {known}")
        return [self.source(sid) for sid in source_ids]


def config_path(explicit: str | os.PathLike[str] | None = None) -> Path:
    """The file to read, by the documented lookup order."""
    if explicit:
        return Path(explicit)
    env = os.environ.get(CONFIG_ENV)
    if env:
        return Path(env)
    return DEFAULT_CONFIG_PATH


def load_config(explicit: str | os.PathLike[str] | None = None) -> Config:
    """Read and validate the configuration; raise ConfigError with file, field and problem."""
    path = config_path(explicit)
    try:
        raw_text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(f"{path}: configuration file not found") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read: {exc}") from None
    try:
        raw = yaml.safe_load(raw_text)
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path}: not valid YAML: {_yaml_problem(exc)}") from None
    except RecursionError:
        raise ConfigError(f"{path}: not valid YAML: nested too deeply") from None
    if raw is None:
        raw = {}
    if not isinstance(raw, dict):
        raise ConfigError(f"{path}: top level must be a mapping, got {type(raw).__name__}")
    return parse_config(raw, path)


def _yaml_problem(exc: yaml.YAMLError) -> str:
    """PyYAML's multi-line message as one line: where, then what."""
    if isinstance(exc, yaml.MarkedYAMLError) and exc.problem_mark is not None:
        mark = exc.problem_mark
        where = f"line {mark.line + 1}, column {mark.column + 1}"
        return f"{where}: {' '.join(filter(None, (exc.context, exc.problem)))}"
    return " ".join(str(exc).split())


def parse_config(raw: dict[str, Any], path: Path | str = "<config>") -> Config:
    """Validate an already-parsed mapping; environment overrides applied."""
    problems: list[tuple[str, str]] = []
    config: Config | None = None
    try:
        config = Config.model_validate(raw)
    except ValidationError as exc:
        problems += [(_field_name(error["loc"], raw), _problem(error)) for error in exc.errors()]
    scrapy_settings: dict[str, Any] = {}
    if isinstance(raw.get("scrapy_settings"), dict):
        scrapy_settings, bad = check_scrapy_settings(raw["scrapy_settings"])
        problems += [(f"scrapy_settings.{name}", problem) for name, problem in bad]
    lines = [f"{path}: {field}: {problem}" for field, problem in problems]
    env_db = os.environ.get(DATABASE_ENV)
    env_problem = database_url_problem(env_db) if env_db else None
    if env_problem:
        lines.append(f"${DATABASE_ENV}: {env_problem}")
    if lines or config is None:
        raise ConfigError("\n".join(lines) or f"{path}: invalid configuration")
    update: dict[str, Any] = {"scrapy_settings": scrapy_settings}
    if env_db:
        update["database"] = env_db
    return config.model_copy(update=update)


def _field_name(loc: tuple[int | str, ...], raw: dict[str, Any]) -> str:
    """'sources[2] (id=gov-x).start_urls' style names, so users find the entry."""
    parts: list[str] = []
    node: Any = raw
    for item in loc:
        if isinstance(item, int) and isinstance(node, list):
            label = f"[{item}]"
            node = node[item] if item < len(node) else None
            if isinstance(node, dict) and isinstance(node.get("id"), str):
                label += f" (id={node['id']})"
            parts.append(label)
        else:
            parts.append(("." if parts else "") + str(item))
            node = node.get(item) if isinstance(node, dict) else None
    return "".join(parts) or "(top level)"


def _problem(error: Any) -> str:
    if error["type"] == "extra_forbidden":
        return "unknown field"
    if error["type"] == "missing":
        return "required field is missing"
    message = str(error["msg"])
    return message.removeprefix("Value error, ")
