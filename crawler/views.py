"""What the CLI shows: progress, summary tables, article listings (rich) and JSON Lines.

Crawled text is data here: every string that comes from a site, the database or the config is
shown through ``rich.text.Text`` (never parsed as rich markup, so ``[/bold]`` in a title is just
text) after ``clean`` removed control characters (ESC, BEL... that a terminal would obey; the
extraction stage removes them already, this guards databases that hold them). JSON Lines go
through ``json_line``, which escapes them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from types import TracebackType
from typing import TYPE_CHECKING, Any

from rich.console import Console
from rich.live import Live
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table
from rich.text import Text

from crawler.analyze.normalize import strip_controls
from crawler.analyze.relevance import Relevance, topic_labels
from crawler.analyze.spam import find_spam
from crawler.config import SourceConfig
from crawler.crawl.tally import CrawlTally
from crawler.records import (
    article_detail_record,
    article_record,
    json_line,
    published_iso,
    source_record,
    story_record,
)

if TYPE_CHECKING:
    from crawler.crawl.runner import CrawlResult

SUMMARY_ROWS = 30
"""Above this many sources, the crawl summary lists only those with new articles or trouble."""
_COLUMNS = ("list_pages", "new_articles", "known_articles", "failed", "attachments")
_HEADERS = ("lists", "new", "known", "failed", "attachments")
# Counters worth a line under the summary: why a source was held back (robots.txt, limits).
_NOTES = {
    "robots_unavailable": "refused: robots.txt unavailable (5xx or unreachable), retried next crawl",
    "blocked_by_robots": "disallowed by robots.txt",
    "sitemaps_cut": "sitemaps not followed (FORUMWATCH_SITEMAP_MAX_DEPTH / _MAX_COUNT)",
    "sitemap_entries_cut": "sitemap entries beyond 50,000 in one file not read",
    "articles_deferred": "new articles left for the next crawl (FORUMWATCH_SITEMAP_MAX_ARTICLES)",
}


def clean(value: object) -> str:
    """``value`` as text without control characters (newline and tab kept); None gives ''."""
    return "" if value is None else strip_controls(str(value))


def text(value: object, style: str = "") -> Text:
    """A crawled or stored string as a rich ``Text``: shown literally, never as markup."""
    return Text(clean(value), style=style)


def _field(label: str, value: object) -> Text:
    """A dim ``label:`` and a literal value ('-' when empty)."""
    shown = clean(value) if value is not None and value != "" else "-"
    return Text.assemble((f"{label}:", "dim"), " ", shown)


class CrawlProgress:
    """Live per-source progress on a terminal; a line per source otherwise."""

    def __init__(self, console: Console, sources: Sequence[SourceConfig]) -> None:
        self.console = console
        self.sources = list(sources)
        self._live: Live | None = None

    def __enter__(self) -> CrawlProgress:
        if self.console.is_terminal:
            self._live = Live(self._table(None), console=self.console, refresh_per_second=4)
            self._live.__enter__()
        else:
            self.console.print(f"crawling {len(self.sources)} source(s)...")
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if self._live is not None:
            self._live.__exit__(kind, exc, tb)

    def update(self, tally: CrawlTally) -> None:
        if self._live is not None:
            self._live.update(self._table(tally))

    def _table(self, tally: CrawlTally | None) -> Table:
        table = Table(title="crawling", title_justify="left")
        table.add_column("source")
        for header in _HEADERS:
            table.add_column(header, justify="right")
        shown = self.sources if len(self.sources) <= 30 else []
        for source in shown:
            counts = tally.sources[source.id].counts if tally else {}
            table.add_row(text(source.id), *(str(counts.get(col, 0)) for col in _COLUMNS))
        if tally is not None:
            totals = tally.totals()
            table.add_row("[bold]all", *(f"[bold]{totals.get(col, 0)}" for col in _COLUMNS))
        return table


def print_crawl_summary(
    console: Console, sources: Sequence[SourceConfig], result: CrawlResult
) -> None:
    table = Table(title=text(f"crawl finished ({result.finish_reason})"), title_justify="left")
    table.add_column("source")
    table.add_column("status")
    for header in _HEADERS:
        table.add_column(header, justify="right")
    quiet = 0
    for source in sources:
        tally = result.tally.sources[source.id]
        status = tally.status() if result.finish_reason == "finished" else "interrupted"
        if len(sources) > SUMMARY_ROWS and status == "ok" and not tally.counts["new_articles"]:
            quiet += 1  # many sources: the table lists those with news or trouble
            continue
        style = {"ok": "green", "partial": "yellow"}.get(status, "red")
        table.add_row(
            text(source.id), text(status, style), *(str(tally.counts.get(c, 0)) for c in _COLUMNS)
        )
    if quiet:
        table.add_row(text(f"({quiet} more)"), text("ok", "green"), *("" for _ in _COLUMNS))
    totals = result.tally.totals()
    table.add_row("[bold]all", "", *(f"[bold]{totals.get(c, 0)}" for c in _COLUMNS))
    console.print(table)
    for source in sources:
        counts = result.tally.sources[source.id].counts
        notes = [f"{counts[key]} {note}" for key, note in _NOTES.items() if counts.get(key)]
        if notes:
            console.print(f"  note {source.id}: {'; '.join(notes)}", highlight=False, markup=False)
    for source in sources:
        for error in result.tally.sources[source.id].errors[:5]:
            console.print(
                Text.assemble(
                    "  ",
                    ("failed", "red"),
                    f" {clean(source.id)}: {clean(error['url'])} ({clean(error['error'])})",
                )
            )


def print_json_lines(rows: Iterable[Any]) -> None:
    for row in rows:
        print(json_line(article_record(row)))


def print_article_json(
    article: Any, attachments: Sequence[Any], siblings: Sequence[Any] = ()
) -> None:
    """``show --json``: the article's JSON Lines record plus its attachments and story siblings."""
    record = article_detail_record(article, attachments, siblings)
    print(json_line(record))


def print_article_table(console: Console, rows: Sequence[Any]) -> None:
    if not rows:
        console.print("no articles stored yet")
        return
    table = Table()
    for name in ("id", "published", "source", "relevant"):
        table.add_column(name, no_wrap=True)
    table.add_column("title", overflow="fold", ratio=3)
    table.add_column("flags", overflow="fold", ratio=1)
    for row in rows:
        published = published_iso(row.published_on, row.published_at)
        table.add_row(
            str(row.id),
            published[:16].replace("T", " ") if published else "-",
            text(row.source_id),
            {True: "yes", False: "no"}.get(row.relevant, "-"),
            text(row.title or "(untitled)"),
            text(" ".join(row.flags or [])),
        )
    console.print(table)


def print_article(
    console: Console, article: Any, attachments: Sequence[Any], siblings: Sequence[Any] = ()
) -> None:
    record = article_record(article)
    console.print(text(record["title"] or "(untitled)", "bold"))
    for key in (
        "id",
        "source",
        "url",
        "published_at",
        "author",
        "origin",
        "site_name",
        "language",
        "fetched_at",
        "relevant",
        "relevance_score",
    ):
        console.print(_field(key, record[key]))
    console.print(_field("flags", " ".join(record["flags"])))
    console.print(_field("topics", "、".join(topic_labels(record["topics"]))))
    event = record["event"]
    if event:
        dates = " to ".join(dict.fromkeys(d for d in (event["start"], event["end"]) if d))
        summary = f"{event['name'] or '-'} | {event['city'] or '-'} | {dates or '-'}"
        console.print(_field("event", summary))
    for attachment in attachments:
        console.print(_field("attachment", f"{attachment.title or ''} {attachment.url}"))
    console.print(_field("story", record["story_id"]))
    for sibling in siblings:
        same = "same story" if sibling.story_id == article.story_id else "same event"
        console.print(
            Text.assemble(
                (f"  {same}:", "dim"),
                f" #{sibling.id} {clean(sibling.source_id)} {clean(sibling.title or '')} "
                f"{clean(sibling.url)}",
            )
        )
    console.print()
    console.print(text(record["text"]))


def print_story_table(console: Console, views: Sequence[Any]) -> None:
    """``stories``: one row per story, newest first."""
    if not views:
        console.print("no stories yet")
        return
    table = Table()
    for name in ("id", "first seen", "published", "sources", "articles", "title", "original"):
        table.add_column(name, overflow="fold")
    for view in views:
        record = story_record(view)
        original = record["original"]
        table.add_row(
            str(record["id"]),
            record["first_seen_at"][:16].replace("T", " "),
            record["earliest_published"] or "-",
            str(record["source_count"]),
            str(record["article_count"]),
            text(record["title"] or "(untitled)"),
            text(original["source"] if original else "-"),
        )
    console.print(table)


def print_explanation(console: Console, article: Any, relevance: Relevance) -> None:
    """``explain``: the rules that fired for an article, with weights, and the verdict."""
    verdict = "relevant" if relevance.relevant else "not relevant"
    console.print(text(article.title or "(untitled)", "bold"))
    console.print(
        f"score {relevance.score:g} (threshold {relevance.threshold:g}): {verdict}",
        highlight=False,
    )
    table = Table()
    for name in ("rule", "where", "weight", "matched"):
        table.add_column(name, overflow="fold")
    for signal in relevance.signals:
        table.add_row(
            text(signal.rule), text(signal.where), f"{signal.weight:+g}", text(signal.matched)
        )
    console.print(table if relevance.signals else "no rule fired")
    console.print(text(f"topics: {'、'.join(topic_labels(relevance.topics)) or '-'}"))
    console.print(text(f"flags: {' '.join(article.flags or []) or '-'}"))
    for snippet in find_spam(f"{article.title or ''}\n{article.text}"):
        console.print(text(f"spam: {snippet}"))


def print_extracted(console: Console, record: Mapping[str, Any]) -> None:
    """``extract`` without ``--json``: one extraction record, readable."""
    console.rule(text(record["input"]))
    console.print(text(record["title"] or "(untitled)", "bold"))
    for key in ("published_at", "author", "origin", "site_name", "language", "encoding"):
        console.print(_field(key, record[key]))
    relevant = {True: "yes", False: "no"}.get(record["relevant"], "-")
    console.print(_field("relevant", f"{relevant} ({record['relevance_score']:g})"))
    console.print(_field("flags", " ".join(record["flags"])))
    console.print(_field("topics", "、".join(topic_labels(record["topics"]))))
    for attachment in record["attachments"]:
        console.print(_field("attachment", f"{attachment['title']} {attachment['url']}"))
    console.print()
    console.print(text(record["text"] or "(no text)"))


def print_sources(
    console: Console,
    sources: Sequence[SourceConfig],
    overview: Mapping[str, Any],
    health: Mapping[str, Any] | None = None,
    *,
    as_json: bool,
) -> None:
    """One row per configured source: health state (and since when, why), last run, last
    success, last new article, articles, and the errors of its recent runs by kind."""
    rows = [
        source_record(source, overview.get(source.id), (health or {}).get(source.id))
        for source in sources
    ]
    if as_json:
        for row in rows:
            print(json_line(row))
        return
    table = Table()
    headers = ("id", "name", "state", "since", "last run", "status", "last success")
    for name in (*headers, "last new article", "new", "articles", "recent errors"):
        table.add_column(name)
    for row in rows:
        errors = ", ".join(f"{kind} {count}" for kind, count in row["errors"].items())
        table.add_row(
            text(row["id"]),
            text(row["name"]),
            text(row["state"], _STATE_STYLES.get(row["state"], "")),
            _short(row["state_since"]),
            _short(row["last_run"]),
            text(row["status"]),
            _short(row["last_success"]),
            _short(row["last_new_article"]),
            str(row["new_in_last_run"]),
            str(row["articles"]),
            text(errors or "-"),
        )
    console.print(table)
    for row in rows:
        if row["state"] not in ("ok", "never crawled", "unknown") and row["reason"]:
            console.print(Text.assemble(text(row["id"], "bold"), ": ", text(row["reason"])))


_STATE_STYLES = {
    "ok": "green",
    "quiet": "yellow",
    "degraded": "yellow",
    "broken": "red",
    "blocked": "red",
    "failing": "red",
}


def _short(value: str | None) -> Text:
    """A stored ISO time, to the minute."""
    return Text((value or "-")[:16].replace("T", " "))


@contextmanager
def counting_progress(console: Console, label: str, total: int) -> Iterator[Callable[[int], None]]:
    """A progress bar (terminal) or a closing line; yields the advance(n) callback."""
    progress = Progress(
        TextColumn(label),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
        disable=not console.is_terminal,
    )
    with progress:
        task = progress.add_task(label, total=total)
        yield lambda n: progress.advance(task, n)


def highlighted(snippet: Any, style: str = "bold reverse") -> Text:
    """A ``crawler.search.snippets.Snippet`` as a rich ``Text``: its spans styled, every piece
    shown literally (never markup) after ``clean``."""
    shown = Text()
    position = 0
    for start, end in snippet.highlights:
        shown.append(clean(snippet.text[position:start]))
        shown.append(clean(snippet.text[start:end]), style=style)
        position = end
    shown.append(clean(snippet.text[position:]))
    return shown


def print_search_results(console: Console, results: Sequence[tuple[Any, Any, Any]]) -> None:
    """``search``: per hit (article, title highlight, text snippet), a header line with the
    highlighted title and a line of highlighted text."""
    if not results:
        console.print("no matching articles")
        return
    for article, title, snippet in results:
        published = published_iso(article.published_on, article.published_at)
        relevant = {True: " relevant", False: ""}.get(article.relevant, "")
        header = Text.assemble(
            (f"#{article.id}", "cyan"),
            " ",
            (published[:10] if published else "undated", "dim"),
            " ",
            (clean(article.source_id), "green"),
            (relevant, "yellow"),
            "  ",
        )
        header.append_text(highlighted(title) if title.text else Text("(untitled)", "dim"))
        console.print(header, highlight=False)
        console.print(Text("    ").append_text(highlighted(snippet)), highlight=False)


def print_tokens(console: Console, rows: Sequence[Any], *, as_json: bool = False) -> None:
    """``tokens list``: every API token's id, name, role and dates (never the token)."""

    def iso(value: Any) -> str | None:
        return value.isoformat() if value is not None else None

    if as_json:
        for row in rows:
            record = {
                "id": row.id,
                "name": row.name,
                "role": row.role,
                "created_at": iso(row.created_at),
                "last_used_at": iso(row.last_used_at),
                "revoked_at": iso(row.revoked_at),
            }
            print(json_line(record))
        return
    if not rows:
        console.print("no tokens; create one with `forumwatch tokens create`")
        return
    table = Table()
    for header in ("id", "name", "role", "created", "last used", "revoked"):
        table.add_column(header)
    for row in rows:
        table.add_row(
            str(row.id),
            Text(clean(row.name)),
            row.role,
            _minute(row.created_at),
            _minute(row.last_used_at),
            _minute(row.revoked_at),
        )
    console.print(table)


def _minute(value: Any) -> str:
    return value.strftime("%Y-%m-%d %H:%M") if value is not None else "-"
