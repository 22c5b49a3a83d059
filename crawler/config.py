"""The forumwatch YAML configuration: finding the file, validating it, naming what is wrong.

Lookup order for the file: ``--config PATH``, else ``$FORUMWATCH_CONFIG``, else ``./forumwatch.yaml``.
``$FORUMWATCH_DATABASE_URL`` overrides the ``database`` field.
"""

from __future__ import annotations

import os
import re
from datetime import time, timedelta
from pathlib import Path
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml
from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from crawler.config_checks import check_scrapy_settings, database_url_problem, url_problem
from crawler.extract.options import ExtractOptions
from crawler.schedules import parse_duration, parse_time_of_day

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
        if value is not None and value.strip() == "adaptive":
            return "adaptive"
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


def _duration(value: Any) -> timedelta:
    if isinstance(value, timedelta):
        return value
    return parse_duration(value)


def _time_of_day(value: Any) -> time:
    if isinstance(value, time):
        return value
    if isinstance(value, int) and not isinstance(value, bool):
        # YAML 1.1 reads an unquoted 08:30 as the sexagesimal number 510
        return time(*divmod(value, 60)) if 0 <= value < 24 * 60 else parse_time_of_day(str(value))
    return parse_time_of_day(str(value))


def _channel(value: str) -> str:
    if not isinstance(value, str) or "://" not in value:
        raise ValueError(f"{value!r} is not an Apprise URL like mailto://... or json://...")
    return value


def _time_zone(value: str) -> str:
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"unknown time zone {value!r} (an IANA name like Asia/Shanghai)") from None
    return value


Duration = Annotated[timedelta, BeforeValidator(_duration)]
TimeOfDay = Annotated[time, BeforeValidator(_time_of_day)]
Channel = Annotated[str, AfterValidator(_channel)]
TimeZoneName = Annotated[str, AfterValidator(_time_zone)]


class KeywordMatch(BaseModel):
    """Keywords an article's title or text must hold: any of, all of, none of. Matching ignores
    simplified/traditional differences and case, and a keyword stands for its alias group."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    any: list[str] = Field(default_factory=list)
    all: list[str] = Field(default_factory=list)
    none: list[str] = Field(default_factory=list)


class AlertMatch(BaseModel):
    """Which new articles an alert rule is about (all given conditions must hold)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    keywords: KeywordMatch = Field(default_factory=KeywordMatch)
    sources: list[str] = Field(default_factory=list)
    tags: list[str] = Field(default_factory=list)
    topics: list[str] = Field(default_factory=list)
    relevant: bool = True
    """Only articles the relevance scorer calls relevant (the default); false: any article."""
    flags: list[str] = Field(default_factory=list)
    """Quality flags an article may carry and still alert (flagged articles never alert
    otherwise); ``any`` allows every flag."""

    @field_validator("keywords", mode="before")
    @classmethod
    def _keyword_list(cls, value: Any) -> Any:
        # `keywords: [a, b]` is short for `keywords: {any: [a, b]}`
        return {"any": value} if isinstance(value, list) else value


class AlertRule(BaseModel):
    """One alert rule: what to match, where to send it, when."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(min_length=1, max_length=100)
    notify: list[Channel] = Field(min_length=1)
    """Apprise URLs: mailto://, mailtos://, json://, wecombot://, dingtalk://, feishu://,
    lark://, slack://, tgram:// ..."""
    match: AlertMatch = Field(default_factory=AlertMatch)
    mode: Literal["instant", "digest"] = "instant"
    digest_at: TimeOfDay = time(8, 0)
    """Local time (``timezone``) a digest rule sends the day's articles."""
    max_age: Duration = timedelta(days=3)
    """An article published longer ago than this never alerts."""


class HealthConfig(BaseModel):
    """When a source's health changes, and whom to tell."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    notify: list[Channel] = Field(default_factory=list)
    failing_after: int = Field(default=3, ge=1, le=1000)
    """Consecutive failed runs that make a source ``failing``."""
    quiet_factor: float = Field(default=4.0, gt=1, le=1000)
    """``quiet`` after this many times the source's usual interval between new articles."""


class ServiceConfig(BaseModel):
    """How ``forumwatch serve`` runs."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    default_schedule: str = "30m"
    """The schedule of sources that give none."""
    jitter: Duration = timedelta(minutes=2)
    """Each source's polls move by up to this much, so they don't all fire at once."""
    tick: Duration = timedelta(seconds=10)
    """How often due sources are gathered into one crawl."""
    misfire_grace: Duration = timedelta(hours=1)
    crawl_time_limit: Duration = timedelta(minutes=30)
    """A crawl running longer is killed and its runs recorded as ``timeout``."""
    polls_per_day: int = Field(default=48, ge=1, le=24 * 60)
    """The daily poll budget of an ``adaptive`` source."""

    @field_validator("default_schedule")
    @classmethod
    def _check_default_schedule(cls, value: str) -> str:
        if value.strip() == "adaptive":
            return "adaptive"
        from crawler.schedules import parse_schedule

        parse_schedule(value)
        return value


class WebConfig(BaseModel):
    """The HTTP API and web UI (``forumwatch web``; ``forumwatch serve`` serves them too)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    enabled: bool = True
    """Whether ``forumwatch serve`` serves the web app (``--web/--no-web`` overrides)."""
    host: str = Field(default="127.0.0.1", min_length=1, max_length=255)
    """The address to listen on: loopback by default; put a TLS proxy in front to expose it."""
    port: int = Field(default=8080, ge=1, le=65535)


class Config(BaseModel):
    """The whole file."""

    model_config = ConfigDict(extra="forbid")

    database: str = DEFAULT_DATABASE_URL
    scrapy_settings: dict[Any, Any] = Field(default_factory=dict)
    """Scrapy setting overrides, checked and coerced by ``config_checks.check_scrapy_settings``."""
    allow_private_networks: bool = False
    """Allow requests to loopback, private and link-local addresses (intranets, tests, the demo)."""
    sources: list[SourceConfig] = Field(default_factory=list)
    timezone: TimeZoneName = "Asia/Shanghai"
    """The zone of digest times and of adaptive schedules' working hours."""
    service: ServiceConfig = Field(default_factory=ServiceConfig)
    alerts: list[AlertRule] = Field(default_factory=list)
    health: HealthConfig = Field(default_factory=HealthConfig)
    web: WebConfig = Field(default_factory=WebConfig)
    aliases: list[list[str]] = Field(default_factory=list)
    """Keyword alias groups for alert rules, added to the built-in ones
    (``crawler/data/aliases.yaml``): a keyword of a group matches any of its members."""

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
        rules: set[str] = set()
        for rule in self.alerts:
            if rule.name in rules:
                raise ValueError(f"duplicate alert rule name {rule.name!r}")
            rules.add(rule.name)
            unknown = sorted(set(rule.match.sources) - seen)
            if unknown:
                raise ValueError(
                    f"alert rule {rule.name!r} names unknown source(s): {', '.join(unknown)}"
                )
        return self

    def rule(self, name: str) -> AlertRule:
        for rule in self.alerts:
            if rule.name == name:
                return rule
        raise KeyError(name)

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
        # libyaml's loader when built (10x faster on a thousand sources); the same results
        raw = yaml.load(raw_text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
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
