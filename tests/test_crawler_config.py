"""Configuration: lookup order, validation errors that name file, field and problem."""

from __future__ import annotations

from pathlib import Path

import pytest

from crawler.config import ConfigError, load_config


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "forumwatch.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_valid_config_with_defaults(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("FORUMWATCH_DATABASE_URL", raising=False)
    path = _write(
        tmp_path, "sources:\n- id: jm\n  name: 荆门\n  start_urls: [http://127.0.0.1/x/]\n"
    )
    config = load_config(path)
    assert config.database == "sqlite:///data/forumwatch.db"
    assert config.sources[0].max_list_pages == 20


def test_env_lookup_and_database_override(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = _write(tmp_path, "database: sqlite:///a.db\nsources: []\n")
    monkeypatch.setenv("FORUMWATCH_CONFIG", str(path))
    monkeypatch.setenv("FORUMWATCH_DATABASE_URL", "sqlite:///b.db")
    assert load_config().database == "sqlite:///b.db"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("sourcez: []\n", "sourcez: unknown field"),
        (
            "sources:\n- id: a\n  name: A\n",
            "sources[0] (id=a).start_urls: required field is missing",
        ),
        ("sources:\n- id: a\n  name: A\n  start_urls: [ftp://x]\n", "is not an http(s) URL"),
        (
            "sources:\n- id: a\n  name: A\n  start_urls: [http://x/]\n  encoding: klingon\n",
            "unknown encoding",
        ),
        (
            "sources:\n- id: a\n  name: A\n  start_urls: [http://x/]\n  max_list_pages: 0\n",
            "max_list_pages",
        ),
        ("sources: [\n", "not valid YAML"),
        (
            "sources:\n- {id: a, name: A, start_urls: ['http://x/']}\n- {id: a, name: B, start_urls: ['http://y/']}\n",
            "duplicate source id 'a'",
        ),
    ],
)
def test_errors_name_file_field_and_problem(tmp_path: Path, text: str, expected: str) -> None:
    path = _write(tmp_path, text)
    with pytest.raises(ConfigError) as info:
        load_config(path)
    message = str(info.value)
    assert str(path) in message
    assert expected in message


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="not found"):
        load_config(tmp_path / "nope.yaml")
