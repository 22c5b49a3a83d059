"""`forumwatch search` and `forumwatch export`: output shapes, hostile text, filters, files."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from crawler.cli import app
from storage import queries
from storage.db import get_engine, reset_engines, session_scope, upgrade_schema
from storage.models import SourceRecord
from tests.test_storage_search import new_article

runner = CliRunner()


@pytest.fixture
def config(tmp_path: Path) -> Path:
    database = tmp_path / "fw.db"
    engine = get_engine(f"sqlite:///{database}")
    upgrade_schema(engine)
    with session_scope(engine, write=True) as session:
        queries.sync_sources(
            session=session,
            sources=[SourceRecord(id="a", name="A", tags=("gov",)), SourceRecord(id="b", name="B")],
        )
        queries.store_articles(
            session=session,
            articles=[
                new_article(
                    1, "[bold red]城投[/]论坛开幕", "城投公司\x1b[2J参加论坛。", source_id="a"
                ),
                new_article(2, '=HYPERLINK("http://x")', "城投平台转型，旧改推进。", source_id="b"),
                new_article(3, "无关", "天气晴朗。", source_id="a", relevant=True),
            ],
        )
    reset_engines()
    path = tmp_path / "forumwatch.yaml"
    path.write_text(
        f"database: sqlite:///{database}\nsources:\n"
        "- id: a\n  name: A\n  tags: [gov]\n  start_urls: ['https://a.example/']\n"
        "- id: b\n  name: B\n  start_urls: ['https://b.example/']\n",
        encoding="utf-8",
    )
    return path


def cli(config: Path, *args: str) -> object:
    result = runner.invoke(app, ["--config", str(config), *args])
    reset_engines()
    return result


def test_search_json_is_articles_json_plus_snippet(config: Path) -> None:
    result = cli(config, "search", "城投", "--json")
    assert result.exit_code == 0, result.output
    records = [json.loads(line) for line in result.stdout.splitlines()]
    assert {r["title"] for r in records} == {"[bold red]城投[/]论坛开幕", '=HYPERLINK("http://x")'}
    listed = json.loads(cli(config, "articles", "--json").stdout.splitlines()[0])
    assert set(records[0]) == set(listed) | {"score", "snippet", "highlights"}
    for record in records:
        assert [record["snippet"][s:e] for s, e in record["highlights"]] == ["城投"]
    filtered = cli(config, "search", "城投", "--json", "--source", "b", "--limit", "5")
    assert [json.loads(line)["source"] for line in filtered.stdout.splitlines()] == ["b"]
    tagged = cli(config, "search", "城投 OR 天气", "--json", "--tag", "gov", "--relevant")
    assert [json.loads(line)["id"] for line in tagged.stdout.splitlines()] == [3]


def test_search_terminal_shows_crawled_text_literally(config: Path) -> None:
    result = cli(config, "search", "论坛")
    assert result.exit_code == 0
    assert "[bold red]城投[/]论坛开幕" in result.stdout
    assert "\x1b[2J" not in result.stdout
    assert "no matching articles" in cli(config, "search", "不存在").stdout


def test_search_usage_errors(config: Path) -> None:
    assert cli(config, "search", "  ").exit_code == 2
    assert cli(config, "search", "城投", "--since", "2024-13-01").exit_code == 2
    assert cli(config, "export", "--format", "xml", "-o", "x").exit_code == 2


def test_export_csv_opens_in_excel_and_never_runs_formulas(config: Path, tmp_path: Path) -> None:
    out = tmp_path / "out.csv"
    result = cli(config, "export", "--format", "csv", "--output", str(out))
    assert result.exit_code == 0, result.output
    raw = out.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.DictReader(raw.decode("utf-8-sig").splitlines(keepends=True)))
    assert [row["id"] for row in rows] == ["1", "2", "3"]
    assert rows[1]["title"] == '\'=HYPERLINK("http://x")'
    assert rows[0]["title"] == "[bold red]城投[/]论坛开幕"
    assert "exported 3 articles" in result.stderr


def test_export_jsonl_with_query_and_filters(config: Path, tmp_path: Path) -> None:
    out = tmp_path / "out.jsonl"
    result = cli(config, "export", "城投 -旧改", "--format", "jsonl", "-o", str(out))
    assert result.exit_code == 0, result.output
    records = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    listed = {
        record["id"]: record
        for record in map(json.loads, cli(config, "articles", "--json").stdout.splitlines())
    }
    assert records == [listed[1]]
    cli(config, "export", "-o", str(out), "--source", "a", "--relevant")
    assert [json.loads(line)["id"] for line in out.read_text(encoding="utf-8").splitlines()] == [3]
