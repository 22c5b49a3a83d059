"""What the CLI shows: progress, summary tables, article listings (rich) and JSON Lines."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from types import TracebackType
from typing import TYPE_CHECKING, Any

from rich.console import Console
from rich.live import Live
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from crawler.config import SourceConfig
from crawler.records import article_record, published_iso, story_record
from crawler.relevance import Relevance, topic_labels
from crawler.spam import find_spam
from crawler.tally import CrawlTally

if TYPE_CHECKING:
    from crawler.runner import CrawlResult

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
            table.add_row(source.id, *(str(counts.get(col, 0)) for col in _COLUMNS))
        if tally is not None:
            totals = tally.totals()
            table.add_row("[bold]all", *(f"[bold]{totals.get(col, 0)}" for col in _COLUMNS))
        return table


def print_crawl_summary(
    console: Console, sources: Sequence[SourceConfig], result: CrawlResult
) -> None:
    table = Table(title=f"crawl finished ({result.finish_reason})", title_justify="left")
    table.add_column("source")
    table.add_column("status")
    for header in _HEADERS:
        table.add_column(header, justify="right")
    for source in sources:
        tally = result.tally.sources[source.id]
        status = tally.status() if result.finish_reason == "finished" else "interrupted"
        style = {"ok": "green", "partial": "yellow"}.get(status, "red")
        table.add_row(
            source.id, f"[{style}]{status}", *(str(tally.counts.get(c, 0)) for c in _COLUMNS)
        )
    totals = result.tally.totals()
    table.add_row("[bold]all", "", *(f"[bold]{totals.get(c, 0)}" for c in _COLUMNS))
    console.print(table)
    for source in sources:
        counts = result.tally.sources[source.id].counts
        notes = [f"{counts[key]} {text}" for key, text in _NOTES.items() if counts.get(key)]
        if notes:
            console.print(f"  note {source.id}: {'; '.join(notes)}", highlight=False, markup=False)
    for source in sources:
        for error in result.tally.sources[source.id].errors[:5]:
            console.print(
                f"  [red]failed[/red] {source.id}: {error['url']} ({error['error']})",
                highlight=False,
            )


def print_json_lines(rows: Iterable[Any]) -> None:
    for row in rows:
        print(json.dumps(article_record(row), ensure_ascii=False))


def print_article_json(
    article: Any, attachments: Sequence[Any], siblings: Sequence[Any] = ()
) -> None:
    """``show --json``: the article's JSON Lines record plus its attachments and story siblings."""
    record = article_record(article)
    record["siblings"] = [
        {"id": s.id, "source": s.source_id, "url": s.url, "title": s.title, "story_id": s.story_id}
        for s in siblings
    ]
    record["attachments"] = [
        {
            "url": attachment.url,
            "title": attachment.title,
            "content_type": attachment.content_type,
            "size": attachment.size,
        }
        for attachment in attachments
    ]
    print(json.dumps(record, ensure_ascii=False))


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
            row.source_id,
            {True: "yes", False: "no"}.get(row.relevant, "-"),
            row.title or "(untitled)",
            " ".join(row.flags or []),
        )
    console.print(table)


def print_article(
    console: Console, article: Any, attachments: Sequence[Any], siblings: Sequence[Any] = ()
) -> None:
    record = article_record(article)
    console.print(f"[bold]{record['title'] or '(untitled)'}[/bold]", highlight=False)
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
        console.print(
            f"[dim]{key}:[/dim] {record[key] if record[key] is not None else '-'}", highlight=False
        )
    console.print(f"[dim]flags:[/dim] {' '.join(record['flags']) or '-'}", highlight=False)
    topics = "、".join(topic_labels(record["topics"])) or "-"
    console.print(f"[dim]topics:[/dim] {topics}", highlight=False)
    event = record["event"]
    if event:
        dates = " to ".join(dict.fromkeys(d for d in (event["start"], event["end"]) if d))
        console.print(
            f"[dim]event:[/dim] {event['name'] or '-'} | {event['city'] or '-'} | {dates or '-'}",
            highlight=False,
        )
    for attachment in attachments:
        console.print(
            f"[dim]attachment:[/dim] {attachment.title or ''} {attachment.url}", highlight=False
        )
    console.print(f"[dim]story:[/dim] {record['story_id'] or '-'}", highlight=False)
    for sibling in siblings:
        same = "same story" if sibling.story_id == article.story_id else "same event"
        console.print(
            f"[dim]  {same}:[/dim] #{sibling.id} {sibling.source_id} {sibling.title or ''} "
            f"{sibling.url}",
            highlight=False,
        )
    console.print()
    console.print(record["text"], highlight=False, markup=False)


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
            record["title"] or "(untitled)",
            original["source"] if original else "-",
        )
    console.print(table)


def print_explanation(console: Console, article: Any, relevance: Relevance) -> None:
    """``explain``: the rules that fired for an article, with weights, and the verdict."""
    verdict = "relevant" if relevance.relevant else "not relevant"
    console.print(f"[bold]{article.title or '(untitled)'}[/bold]", highlight=False)
    console.print(
        f"score {relevance.score:g} (threshold {relevance.threshold:g}): {verdict}",
        highlight=False,
    )
    table = Table()
    for name in ("rule", "where", "weight", "matched"):
        table.add_column(name, overflow="fold")
    for signal in relevance.signals:
        table.add_row(signal.rule, signal.where, f"{signal.weight:+g}", signal.matched)
    console.print(table if relevance.signals else "no rule fired")
    console.print(f"topics: {'、'.join(topic_labels(relevance.topics)) or '-'}", highlight=False)
    flags = " ".join(article.flags or []) or "-"
    console.print(f"flags: {flags}", highlight=False)
    for snippet in find_spam(f"{article.title or ''}\n{article.text}"):
        console.print(f"spam: {snippet}", highlight=False, markup=False)


def print_extracted(console: Console, record: Mapping[str, Any]) -> None:
    """``extract`` without ``--json``: one extraction record, readable."""
    console.rule(str(record["input"]))
    console.print(f"[bold]{record['title'] or '(untitled)'}[/bold]", highlight=False)
    for key in ("published_at", "author", "origin", "site_name", "language", "encoding"):
        console.print(f"[dim]{key}:[/dim] {record[key] or '-'}", highlight=False)
    relevant = {True: "yes", False: "no"}.get(record["relevant"], "-")
    console.print(
        f"[dim]relevant:[/dim] {relevant} ({record['relevance_score']:g})", highlight=False
    )
    console.print(f"[dim]flags:[/dim] {' '.join(record['flags']) or '-'}", highlight=False)
    topics = "、".join(topic_labels(record["topics"])) or "-"
    console.print(f"[dim]topics:[/dim] {topics}", highlight=False)
    for attachment in record["attachments"]:
        console.print(
            f"[dim]attachment:[/dim] {attachment['title']} {attachment['url']}", highlight=False
        )
    console.print()
    console.print(record["text"] or "(no text)", highlight=False, markup=False)


def print_sources(
    console: Console, sources: Sequence[SourceConfig], overview: Mapping[str, Any], *, as_json: bool
) -> None:
    rows: list[dict[str, Any]] = []
    for source in sources:
        info = overview.get(source.id)
        run = info.last_run if info else None
        rows.append(
            {
                "id": source.id,
                "name": source.name,
                "last_run": run.started_at.isoformat() if run else None,
                "status": run.status if run else "never crawled",
                "new_in_last_run": run.new_articles if run else 0,
                "failed_in_last_run": run.failed if run else 0,
                "articles": info.article_count if info else 0,
            }
        )
    if as_json:
        for row in rows:
            print(json.dumps(row, ensure_ascii=False))
        return
    table = Table()
    for name in ("id", "name", "last run", "status", "new", "failed", "articles"):
        table.add_column(name)
    for row in rows:
        table.add_row(
            row["id"],
            row["name"],
            (row["last_run"] or "-")[:19],
            row["status"],
            str(row["new_in_last_run"]),
            str(row["failed_in_last_run"]),
            str(row["articles"]),
        )
    console.print(table)


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
