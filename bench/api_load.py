"""HTTP API under load: concurrent clients searching and reading while articles are written.

Run: ``.venv/bin/python bench/api_load.py [--articles 20000] [--clients 20] [--seconds 30]``
(``make bench-api``; part of ``make bench``). A temp SQLite database gets the realistic Chinese
corpus of ``bench/searchcorpus.py`` (indexed for search) and an API token; then, at once:

- the web app served by ``forumwatch web`` (a real uvicorn server, one process) on a free port;
- a writer process storing new articles through the crawl's store path (extraction analysis,
  ``CrawlStore.store_batch``: articles, search index, story assignment in one write
  transaction), ``--write-batch`` articles every ``--write-every`` seconds;
- ``--clients`` concurrent HTTP clients (asyncio + httpx, keep-alive), each looping over: a
  search (2-, 3-, 4+-character and boolean queries, half with filters, as the UI asks: 20
  hits with snippets), a page of ``/api/articles`` (and the next by cursor), one article in
  full.

Prints requests/s, p50/p95/p99 per kind and overall, the errors (any answer but 200, any
transport error; "database is locked" counted on its own, from answers and the server's log)
and what the writer stored; one JSON line at the end. Exits 1 when any request failed.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter, defaultdict
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402

QUERIES = (
    "城投",
    "论坛",
    "峰会",
    "改造",
    "城中村",
    "新能源",
    "高质量",
    "新质生产力",
    "老旧小区改造",
    "城市更新",
    "海绵城市建设",
    "城投 论坛",
    '"城市更新" OR 旧改',
    "城市更新 -征求意见",
    "5G",
)
FILTERS: tuple[dict[str, Any], ...] = (
    {},
    {"relevant": "true"},
    {"since": "2023-01-01"},
    {"tag": "gov"},
    {"since": "2021-01-01", "until": "2021-12-31"},
)
LOCKED = "database is locked"


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))] if ordered else 0.0


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


# -- the database -----------------------------------------------------------------------------


def prepare(folder: Path, articles: int) -> tuple[str, str, Path]:
    """A database with the corpus and a reader token; the URL, the token, a config file."""
    from bench.searchcorpus import SOURCES, write_corpus
    from storage import search, tokens
    from storage.db import close_engines, get_engine, session_scope, upgrade_schema

    url = f"sqlite:///{folder / 'fw.db'}"
    engine = get_engine(url)
    upgrade_schema(engine)
    with session_scope(engine, write=True) as session:
        write_corpus(session.connection(), articles)
        search.apply_pending(session=session)
        _row, token = tokens.create_token(session=session, name="bench", role="reader")
    close_engines()
    config = folder / "forumwatch.yaml"
    sources = [{"id": s, "name": s, "start_urls": [f"https://{s}.example/"]} for s in SOURCES]
    config.write_text(json.dumps({"database": url, "sources": sources}), encoding="utf-8")
    return url, token, config


# -- the writer process -----------------------------------------------------------------------


def writer(url: str, first: int, batch: int, every: float, seconds: float) -> None:
    """Store ``batch`` new articles every ``every`` seconds for ``seconds``, as a crawl stores
    them; print one JSON line of what was stored."""
    import zlib

    from bench.searchcorpus import corpus_rows
    from crawler.crawl.article_builder import article_content
    from crawler.crawl.store import CrawlStore
    from crawler.extract.extraction import ExtractedArticle
    from storage.db import close_engines, get_engine
    from storage.models import NewArticle

    store = CrawlStore(get_engine(url))
    rows = corpus_rows(10**7, seed=99, first=first)
    stored, errors, durations = 0, Counter[str](), []
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        started = time.monotonic()
        items = []
        for row in (next(rows) for _ in range(batch)):
            extracted = ExtractedArticle(
                title=row["title"],
                text=row["text"],
                published_on=row["published_on"],
                published_at=None,
                author=None,
                origin=None,
                site_name=None,
                language=row["language"],
                encoding="utf-8",
                attachments=(),
            )
            fetched = datetime.now(UTC)
            content = article_content(extracted, fetched_at=fetched)
            article = NewArticle(
                source_id=row["source_id"],
                url=row["url"],
                canonical_url=row["canonical_url"],
                fetched_at=fetched,
                raw_html_compressed=zlib.compress(row["text"].encode()),
                **content,
            )
            items.append((article, []))
        try:
            store_started = time.monotonic()
            stored += len([i for i in store.store_batch(items).article_ids if i is not None])
            durations.append(time.monotonic() - store_started)
        except Exception as error:  # noqa: BLE001 - counted and reported
            errors[f"{type(error).__name__}: {str(error)[:80]}"] += 1
        time.sleep(max(0.0, every - (time.monotonic() - started)))
    close_engines()
    print(
        json.dumps(
            {
                "stored": stored,
                "batches": len(durations),
                "store_p95_ms": round(percentile(durations, 0.95) * 1000, 1),
                "errors": dict(errors),
            }
        ),
        flush=True,
    )


# -- the clients ------------------------------------------------------------------------------


class Tally:
    def __init__(self) -> None:
        self.latencies: dict[str, list[float]] = defaultdict(list)
        self.errors: Counter[str] = Counter()
        self.locked = 0

    def record(self, kind: str, seconds: float, answer: httpx.Response | None, error: str = "") -> None:
        self.latencies[kind].append(seconds)
        if answer is not None and answer.status_code != 200:
            self.errors[f"{kind}: HTTP {answer.status_code}"] += 1
            if LOCKED in answer.text:
                self.locked += 1
        elif error:
            self.errors[f"{kind}: {error}"] += 1


async def timed(
    client: httpx.AsyncClient, tally: Tally, kind: str, path: str, params: dict[str, Any]
) -> dict[str, Any] | None:
    started = time.perf_counter()
    try:
        answer = await client.get(path, params=params)
    except httpx.HTTPError as error:
        tally.record(kind, time.perf_counter() - started, None, type(error).__name__)
        return None
    tally.record(kind, time.perf_counter() - started, answer)
    return answer.json() if answer.status_code == 200 else None


async def client_loop(
    client: httpx.AsyncClient, tally: Tally, rng: random.Random, articles: int, until: float
) -> None:
    while time.monotonic() < until:
        roll = rng.random()
        if roll < 0.5:
            params = {"q": rng.choice(QUERIES), "limit": 20, **rng.choice(FILTERS)}
            await timed(client, tally, "search", "/api/search", params)
        elif roll < 0.75:
            page = await timed(client, tally, "articles", "/api/articles", {"limit": 20})
            if page and page.get("next_cursor"):
                params = {"limit": 20, "cursor": page["next_cursor"]}
                await timed(client, tally, "articles", "/api/articles", params)
        else:
            path = f"/api/articles/{rng.randint(1, articles)}"
            await timed(client, tally, "article", path, {})


async def load(base: str, token: str, clients: int, seconds: float, articles: int) -> Tally:
    tally = Tally()
    until = time.monotonic() + seconds
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    headers = {"Authorization": f"Bearer {token}"}
    async with httpx.AsyncClient(
        base_url=base, headers=headers, limits=limits, timeout=60
    ) as client:
        await asyncio.gather(
            *(
                client_loop(client, tally, random.Random(n), articles, until)
                for n in range(clients)
            )
        )
    return tally


# -- the run ----------------------------------------------------------------------------------


def start_server(config: Path, port: int, log: Path) -> subprocess.Popen[bytes]:
    command = [sys.executable, "-c", "from crawler.cli import main; main()"]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    with log.open("wb") as out:
        server = subprocess.Popen(
            [*command, "--config", str(config), "web", "--port", str(port)],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/api/health", timeout=1).status_code == 200:
                return server
        except httpx.TransportError:
            time.sleep(0.1)
    server.kill()
    raise SystemExit(f"the server did not start: {log.read_text()}")


def stats(values: list[float]) -> dict[str, float]:
    return {
        "count": len(values),
        "p50_ms": round(statistics.median(values) * 1000, 1) if values else 0.0,
        "p95_ms": round(percentile(values, 0.95) * 1000, 1),
        "p99_ms": round(percentile(values, 0.99) * 1000, 1),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--articles", type=int, default=20_000)
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--write-batch", type=int, default=10)
    parser.add_argument("--write-every", type=float, default=1.0)
    parser.add_argument("--writer", nargs=2, metavar=("URL", "FIRST"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.writer:
        writer(args.writer[0], int(args.writer[1]), args.write_batch, args.write_every, args.seconds)
        return 0
    with tempfile.TemporaryDirectory(prefix="fw-api-load-") as tmp:
        folder = Path(tmp)
        began = time.monotonic()
        url, token, config = prepare(folder, args.articles)
        print(f"corpus: {args.articles} articles in {time.monotonic() - began:.1f} s")
        port = free_port()
        log = folder / "web.log"
        server = start_server(config, port, log)
        write = subprocess.Popen(
            [
                sys.executable,
                __file__,
                "--writer",
                url,
                str(args.articles + 1),
                "--write-batch",
                str(args.write_batch),
                "--write-every",
                str(args.write_every),
                "--seconds",
                str(args.seconds),
            ],
            stdout=subprocess.PIPE,
            text=True,
        )
        try:
            started = time.monotonic()
            tally = asyncio.run(
                load(f"http://127.0.0.1:{port}", token, args.clients, args.seconds, args.articles)
            )
            elapsed = time.monotonic() - started
            out, _ = write.communicate(timeout=args.seconds + 60)
        finally:
            server.send_signal(signal.SIGTERM)
            server.wait(30)
            if write.poll() is None:
                write.kill()
        written = json.loads(out.strip().splitlines()[-1])
        server_log = log.read_text(errors="replace")
    everything = [v for values in tally.latencies.values() for v in values]
    locked = tally.locked + server_log.count(LOCKED)
    errors = sum(tally.errors.values()) + sum(written["errors"].values())
    result = {
        "clients": args.clients,
        "seconds": round(elapsed, 1),
        "requests": len(everything),
        "requests_per_s": round(len(everything) / elapsed, 1),
        **{k: v for k, v in stats(everything).items() if k != "count"},
        "by_kind": {kind: stats(values) for kind, values in sorted(tally.latencies.items())},
        "errors": errors,
        "error_kinds": dict(tally.errors),
        "database_is_locked": locked,
        "server_tracebacks": server_log.count("Traceback"),
        "written": written,
    }
    print(f"{args.clients} clients, {result['seconds']} s, corpus {args.articles} articles (SQLite)")
    print(
        f"  all: {result['requests']} requests, {result['requests_per_s']} req/s, "
        f"p50 {result['p50_ms']} ms, p95 {result['p95_ms']} ms, p99 {result['p99_ms']} ms"
    )
    for kind, figures in result["by_kind"].items():
        print(
            f"  {kind:9}: {figures['count']:6} requests, p50 {figures['p50_ms']} ms, "
            f"p95 {figures['p95_ms']} ms, p99 {figures['p99_ms']} ms"
        )
    print(
        f"  writer: {written['stored']} articles stored in {written['batches']} transactions "
        f"(p95 {written['store_p95_ms']} ms) while serving"
    )
    print(
        f"  errors: {errors} (database is locked: {locked}; server tracebacks: "
        f"{result['server_tracebacks']}) {dict(tally.errors) or ''}{written['errors'] or ''}"
    )
    print(json.dumps(result, ensure_ascii=False))
    return 1 if errors or locked or result["server_tracebacks"] else 0


if __name__ == "__main__":
    sys.exit(main())
