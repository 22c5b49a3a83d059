"""The service's ways in (``python -m scheduler``, ``forumwatch serve``/``schedule``) and its
place in the floor plan: the service imports no face."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_the_service_imports_no_face() -> None:
    code = (
        "import sys, crawler.service.serve;"
        "print(sorted(m for m in ('crawler.cli', 'crawler.views', 'scheduler') if m in sys.modules))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True
    )
    assert result.stdout.strip() == "[]"


def test_python_m_scheduler_runs_the_service(tmp_path: Path) -> None:
    """The entry point reaches the service: a missing configuration stops it at once."""
    missing = tmp_path / "missing.yaml"
    result = subprocess.run(
        [sys.executable, "-m", "scheduler", str(missing)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=60,
    )
    assert result.returncode == 1
    assert "configuration file not found" in result.stderr


def test_schedule_is_a_hidden_alias_of_serve(tmp_path: Path) -> None:
    command = [sys.executable, "-m", "crawler.cli", "--config", str(tmp_path / "none.yaml")]
    listed = subprocess.run([*command, "--help"], capture_output=True, text=True, cwd=ROOT)
    commands = [line.strip("│ ").split(" ")[0] for line in listed.stdout.splitlines()]
    assert "serve" in commands and "schedule" not in commands
    alias = subprocess.run([*command, "schedule"], capture_output=True, text=True, cwd=ROOT)
    assert alias.returncode == 1 and "configuration file not found" in alias.stderr


class Recorder:
    """A companion (as the alert dispatcher is) recording what the service did with it."""

    def __init__(self, engine: object, get_config: object) -> None:
        self.engine, self.get_config = engine, get_config
        self.calls: list[str] = []

    def start(self) -> None:
        self.calls.append("start")

    def stop(self) -> None:
        self.calls.append("stop")

    def wake(self) -> None:
        self.calls.append("wake")


def test_companions_run_while_the_lease_is_held(tmp_path: Path) -> None:
    from crawler.config import parse_config
    from crawler.service.serve import ServeOptions, serve
    from storage.db import get_engine, reset_engines, session_scope, upgrade_schema
    from storage.lease import SERVICE_LEASE, current_lease

    path = tmp_path / "forumwatch.yaml"
    path.write_text(f"database: sqlite:///{tmp_path / 'fw.db'}\nsources: []\n")
    config = parse_config({"database": f"sqlite:///{tmp_path / 'fw.db'}", "sources": []})
    engine = get_engine(config.database)
    upgrade_schema(engine)
    made: list[Recorder] = []

    def factory(engine: object, get_config: object) -> Recorder:
        made.append(Recorder(engine, get_config))
        return made[-1]

    try:
        code = serve(engine, config, str(path), ServeOptions(once=True, companions=[factory]))
        assert code == 0
        [companion] = made
        assert companion.calls == ["start", "stop"]
        assert companion.engine is engine and companion.get_config() is config  # type: ignore[operator]
        with session_scope(engine) as session:
            assert current_lease(session=session, name=SERVICE_LEASE) is None
    finally:
        reset_engines()
