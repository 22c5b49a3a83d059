"""The CLI's contract: config errors, exit codes, JSON shapes of `extract`."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from crawler.cli import app, crawl_outcome
from crawler.crawl.runner import CrawlResult
from crawler.crawl.tally import CrawlTally

runner = CliRunner()

PAGE = """<html><head><meta charset="utf-8"><title>2024城市更新论坛在杭州举行_示例市人民政府</title></head>
<body><div class="nav"><a href="/">首页</a></div><div id="position">当前位置：首页 &gt; 新闻</div>
<h1>2024城市更新论坛在杭州举行</h1><div class="info">发布时间：2024年11月04日 10:30 来源：人民资讯</div>
<div class="content"><p>11月3日，2024城市更新论坛在杭州举行，来自全国的三百余位嘉宾参加论坛。</p>
<p>论坛围绕城市更新与城市治理展开讨论，多位市长作主旨演讲，并发布了城市更新白皮书。</p></div>
<div class="footer">版权所有：示例市人民政府 ICP备12345678号</div></body></html>"""


def test_bad_config_names_file_and_field_and_touches_no_database(tmp_path: Path) -> None:
    config = tmp_path / "bad.yaml"
    database = tmp_path / "db.sqlite"
    config.write_text(
        f"database: sqlite:///{database}\nsources:\n- id: x\n  name: X\n  start_urls: [notaurl]\n",
        encoding="utf-8",
    )
    result = runner.invoke(app, ["--config", str(config), "crawl"])
    assert result.exit_code == 1
    assert str(config) in result.output
    assert "sources[0] (id=x).start_urls" in result.output
    assert not database.exists()


def test_unknown_source_id_exits_1(tmp_path: Path) -> None:
    config = tmp_path / "c.yaml"
    config.write_text(
        f"database: sqlite:///{tmp_path / 'db.sqlite'}\n"
        "sources:\n- id: x\n  name: X\n  start_urls: ['http://127.0.0.1:9/']\n",
        encoding="utf-8",
    )
    result = runner.invoke(app, ["--config", str(config), "crawl", "nope"])
    assert result.exit_code == 1
    assert "unknown source id(s): nope" in result.output


def test_extract_json_one_object_per_input_in_order(tmp_path: Path) -> None:
    page = tmp_path / "page.html"
    page.write_bytes(PAGE.encode("gb18030").replace(b"utf-8", b"gbk"))
    missing = tmp_path / "missing.html"
    result = runner.invoke(app, ["extract", "--json", str(page), str(missing), str(page)])
    lines = [json.loads(line) for line in result.stdout.splitlines() if line.startswith("{")]
    assert [line["input"] for line in lines] == [str(page), str(missing), str(page)]
    first = lines[0]
    assert first["title"] == "2024城市更新论坛在杭州举行"
    assert first["published_at"] == "2024-11-04T10:30:00+08:00"
    assert first["origin"] == "人民资讯"
    assert first["language"] == "zh"
    assert "三百余位嘉宾" in first["text"]
    assert "版权所有" not in first["text"] and "当前位置" not in first["text"]
    assert "error" in lines[1]


def test_extract_options_force_the_encoding_and_keep_traditional(tmp_path: Path) -> None:
    page = tmp_path / "page.html"
    title = "城市發展論壇在臺北舉行"
    page.write_bytes(  # Big5 that declares UTF-8: read right only with the encoding forced
        f'<html><head><meta charset="utf-8"><title>{title}</title></head><body><h1>{title}</h1>'
        f"<div class='content'><p>{'來自全國的三百餘位嘉賓參加論壇，共商城市更新。' * 4}</p></div>"
        "</body></html>".encode("big5")
    )
    guessed = json.loads(runner.invoke(app, ["extract", "--json", str(page)]).stdout)
    assert guessed["title"] != "城市发展论坛在台北举行"
    forced = json.loads(
        runner.invoke(app, ["extract", "--json", "--encoding", "big5", str(page)]).stdout
    )
    assert forced["title"] == "城市发展论坛在台北举行" and forced["encoding"] == "big5hkscs"
    kept = runner.invoke(
        app, ["extract", "--json", "--encoding", "big5", "--keep-traditional", str(page)]
    )
    assert json.loads(kept.stdout)["title"] == title


def _result(
    statuses: dict[str, tuple[int, int]], reason: str = "finished", signum: int | None = None
) -> CrawlResult:
    """A crawl result whose sources read ``lists`` list pages and had ``failed`` failures."""
    tally = CrawlTally(list(statuses))
    for source_id, (lists, failed) in statuses.items():
        tally.count(source_id, "list_pages", lists)
        for n in range(failed):
            tally.error(source_id, f"http://127.0.0.1/{n}", "refused")
    return CrawlResult(tally=tally, stats={}, finish_reason=reason, signal=signum)


def test_crawl_exit_codes() -> None:
    cases = [
        ({"a": (1, 0), "b": (0, 1)}, "finished", None, 0),  # one read, one dead: a normal day
        ({"a": (1, 3)}, "finished", None, 0),  # some pages failed
        ({"a": (0, 0)}, "finished", None, 0),  # nothing to read (robots.txt), nothing failed
        ({"a": (0, 1), "b": (0, 2)}, "finished", None, 3),  # every source failed
        ({"a": (1, 0)}, "closespider_timeout", None, 4),
        ({"a": (1, 0)}, "shutdown", 15, 143),
        ({"a": (1, 0)}, "shutdown", 2, 130),
    ]
    for statuses, reason, signum, code in cases:
        result = _result(statuses, reason, signum)
        assert crawl_outcome(result, list(statuses))[0] == code, (statuses, reason, signum)
