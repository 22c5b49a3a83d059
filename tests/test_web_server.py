"""The web app served for real by uvicorn on a free loopback port: in a thread (``WebServer``,
the companion ``forumwatch serve`` runs), and by the CLI (``forumwatch web``, ``forumwatch
serve``) in child processes; tokens made and listed by the CLI."""

from __future__ import annotations

import asyncio
import json
import signal
import socket
import sqlite3
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy.engine import Engine

from crawler.web.app import CONTENT_SECURITY_POLICY, create_app
from crawler.web.server import WebServer, web_companion
from storage import tokens
from storage.db import get_engine, reset_engines, session_scope, upgrade_schema
from tests.faults.hostile import free_port
from tests.fixtures_sites import run_cli, start_cli
from tests.web_fixtures import SOURCES, corpus, make_config, new_token, store_corpus

WAIT = 20.0


@pytest.fixture
def sqlite_engine(tmp_path: Path) -> Iterator[Engine]:
    engine = get_engine(f"sqlite:///{tmp_path / 'fw.db'}")
    upgrade_schema(engine)
    store_corpus(engine, corpus())
    yield engine
    reset_engines()


def config_file(tmp_path: Path, engine: Engine, **web: object) -> Path:
    path = tmp_path / "forumwatch.yaml"
    data = {
        "database": engine.url.render_as_string(hide_password=False),
        "sources": SOURCES,
        "service": {"default_schedule": "1d"},
        "web": web,
    }
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    return path


def wait_until_up(url: str, process: subprocess.Popen[bytes] | None = None) -> None:
    deadline = time.monotonic() + WAIT
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise AssertionError(f"exited with {process.returncode}")
        try:
            if httpx.get(f"{url}/api/health", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            time.sleep(0.1)
    raise AssertionError(f"{url} did not come up")


def stop(process: subprocess.Popen[bytes]) -> int:
    process.send_signal(signal.SIGTERM)
    return process.wait(WAIT)


def test_web_server_thread_answers_real_http(sqlite_engine: Engine) -> None:
    token = new_token(sqlite_engine, "reader")
    server = WebServer(create_app(sqlite_engine, make_config(sqlite_engine)), "127.0.0.1", 0)
    server.start()
    try:
        assert server.port > 0
        with httpx.Client(base_url=server.url, timeout=10) as client:
            health = client.get("/api/health")
            assert health.json() == {"status": "ok"}
            assert health.headers["content-security-policy"] == CONTENT_SECURITY_POLICY
            assert "server" not in health.headers
            assert client.get("/api/articles").status_code == 401
            auth = {"Authorization": f"Bearer {token}"}
            page = client.get("/api/articles", params={"limit": 5}, headers=auth).json()
            assert len(page["items"]) == 5 and page["next_cursor"]
            found = client.get("/api/search", params={"q": "城投"}, headers=auth).json()
            assert found["items"] and all("城投" in i["title"] + i["text"] for i in found["items"])
    finally:
        assert server.stop()
    with pytest.raises(httpx.TransportError):
        httpx.get(f"{server.url}/api/health", timeout=1)


def test_many_tokens_used_at_once_for_the_first_time(sqlite_engine: Engine) -> None:
    """30 requests at once, each with a token never used (each records its first use, a
    write), while a crawl holds the write lock for a second: none waits for a database
    connection it can never get (a request holding its read connection while waiting for a
    writer's drained the pool: every request hung)."""
    fresh = [new_token(sqlite_engine, "reader") for _ in range(30)]
    database = sqlite_engine.url.database
    assert database is not None
    crawl = sqlite3.connect(database, isolation_level=None, check_same_thread=False)
    crawl.execute("BEGIN IMMEDIATE")
    threading.Timer(1.0, lambda: crawl.execute("COMMIT")).start()
    server = WebServer(create_app(sqlite_engine, make_config(sqlite_engine)), "127.0.0.1", 0)
    server.start()
    try:

        async def burst() -> list[int]:
            async with httpx.AsyncClient(base_url=server.url, timeout=WAIT) as client:
                answers = await asyncio.gather(
                    *(
                        client.get("/api/articles", headers={"Authorization": f"Bearer {token}"})
                        for token in fresh
                    )
                )
            return [answer.status_code for answer in answers]

        started = time.monotonic()
        assert asyncio.run(burst()) == [200] * len(fresh)
        assert time.monotonic() - started < WAIT
    finally:
        assert server.stop()
        crawl.close()
    with session_scope(sqlite_engine) as session:
        assert all(row.last_used_at is not None for row in tokens.list_tokens(session=session))


def test_web_companion_survives_a_taken_port_and_follows_reloads(sqlite_engine: Engine) -> None:
    config = make_config(sqlite_engine)
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        blocked = web_companion("127.0.0.1", port)(sqlite_engine, lambda: config)
        blocked.start()  # logged, not raised: the service goes on crawling
        assert blocked.stop()
    current = {"config": config}
    companion = web_companion("127.0.0.1", 0)(sqlite_engine, lambda: current["config"])
    companion.start()
    try:
        wait_until_up(companion.server.url)
        current["config"] = make_config(sqlite_engine, sources=SOURCES[:1])
        companion.wake()
        auth = {"Authorization": f"Bearer {new_token(sqlite_engine, 'reader')}"}
        sources = httpx.get(f"{companion.server.url}/api/sources", headers=auth, timeout=10)
        assert [s["id"] for s in sources.json()] == ["a"]
    finally:
        assert companion.stop()


def test_cli_tokens_and_web(sqlite_engine: Engine, tmp_path: Path) -> None:
    config = config_file(tmp_path, sqlite_engine)
    created = run_cli(config, "tokens", "create", "--role", "admin", "--name", "ops")
    assert created.returncode == 0, created.stderr
    token = created.stdout.strip()
    assert token.startswith("fw_") and len(token) > 40 and "shown once" in created.stderr
    listed = run_cli(config, "tokens", "list", "--json")
    [row] = [json.loads(line) for line in listed.stdout.splitlines()]
    assert (row["name"], row["role"], row["revoked_at"]) == ("ops", "admin", None)
    assert token not in listed.stdout
    assert run_cli(config, "tokens", "create", "--role", "root").returncode == 2
    port = free_port()
    web = start_cli(config, "web", "--port", str(port), log=tmp_path / "web.log")
    try:
        url = f"http://127.0.0.1:{port}"
        wait_until_up(url, web)
        assert httpx.get(f"{url}/api/stories", timeout=5).status_code == 401
        auth = {"Authorization": f"Bearer {token}"}
        assert httpx.get(f"{url}/api/stories", headers=auth, timeout=5).status_code == 200
        revoked = run_cli(config, "tokens", "revoke", str(row["id"]))
        assert revoked.returncode == 0
        assert httpx.get(f"{url}/api/stories", headers=auth, timeout=5).status_code == 401
    finally:
        # uvicorn shuts down gracefully, then dies of the signal it caught (exit 143 in a shell)
        assert stop(web) in (0, -signal.SIGTERM)
    assert "Finished server process" in (tmp_path / "web.log").read_text()
    assert run_cli(config, "tokens", "revoke", str(row["id"])).returncode == 1


def test_serve_serves_the_web_app_unless_told_not_to(sqlite_engine: Engine, tmp_path: Path) -> None:
    port = free_port()
    config = config_file(tmp_path, sqlite_engine, port=port)
    serve = start_cli(config, "serve", log=tmp_path / "serve.log")
    try:
        wait_until_up(f"http://127.0.0.1:{port}", serve)
        assert httpx.get(f"http://127.0.0.1:{port}/api/alerts", timeout=5).status_code == 401
    finally:
        stop(serve)
    quiet = start_cli(config, "serve", "--no-web", log=tmp_path / "quiet.log")
    try:
        deadline = time.monotonic() + WAIT
        log = tmp_path / "quiet.log"
        while "service started" not in log.read_text(errors="replace"):
            assert time.monotonic() < deadline and quiet.poll() is None, log.read_text()
            time.sleep(0.1)
        time.sleep(0.5)
        with pytest.raises(httpx.TransportError):
            httpx.get(f"http://127.0.0.1:{port}/api/health", timeout=1)
    finally:
        stop(quiet)
