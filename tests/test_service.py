"""The service: one job per source with the APScheduler habits, and its two ways in
(``python -m scheduler``, ``forumwatch schedule``) without either face importing the other."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from crawler.config import parse_config
from crawler.service import DEFAULT_SCHEDULE, MISFIRE_GRACE_SECONDS, build_scheduler

ROOT = Path(__file__).resolve().parents[1]


def test_one_job_per_source() -> None:
    config = parse_config(
        {
            "sources": [
                {"id": "a", "name": "A", "start_urls": ["http://a.example.cn/"]},
                {
                    "id": "b",
                    "name": "B",
                    "start_urls": ["http://b.example.cn/"],
                    "schedule": "*/10 * * * *",
                },
            ]
        }
    )
    scheduler = build_scheduler(config, "forumwatch.yaml")
    jobs = {job.id: job for job in scheduler.get_jobs()}
    assert set(jobs) == {"crawl:a", "crawl:b"}
    assert DEFAULT_SCHEDULE == "1h" and isinstance(jobs["crawl:a"].trigger, IntervalTrigger)
    assert jobs["crawl:a"].trigger.interval.total_seconds() == 3600
    assert isinstance(jobs["crawl:b"].trigger, CronTrigger)
    for job in jobs.values():
        assert job.max_instances == 1 and job.coalesce
        assert job.misfire_grace_time == MISFIRE_GRACE_SECONDS
    assert jobs["crawl:b"].args == ("forumwatch.yaml", "b")


def test_the_service_imports_no_face() -> None:
    code = (
        "import sys, crawler.service;"
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
