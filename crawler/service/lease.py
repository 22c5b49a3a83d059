"""The service's lease on its database: taken at start, renewed by a heartbeat, released on the
way out (``storage.lease`` holds the statements). A second service finds it held and names the
holder; a lease whose holder was killed expires after ``ttl`` and is taken over."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta

from sqlalchemy.engine import Engine

from crawler.crawl.processes import ProcessStamp
from storage import lease as leases
from storage.db import session_scope
from storage.models import ServiceLease

logger = logging.getLogger(__name__)

DEFAULT_TTL = timedelta(seconds=45)
DEFAULT_RENEW = timedelta(seconds=10)


class LeaseHeld(Exception):
    """Another process holds the lease; the message names it."""

    def __init__(self, lease: ServiceLease) -> None:
        self.lease = lease
        super().__init__(
            f"the service already runs on this database: pid {lease.pid} on host {lease.host} "
            f"since {lease.acquired_at:%Y-%m-%d %H:%M:%S} UTC (its lease, renewed every few "
            f"seconds, expires {lease.expires_at:%Y-%m-%d %H:%M:%S} UTC)"
        )


class ServiceLeaseKeeper:
    """The lease of this process on ``engine``'s database."""

    def __init__(
        self,
        engine: Engine,
        process: ProcessStamp,
        *,
        ttl: timedelta = DEFAULT_TTL,
        name: str = leases.SERVICE_LEASE,
    ) -> None:
        self.engine = engine
        self.process = process
        self.ttl = ttl
        self.name = name
        self.holder = f"{process.host}:{process.pid}:{process.start or ''}"

    def acquire(self) -> None:
        """Take the lease, or raise LeaseHeld naming its holder."""
        with session_scope(self.engine, write=True) as session:
            taken, lease = leases.acquire_lease(
                session=session,
                name=self.name,
                holder=self.holder,
                host=self.process.host,
                pid=self.process.pid,
                now=datetime.now(UTC),
                ttl=self.ttl,
            )
        if not taken:
            raise LeaseHeld(lease)

    def renew(self) -> bool:
        """The heartbeat: extend the lease; False when it was lost (taken over after expiry)."""
        with session_scope(self.engine, write=True) as session:
            return leases.renew_lease(
                session=session,
                name=self.name,
                holder=self.holder,
                now=datetime.now(UTC),
                ttl=self.ttl,
            )

    def release(self) -> None:
        try:
            with session_scope(self.engine, write=True) as session:
                leases.release_lease(session=session, name=self.name, holder=self.holder)
        except Exception:  # it expires on its own
            logger.exception("the service lease could not be released; it expires in %s", self.ttl)
