"""The ``forumwatch`` command line: crawl, browse, inspect and re-extract.

Exit codes (``EXIT_CODES``):

- 0: success. A crawl succeeds when at least one source was read; pages or whole sources that
  failed are counted and listed, not fatal.
- 1: the command could not run: bad configuration, unknown source, unusable or missing database,
  a crawl that could not start; ``serve``: another service holds the database.
- 2: usage error (unknown option, bad argument).
- 3: ``crawl``: every source failed (no list page, feed or sitemap could be read: the network,
  DNS or the sites are down).
- 4: ``crawl``: the crawl stopped before it finished (a ``CLOSESPIDER_*`` limit, an internal error).
- 128+N: ``crawl`` was stopped by signal N (130 Ctrl-C / SIGINT, 143 SIGTERM) after a graceful stop.

Every command that wrote to a SQLite database checkpoints its write-ahead log on exit
(``storage.db.close_engines``), so the ``.db`` file alone holds all the data.
"""

from __future__ import annotations

import signal
import sys
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console
from rich.text import Text

from crawler import views
from crawler.config import Config, ConfigError, load_config
from crawler.records import alert_record, story_record

if TYPE_CHECKING:
    from crawler.crawl.runner import CrawlResult

EXIT_OK, EXIT_ERROR, EXIT_USAGE, EXIT_ALL_FAILED, EXIT_STOPPED = 0, 1, 2, 3, 4
EXIT_CODES = (
    "Exit status: 0 success (a crawl with some failed pages or sources still succeeds); "
    "1 could not run (configuration, database); 2 usage error; 3 crawl: every source failed; "
    "4 crawl stopped before it finished; 128+N crawl stopped by signal N (130 Ctrl-C, 143 SIGTERM)."
)

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    help="forumwatch: watch government and association sites for forum and summit articles.",
    epilog=EXIT_CODES,
)
console = Console()
err_console = Console(stderr=True)


class _State:
    config_path: str | None = None


state = _State()


def _fail(message: str, code: int = EXIT_ERROR) -> typer.Exit:
    """Print ``error: ...`` (one line per line of ``message``, never wrapped) and exit ``code``."""
    for line in message.splitlines() or [""]:
        err_console.print(
            Text.assemble(("error:", "red"), " ", views.clean(line)),
            highlight=False,
            soft_wrap=True,
        )
    return typer.Exit(code)


def _config() -> Config:
    try:
        return load_config(state.config_path)
    except ConfigError as exc:
        raise _fail(str(exc)) from None


def _engine(config: Config, *, create: bool = False) -> Any:
    """The database engine, its schema brought up to date. Only ``crawl`` creates a database
    (``create``): the other commands exit 1 saying there is none, creating no file or folder."""
    from storage.db import NoDatabaseError, StorageError, get_engine, has_schema, upgrade_schema

    try:
        engine = get_engine(config.database, create=create)
        if not create and not has_schema(engine):
            raise NoDatabaseError(engine.url.render_as_string(hide_password=True))
        upgrade_schema(engine)
    except NoDatabaseError as exc:
        raise _fail(f"{exc}; run 'forumwatch crawl' first") from None
    except StorageError as exc:
        raise _fail(str(exc)) from None
    return engine


def _close_engines() -> None:
    """Checkpoint and close the databases this process opened (if it opened any: commands
    like ``extract`` never import the storage layer)."""
    db = sys.modules.get("storage.db")
    if db is not None:
        db.close_engines()


@app.callback()
def _main(
    ctx: typer.Context,
    config: Annotated[
        str | None,
        typer.Option(
            "--config", "-c", help="Config file (default $FORUMWATCH_CONFIG, ./forumwatch.yaml)."
        ),
    ] = None,
) -> None:
    state.config_path = config
    ctx.call_on_close(_close_engines)


def _log_level(value: str) -> str:
    import logging

    names = [name for name in logging.getLevelNamesMapping() if name != "NOTSET"]
    if value.upper() not in names:
        raise typer.BadParameter(f"{value!r} is not one of {', '.join(names)}")
    return value.upper()


@app.command()
def crawl(
    source_ids: Annotated[
        list[str] | None, typer.Argument(help="Sources to crawl (default all).")
    ] = None,
    log_level: Annotated[
        str,
        typer.Option(
            help="Log level for Scrapy's log on stderr (DEBUG, INFO, WARNING, ERROR, CRITICAL).",
            callback=_log_level,
        ),
    ] = "WARNING",
    log_file: Annotated[str | None, typer.Option(help="Write the full log to this file.")] = None,
    sources_from: Annotated[
        str | None,
        typer.Option(
            help="Also crawl the source ids listed in this file, one a line ('-': stdin); "
            "ids no longer configured are skipped with a warning.",
        ),
    ] = None,
    parent_pid: Annotated[
        int | None,
        typer.Option(hidden=True, help="Exit when this process (the service) is gone."),
    ] = None,
    no_alerts: Annotated[
        bool, typer.Option("--no-alerts", help="Don't deliver pending alerts after the crawl.")
    ] = False,
) -> None:
    """Crawl now: new articles of the given sources (all by default), with live progress;
    then deliver the alerts that are due (``--no-alerts`` to skip).

    Exits 0 when at least one source was read, 3 when every source failed, 4 when the crawl
    stopped before it finished, 128+N when stopped by signal N.
    """
    from crawler.crawl.runner import CrawlStartError, build_settings, run_crawl

    if parent_pid is not None:
        from crawler.crawl.processes import die_with_parent

        die_with_parent(parent_pid, use_prctl=False)
    config = _config()
    if sources_from is not None:
        source_ids = [*(source_ids or []), *_listed_sources(config, sources_from)]
        if not source_ids:
            raise _fail(f"no configured source listed in {sources_from}")
    try:
        sources = config.select(source_ids)
    except ConfigError as exc:
        raise _fail(str(exc)) from None
    if not sources:
        raise _fail(f"no sources configured in {state.config_path or 'the config'}")
    engine = _engine(config, create=True)
    settings = build_settings(config, log_level=log_level, log_file=log_file)
    progress = views.CrawlProgress(console, sources)
    with progress:
        try:
            result = run_crawl(config, sources, settings=settings, on_tick=progress.update)
        except CrawlStartError as exc:
            raise _fail(str(exc)) from None
        progress.update(result.tally)
    views.print_crawl_summary(console, sources, result)
    if not no_alerts:
        _dispatch_alerts(engine, config)
    code, problem = crawl_outcome(result, [s.id for s in sources])
    if code != EXIT_OK:
        raise _fail(problem, code)


def _listed_sources(config: Config, path: str) -> list[str]:
    """The configured source ids listed in ``path`` (one a line, '-': stdin); unknown ones are
    skipped with a warning (the service may list a source removed since)."""
    try:
        text = sys.stdin.read() if path == "-" else Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise _fail(f"cannot read {path}: {exc}") from None
    listed = list(dict.fromkeys(line.strip() for line in text.splitlines() if line.strip()))
    known = {source.id for source in config.sources}
    unknown = [sid for sid in listed if sid not in known]
    if unknown:
        err_console.print(
            Text(f"warning: not configured, skipped: {', '.join(unknown)}", style="yellow"),
            highlight=False,
            soft_wrap=True,
        )
    return [sid for sid in listed if sid in known]


def _dispatch_alerts(engine: Any, config: Config, *, quiet: bool = True) -> None:
    """Deliver the alerts due now (what this crawl found, and what earlier ones left) and say
    what happened; a failed delivery is retried later, never fatal."""
    from crawler.alerts.dispatch import dispatch_due

    try:
        summary = dispatch_due(engine, config)
    except Exception as exc:  # the crawl's result stands; the outbox keeps the alerts
        err_console.print(
            Text.assemble(("alerts not dispatched:", "yellow"), " ", views.clean(exc))
        )
        return
    if not summary.claimed and not quiet:
        console.print("alerts: nothing due", highlight=False)
    if summary.claimed:
        console.print(
            f"alerts: {summary.messages} message(s) sent ({summary.sent} deliveries), "
            f"{summary.retried} to retry, {summary.dead} dead-lettered",
            highlight=False,
        )


def crawl_outcome(result: CrawlResult, source_ids: list[str]) -> tuple[int, str]:
    """The exit code of a crawl and, when it is not 0, why."""
    if result.signal is not None:
        name = signal.Signals(result.signal).name
        return 128 + result.signal, f"crawl stopped by {name} before it finished"
    if result.finish_reason != "finished":
        return EXIT_STOPPED, f"crawl stopped before it finished ({result.finish_reason})"
    statuses = [result.tally.sources[sid].status() for sid in source_ids]
    if statuses and all(status == "failed" for status in statuses):
        return EXIT_ALL_FAILED, (
            f"every source failed ({len(statuses)}): no list page, feed or sitemap could be read"
        )
    return EXIT_OK, ""


@app.command()
def articles(
    source: Annotated[str | None, typer.Option("--source", help="Only this source.")] = None,
    since: Annotated[str | None, typer.Option(help="Published on or after YYYY-MM-DD.")] = None,
    limit: Annotated[int, typer.Option(min=1, help="At most this many articles.")] = 20,
    relevant: Annotated[
        bool | None,
        typer.Option(
            "--relevant/--irrelevant", help="Only forum/summit articles (or only the others)."
        ),
    ] = None,
    as_json: Annotated[
        bool, typer.Option("--json", help="JSON Lines, one article a line.")
    ] = False,
) -> None:
    """Stored articles, newest first."""
    from storage import queries
    from storage.db import session_scope

    since_date = _parse_date(since) if since else None
    engine = _engine(_config())
    with session_scope(engine) as session:
        rows = queries.list_articles(
            session=session, source_id=source, since=since_date, limit=limit, relevant=relevant
        )
        if as_json:
            views.print_json_lines(rows)
        else:
            views.print_article_table(console, rows)


@app.command()
def show(
    article_id: Annotated[int, typer.Argument(help="Article id (see `articles`).")],
    as_json: Annotated[bool, typer.Option("--json", help="Print the article as JSON.")] = False,
) -> None:
    """One article in full, with its attachments and its story's other articles."""
    from storage import queries
    from storage.db import session_scope
    from storage.story_index import story_siblings

    engine = _engine(_config())
    with session_scope(engine) as session:
        article = _article(session, article_id)
        attachments = queries.article_attachments(session=session, article_id=article_id)
        siblings = story_siblings(session=session, article=article)
        if as_json:
            views.print_article_json(article, attachments, siblings)
        else:
            views.print_article(console, article, attachments, siblings)


def _article(session: Any, article_id: int) -> Any:
    """The stored article with this id; exits 1 naming the id when there is none."""
    from storage import queries

    article = queries.get_article(session=session, article_id=article_id)
    if article is None:
        raise _fail(f"no article with id {article_id}")
    return article


@app.command()
def stories(
    since: Annotated[str | None, typer.Option(help="First seen on or after YYYY-MM-DD.")] = None,
    limit: Annotated[int, typer.Option(min=1, help="At most this many stories.")] = 20,
    min_sources: Annotated[
        int, typer.Option(min=1, help="Only stories carried by at least this many sources.")
    ] = 1,
    as_json: Annotated[bool, typer.Option("--json", help="JSON Lines, one story a line.")] = False,
    rebuild: Annotated[
        bool,
        typer.Option(
            "--rebuild",
            help="Reassign every article (after `reextract`); stories that continue keep their ids.",
        ),
    ] = False,
) -> None:
    """Stories (an article and its reposts on other sites) with source counts, newest first by
    their earliest publication date (an undated article counts by the day it was fetched)."""
    from crawler.crawl.stories import rebuild_stories
    from storage.db import session_scope
    from storage.story_index import story_views

    since_date = _parse_date(since) if since else None
    engine = _engine(_config())
    if rebuild:
        with session_scope(engine, write=True) as session:
            count = rebuild_stories(session=session)
        err_console.print(f"reassigned {count} articles to stories")
    with session_scope(engine) as session:
        found = story_views(session=session, since=since_date, limit=limit, min_sources=min_sources)
        if as_json:
            for view in found:
                print(views.json_line(story_record(view)))
        else:
            views.print_story_table(console, found)


@app.command()
def explain(
    article_id: Annotated[int, typer.Argument(help="Article id (see `articles`).")],
) -> None:
    """Why an article scored as it did: the relevance rules that fired, its topics and flags."""
    from crawler.analyze.relevance import score_article
    from storage.db import session_scope

    engine = _engine(_config())
    with session_scope(engine) as session:
        article = _article(session, article_id)
        views.print_explanation(console, article, score_article(article.title, article.text))


@app.command()
def sources(
    as_json: Annotated[bool, typer.Option("--json", help="JSON Lines, one source a line.")] = False,
) -> None:
    """Configured sources with their health state (since when, why), last run and its status,
    last success, last new article, article counts and the errors of recent runs by kind."""
    from storage import health, queries
    from storage.db import session_scope

    config = _config()
    engine = _engine(config)
    with session_scope(engine) as session:
        overview = {o.source.id: o for o in queries.source_overview(session=session)}
        states = health.health_overview(session=session)
        views.print_sources(console, config.sources, overview, states, as_json=as_json)


@app.command()
def reextract(
    source: Annotated[str | None, typer.Option("--source", help="Only this source.")] = None,
    workers: Annotated[
        int | None, typer.Option(help="Worker processes (default: one per core).")
    ] = None,
) -> None:
    """Rebuild every stored article from its saved HTML (after an extraction fix)."""
    from crawler.crawl.reextract import reextract_all
    from storage import queries
    from storage.db import session_scope

    config = _config()
    engine = _engine(config)
    with session_scope(engine) as session:
        total = queries.count_articles(session=session, source_id=source)
    options = {s.id: s.extract_options() for s in config.sources}
    with views.counting_progress(console, "re-extracting", total) as advance:
        result = reextract_all(
            engine, source_id=source, options=options, workers=workers, on_progress=advance
        )
    rate = result.articles / result.seconds if result.seconds else 0.0
    console.print(
        f"re-extracted {result.articles} articles ({result.changed} with changed text) "
        f"in {result.seconds:.1f} s, {rate:.1f} articles/s"
    )


@app.command()
def extract(
    inputs: Annotated[list[str], typer.Argument(help="Saved HTML files or http(s) URLs.")],
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object per input.")] = False,
    encoding: Annotated[str | None, typer.Option(help="Force this encoding.")] = None,
    keep_traditional: Annotated[
        bool, typer.Option(help="Keep traditional characters (as a source may).")
    ] = False,
    allow_private_networks: Annotated[
        bool,
        typer.Option(help="Fetch URLs on loopback, private and link-local addresses too."),
    ] = False,
) -> None:
    """Show what forumwatch extracts from pages, without storing anything."""
    from crawler.crawl.fetch_one import read_input
    from crawler.extract.content import is_page
    from crawler.extract.extraction import extract_article
    from crawler.extract.options import ExtractOptions
    from crawler.records import extracted_record

    options = ExtractOptions(encoding=encoding, keep_traditional=keep_traditional)
    failures = 0
    for item in inputs:
        try:
            body, url, charset = read_input(item, allow_private_networks=allow_private_networks)
        except OSError as exc:
            failures += 1
            _input_error(item, str(exc), as_json=as_json)
            continue
        article = (
            extract_article(body, url, header_charset=charset, options=options)
            if is_page(None, body)
            else None
        )
        if article is None or article.not_page:
            failures += 1
            _input_error(item, "not an HTML page (binary content)", as_json=as_json)
            continue
        record = extracted_record(item, article, options)
        if as_json:
            print(views.json_line(record))
        else:
            views.print_extracted(console, record)
    if failures == len(inputs):
        raise typer.Exit(1)


def _input_error(item: str, message: str, *, as_json: bool) -> None:
    """One ``extract`` input that gave nothing: an ``error:`` line (and a JSON record)."""
    err_console.print(Text.assemble(("error:", "red"), views.clean(f" {item}: {message}")))
    if as_json:
        print(views.json_line({"input": item, "error": message}))


@app.command()
def serve(
    once: Annotated[
        bool, typer.Option("--once", help="Crawl what is due now in one crawl, then exit.")
    ] = False,
    tick: Annotated[
        str | None,
        typer.Option(help="How often due sources are gathered, e.g. 10s (default service.tick)."),
    ] = None,
    log_level: Annotated[
        str, typer.Option(help="The service's log level.", callback=_log_level)
    ] = "INFO",
    lease_ttl: Annotated[
        float, typer.Option(hidden=True, help="Seconds the service lease lasts unrenewed.")
    ] = 45.0,
    lease_renew: Annotated[
        float, typer.Option(hidden=True, help="Seconds between lease heartbeats.")
    ] = 10.0,
    no_alerts: Annotated[
        bool,
        typer.Option("--no-alerts", help="Don't deliver alerts (they wait in the outbox)."),
    ] = False,
    web: Annotated[
        bool | None,
        typer.Option("--web/--no-web", help="Serve the web app and API too (default web.enabled)."),
    ] = None,
    host: Annotated[
        str | None, typer.Option(help="The web app's address (default web.host, 127.0.0.1).")
    ] = None,
    port: Annotated[
        int | None,
        typer.Option(min=0, max=65535, help="The web app's port (default web.port, 8080)."),
    ] = None,
) -> None:
    """Run the service: poll every source on its schedule, due sources together in one crawl,
    until stopped (SIGTERM, Ctrl-C); SIGHUP re-reads the configuration.

    One service per database: exits 1 naming the process that already serves it.
    """
    from datetime import timedelta

    from crawler.schedules import parse_duration
    from crawler.service import configure_logging
    from crawler.service.companions import default_companions
    from crawler.service.serve import ServeOptions
    from crawler.service.serve import serve as run_service

    try:
        tick_every = parse_duration(tick) if tick else None
    except ValueError as exc:
        raise typer.BadParameter(str(exc), param_hint="--tick") from None
    if lease_renew <= 0 or lease_ttl <= lease_renew:
        raise typer.BadParameter("the lease must outlast its renewal interval")
    config = _config()
    engine = _engine(config, create=True)
    configure_logging(log_level)
    options = ServeOptions(
        once=once,
        tick=tick_every,
        lease_ttl=timedelta(seconds=lease_ttl),
        lease_renew=timedelta(seconds=lease_renew),
        companions=[
            *default_companions(alerts=not no_alerts),
            *_web_companions(config, web, host, port),
        ],
    )
    code = run_service(engine, config, state.config_path, options)
    if code:
        raise typer.Exit(code)


@app.command(hidden=True)
def schedule() -> None:
    """The service (the former name of ``serve``)."""
    serve(
        once=False,
        tick=None,
        log_level="INFO",
        lease_ttl=45.0,
        lease_renew=10.0,
        no_alerts=False,
        web=None,
        host=None,
        port=None,
    )


def _web_companions(
    config: Config, web: bool | None, host: str | None, port: int | None
) -> list[Any]:
    """``serve``'s web companion, unless switched off (``--no-web`` or ``web.enabled: false``)."""
    if not (config.web.enabled if web is None else web):
        return []
    from crawler.web.server import web_companion

    return [web_companion(host, port)]


@app.command()
def web(
    host: Annotated[
        str | None, typer.Option(help="Address to listen on (default web.host, 127.0.0.1).")
    ] = None,
    port: Annotated[
        int | None, typer.Option(min=0, max=65535, help="Port (default web.port, 8080).")
    ] = None,
) -> None:
    """Serve the HTTP API, Atom feeds and web UI alone (``serve`` serves them beside its crawls).
    Every route but /api/health needs a token (``forumwatch tokens create``)."""
    import logging

    from crawler.web.server import serve_forever

    config = _config()
    engine = _engine(config)
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    try:
        serve_forever(
            engine, config, host or config.web.host, config.web.port if port is None else port
        )
    except OSError as exc:
        where = f"{host or config.web.host}:{config.web.port if port is None else port}"
        raise _fail(f"cannot listen on {where}: {exc.strerror or exc}") from None


tokens_app = typer.Typer(
    help="HTTP API tokens: create (shown once), list, revoke.", no_args_is_help=True
)
app.add_typer(tokens_app, name="tokens")


@tokens_app.command("create")
def tokens_create(
    role: Annotated[str, typer.Option(help="reader (reads) or admin (also changes things).")] = (
        "reader"
    ),
    name: Annotated[str, typer.Option(help="A label to recognize the token by.")] = "",
) -> None:
    """Create a token and print it once (only its hash is stored)."""
    from storage import tokens
    from storage.db import session_scope
    from storage.models import TOKEN_ROLES

    if role not in TOKEN_ROLES:
        raise typer.BadParameter(f"{role!r} is not one of reader, admin", param_hint="--role")
    engine = _engine(_config(), create=True)
    with session_scope(engine, write=True) as session:
        row, token = tokens.create_token(session=session, name=name or role, role=role)
    err_console.print(
        Text(f"token {row.id} ({role}) created; it is shown once, keep it:"), highlight=False
    )
    print(token)


@tokens_app.command("list")
def tokens_list(
    as_json: Annotated[bool, typer.Option("--json", help="JSON Lines, one token a line.")] = False,
) -> None:
    """Every token: id, name, role, created, last used, revoked (never the token itself)."""
    from storage import tokens
    from storage.db import session_scope

    engine = _engine(_config())
    with session_scope(engine) as session:
        rows = tokens.list_tokens(session=session)
    views.print_tokens(console, rows, as_json=as_json)


@tokens_app.command("revoke")
def tokens_revoke(
    token_id: Annotated[int, typer.Argument(help="The token's id (see list).")],
) -> None:
    """Revoke a token: it stops working at once."""
    from storage import tokens
    from storage.db import session_scope

    engine = _engine(_config())
    with session_scope(engine, write=True) as session:
        revoked = tokens.revoke_token(session=session, token_id=token_id)
    if not revoked:
        raise _fail(f"no live token with id {token_id}")
    err_console.print(f"token {token_id} revoked")


alerts_app = typer.Typer(
    help="Alerts: recent alerts and their deliveries; test a rule; deliver what is due.",
    no_args_is_help=False,
)
app.add_typer(alerts_app, name="alerts")


@alerts_app.callback(invoke_without_command=True)
def alerts(
    ctx: typer.Context,
    limit: Annotated[int, typer.Option(min=1, help="At most this many alerts.")] = 30,
    rule: Annotated[str | None, typer.Option("--rule", help="Only this rule.")] = None,
    dead: Annotated[bool, typer.Option("--dead", help="Only dead-lettered alerts.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="JSON Lines, one alert a line.")] = False,
) -> None:
    """Recent alerts, newest first, with the state of each channel's delivery (pending,
    sending, sent, dead) and the last error."""
    if ctx.invoked_subcommand is not None:
        return
    from storage import alerts as outbox
    from storage.db import session_scope

    engine = _engine(_config())
    with session_scope(engine) as session:
        rows = outbox.recent_alerts(
            session=session, limit=limit, rule=rule, state="dead" if dead else None
        )
    if as_json:
        for row in rows:
            print(views.json_line(alert_record(row)))
        return
    if not rows:
        console.print("no alerts", highlight=False)
        return
    for row in rows:
        title = row.payload.get("title") or row.payload.get("state") or ""
        console.print(
            Text.assemble(
                (f"#{row.id} ", "bold"),
                (f"{row.created_at:%Y-%m-%d %H:%M} ", "dim"),
                views.clean(f"[{row.rule}] {row.kind}/{row.mode} "),
                views.clean(row.source_id or ""),
                " ",
                views.clean(title),
            ),
            highlight=False,
            soft_wrap=True,
        )
        if row.matched:
            console.print(
                views.text("  matched: " + ", ".join(row.matched), "dim"), highlight=False
            )
        for delivery in row.deliveries:
            style = {"sent": "green", "dead": "red", "pending": "yellow"}.get(delivery["state"], "")
            line = Text.assemble(
                "  ",
                (f"{delivery['state']:<8}", style),
                views.clean(f" {delivery['label']}  attempts {delivery['attempts']}"),
            )
            if delivery["state"] == "pending":
                line.append(views.clean(f"  next {delivery['next_attempt_at']:%Y-%m-%d %H:%M:%S}"))
            if delivery["last_error"]:
                line.append(views.clean(f"  error: {delivery['last_error']}"), "red")
            console.print(line, highlight=False, soft_wrap=True)


@alerts_app.command("test")
def alerts_test(
    rule: Annotated[str, typer.Argument(help="The rule's name (health: the health channels).")],
) -> None:
    """Send a test message to each channel of RULE now; exits 1 when one failed."""
    from crawler.alerts.dispatch import send_test

    config = _config()
    try:
        results = send_test(config, rule)
    except KeyError:
        raise _fail(f"no alert rule named {rule!r}") from None
    if not results:
        raise _fail(f"rule {rule!r} has no channels")
    for label, ok, error in results:
        console.print(
            Text.assemble(
                ("sent   " if ok else "FAILED ", "green" if ok else "red"),
                views.clean(label),
                views.clean(f"  {error}" if error else ""),
            ),
            highlight=False,
            soft_wrap=True,
        )
    if not all(ok for _, ok, _ in results):
        raise typer.Exit(EXIT_ERROR)


@alerts_app.command("dispatch")
def alerts_dispatch() -> None:
    """Deliver the alerts due now (for cron next to ``forumwatch crawl``)."""
    config = _config()
    engine = _engine(config)
    _dispatch_alerts(engine, config, quiet=False)


# -- search and export ------------------------------------------------------------------------

_SourceOpt = Annotated[
    list[str] | None, typer.Option("--source", help="Only this source (repeatable: any of them).")
]
_TagOpt = Annotated[
    list[str] | None, typer.Option("--tag", help="Only sources with this tag (repeatable).")
]
_SinceOpt = Annotated[str | None, typer.Option("--since", help="Published on or after YYYY-MM-DD.")]
_UntilOpt = Annotated[
    str | None, typer.Option("--until", help="Published on or before YYYY-MM-DD.")
]
_RelevantOpt = Annotated[
    bool | None,
    typer.Option("--relevant/--irrelevant", help="Only forum/summit articles (or the others)."),
]
_TopicOpt = Annotated[
    list[str] | None, typer.Option("--topic", help="Only articles with this topic id (repeatable).")
]
_FlagOpt = Annotated[
    list[str] | None,
    typer.Option("--flag", help="Only articles with this quality flag (repeatable)."),
]
_LanguageOpt = Annotated[
    list[str] | None, typer.Option("--language", help="Only articles in this language (e.g. zh).")
]
_StoryOpt = Annotated[
    list[int] | None, typer.Option("--story", help="Only articles of this story id (repeatable).")
]
_QUERY_HELP = (
    'Terms all required; "a phrase"; A OR B; -term excludes. Substrings of title or text, '
    "Chinese included (2+ characters exact, 1 character too)."
)


def _article_filter(
    source: list[str] | None,
    tag: list[str] | None,
    since: str | None,
    until: str | None,
    relevant: bool | None,
    topic: list[str] | None,
    flag: list[str] | None,
    language: list[str] | None,
    story: list[int] | None,
) -> Any:
    from storage.search import ArticleFilter

    return ArticleFilter(
        sources=tuple(source or ()),
        tags=tuple(tag or ()),
        since=_parse_date(since, "--since") if since else None,
        until=_parse_date(until, "--until") if until else None,
        relevant=relevant,
        topics=tuple(topic or ()),
        flags=tuple(flag or ()),
        languages=tuple(language or ()),
        story_ids=tuple(story or ()),
    )


@app.command()
def search(
    query: Annotated[str, typer.Argument(help=_QUERY_HELP)],
    source: _SourceOpt = None,
    tag: _TagOpt = None,
    since: _SinceOpt = None,
    until: _UntilOpt = None,
    relevant: _RelevantOpt = None,
    topic: _TopicOpt = None,
    flag: _FlagOpt = None,
    language: _LanguageOpt = None,
    story: _StoryOpt = None,
    limit: Annotated[int, typer.Option(min=1, help="At most this many articles.")] = 20,
    as_json: Annotated[
        bool, typer.Option("--json", help="JSON Lines: the fields of `articles --json` + snippet.")
    ] = False,
) -> None:
    """Full-text search of stored articles, best matches first, with highlighted snippets."""
    from crawler.records import search_record
    from crawler.search.query import parse
    from crawler.search.snippets import highlight, snippet
    from storage import search as store
    from storage.db import session_scope

    parsed = parse(query)
    if parsed.is_empty:
        raise _fail("empty query: give at least one term", EXIT_USAGE)
    filters = _article_filter(source, tag, since, until, relevant, topic, flag, language, story)
    terms = parsed.positive_terms()
    engine = _engine(_config())
    with session_scope(engine) as session:
        hits = store.search(session=session, clauses=parsed.clauses, filters=filters, limit=limit)
        shown = [
            (h, highlight(h.article.title, terms), snippet(h.article.text, terms)) for h in hits
        ]
        if as_json:
            for hit, _title, found in shown:
                print(
                    views.json_line(
                        search_record(hit.article, hit.score, found.text, found.highlights)
                    )
                )
        else:
            views.print_search_results(console, [(h.article, t, s) for h, t, s in shown])


@app.command()
def export(
    output: Annotated[str, typer.Option("--output", "-o", help="File to write.")],
    query: Annotated[str | None, typer.Argument(help="Optional: " + _QUERY_HELP)] = None,
    fmt: Annotated[
        str, typer.Option("--format", help="jsonl (as `articles --json`) or csv (Excel-ready).")
    ] = "jsonl",
    source: _SourceOpt = None,
    tag: _TagOpt = None,
    since: _SinceOpt = None,
    until: _UntilOpt = None,
    relevant: _RelevantOpt = None,
    topic: _TopicOpt = None,
    flag: _FlagOpt = None,
    language: _LanguageOpt = None,
    story: _StoryOpt = None,
) -> None:
    """Write every matching article (all of them by default) to a file, in the order stored."""
    from crawler import exports
    from crawler.search.query import parse
    from storage import search as store
    from storage.db import session_scope

    if fmt not in exports.FORMATS:
        raise typer.BadParameter(f"{fmt!r} is not one of jsonl, csv", param_hint="--format")
    parsed = parse(query or "")
    filters = _article_filter(source, tag, since, until, relevant, topic, flag, language, story)
    engine = _engine(_config())
    try:
        out = exports.open_export(output, fmt)  # type: ignore[arg-type]
    except OSError as exc:
        raise _fail(f"cannot write {output}: {exc.strerror or exc}") from None
    with out, session_scope(engine) as session:
        batches = store.iter_matches(session=session, clauses=parsed.clauses, filters=filters)
        count = exports.write_export(out, fmt, batches)  # type: ignore[arg-type]
    err_console.print(Text(f"exported {count} articles to {views.clean(output)}"))


def _parse_date(value: str, option: str = "--since") -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise typer.BadParameter(
            f"{value!r} is not a date (YYYY-MM-DD)", param_hint=option
        ) from None


def main() -> None:
    """Console-script entry point."""
    app(prog_name="forumwatch")


if __name__ == "__main__":
    main()
