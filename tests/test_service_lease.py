"""The service lease on SQLite and PostgreSQL: two holders, expiry, takeover, release; and the
storage side of the service's crawl runs (last starts, a killed crawl's runs closed)."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

from sqlalchemy.engine import Engine
from sqlmodel import select

from crawler.crawl.processes import ProcessStamp
from crawler.service.lease import LeaseHeld, ServiceLeaseKeeper
from storage import queries, service_runs
from storage.db import session_scope
from storage.lease import acquire_lease, current_lease, release_lease, renew_lease
from storage.models import CrawlRun, SourceRecord

T0 = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
TTL = timedelta(seconds=30)


def take(engine: Engine, holder: str, now: datetime, pid: int = 1) -> tuple[bool, str]:
    with session_scope(engine, write=True) as session:
        taken, lease = acquire_lease(
            session=session, name="serve", holder=holder, host="h", pid=pid, now=now, ttl=TTL
        )
    return taken, lease.holder


def renew(engine: Engine, holder: str, now: datetime) -> bool:
    with session_scope(engine, write=True) as session:
        return renew_lease(session=session, name="serve", holder=holder, now=now, ttl=TTL)


def test_one_holder_at_a_time_until_the_lease_expires(engine: Engine) -> None:
    assert take(engine, "first", T0) == (True, "first")
    assert take(engine, "second", T0 + timedelta(seconds=5), pid=2) == (False, "first")
    # the heartbeat keeps it: still held 25 s after the last renewal
    assert renew(engine, "first", T0 + timedelta(seconds=20))
    assert take(engine, "second", T0 + timedelta(seconds=45), pid=2) == (False, "first")
    # the first holder was killed: no renewal, the lease expires and is taken over
    assert take(engine, "second", T0 + timedelta(seconds=51), pid=2) == (True, "second")
    with session_scope(engine) as session:
        lease = current_lease(session=session, name="serve")
    assert lease is not None and (lease.holder, lease.pid) == ("second", 2)
    assert lease.expires_at == T0 + timedelta(seconds=51) + TTL
    # the old holder, back from a pause, has lost it and cannot renew or release it
    assert not renew(engine, "first", T0 + timedelta(seconds=52))
    with session_scope(engine, write=True) as session:
        assert not release_lease(session=session, name="serve", holder="first")
        assert release_lease(session=session, name="serve", holder="second")
    # released: the next service need not wait for an expiry
    assert take(engine, "third", T0 + timedelta(seconds=53), pid=3) == (True, "third")


def test_racing_services_one_wins(engine: Engine) -> None:
    results: list[bool] = []
    barrier = threading.Barrier(6)

    def race(index: int) -> None:
        barrier.wait(timeout=10)
        taken, _ = take(engine, f"racer{index}", T0, pid=index)
        results.append(taken)

    threads = [threading.Thread(target=race, args=(i,)) for i in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert sorted(results) == [False] * 5 + [True]


def test_the_keeper_names_the_holder(engine: Engine) -> None:
    first = ServiceLeaseKeeper(engine, ProcessStamp("alpha", 4242, "b:1"), ttl=TTL)
    second = ServiceLeaseKeeper(engine, ProcessStamp("beta", 77, "b:2"), ttl=TTL)
    first.acquire()
    try:
        second.acquire()
    except LeaseHeld as held:
        assert "pid 4242 on host alpha since" in str(held)
    else:
        raise AssertionError("a second holder got the lease")
    assert first.renew()
    first.release()
    second.acquire()
    assert not first.renew()


def test_the_runs_of_a_killed_crawl_process(engine: Engine) -> None:
    with session_scope(engine, write=True) as session:
        queries.sync_sources(
            session=session,
            sources=[SourceRecord(id=s, name=s, start_urls=(f"http://{s}.cn/",)) for s in "abc"],
        )
        queries.start_run(session=session, source_id="a", host="h", pid=10)
        done = queries.start_run(session=session, source_id="b", host="h", pid=10)
        queries.finish_run(session=session, run_id=done, status="ok", counts={}, errors=[])
        queries.start_run(session=session, source_id="c", host="h", pid=11)
    since = datetime.now(UTC) - timedelta(minutes=1)
    with session_scope(engine, write=True) as session:
        closed = service_runs.close_process_runs(
            session=session, host="h", pid=10, since=since, status="timeout"
        )
    assert closed == 1
    with session_scope(engine) as session:
        runs = {r.source_id: r for r in session.exec(select(CrawlRun)).all()}
        summary = service_runs.process_runs(session=session, host="h", pid=10, since=since)
        starts = service_runs.last_run_starts(session=session, source_ids=["a", "c", "zz"])
    assert (runs["a"].status, runs["b"].status, runs["c"].status) == ("timeout", "ok", "running")
    assert runs["a"].finished_at is not None
    assert sorted((r.source_id, r.status) for r in summary) == [("a", "timeout"), ("b", "ok")]
    assert set(starts) == {"a", "c"} and starts["a"].tzinfo is not None
