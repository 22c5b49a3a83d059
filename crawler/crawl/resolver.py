"""Scrapy's caching DNS resolver, refusing answers that point into private networks.

Installed as ``TWISTED_DNS_RESOLVER``. The downloader middleware ``crawler.crawl.middlewares.netguard``
judges every request before it is queued; this resolver judges the answer again when the
connection is made, so a name that resolved to a public address for the check and to 127.0.0.1
for the connection (DNS rebinding; or with ``DNSCACHE_ENABLED: false``) still cannot reach a
private address. A refused answer fails like an unknown name (``DNSLookupError``).

Reads ``FORUMWATCH_ALLOW_PRIVATE_NETWORKS`` and ``FORUMWATCH_ALLOWED_NETWORKS`` (see
``crawler.discover.addresses``) plus Scrapy's ``DNSCACHE_ENABLED``, ``DNSCACHE_SIZE`` and ``DNS_TIMEOUT``.
Names of the proxies configured in the environment (``http_proxy``...) are exempt: a proxy
on the local network is the user's own choice, not a crawled site's.
"""

from __future__ import annotations

import logging
import urllib.request
from collections.abc import Sequence
from typing import Any, Self
from urllib.parse import urlsplit

from scrapy.resolver import CachingThreadedResolver
from twisted.internet.base import ReactorBase
from twisted.internet.defer import Deferred
from twisted.internet.error import DNSLookupError

from crawler.discover.addresses import AddressPolicy

logger = logging.getLogger(__name__)


class AddressRefused(DNSLookupError):
    """A name resolved to an address the policy refuses; ``reason`` says which and why."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def policy_from_settings(settings: Any) -> AddressPolicy:
    """The address policy of a crawl's settings (a ValueError names a bad network)."""
    return AddressPolicy.build(
        settings.getbool("FORUMWATCH_ALLOW_PRIVATE_NETWORKS", False),
        settings.getlist("FORUMWATCH_ALLOWED_NETWORKS", []),
    )


class GuardedResolver(CachingThreadedResolver):
    """CachingThreadedResolver whose answers (cached or not) must pass the address policy."""

    def __init__(
        self, reactor: ReactorBase, cache_size: int, timeout: float, policy: AddressPolicy
    ) -> None:
        super().__init__(reactor, cache_size, timeout)
        self.policy = policy
        self.exempt = _proxy_hosts()

    @classmethod
    def from_crawler(cls, crawler: Any, reactor: ReactorBase) -> Self:
        settings = crawler.settings
        cache_size = settings.getint("DNSCACHE_SIZE") if settings.getbool("DNSCACHE_ENABLED") else 0
        return cls(
            reactor, cache_size, settings.getfloat("DNS_TIMEOUT"), policy_from_settings(settings)
        )

    def getHostByName(self, name: str, timeout: Sequence[int] = ()) -> Deferred[str]:
        answer = super().getHostByName(name, timeout)
        if self.policy.allows_all or name.lower() in self.exempt:
            return answer
        return answer.addCallback(self._checked, name)

    def _checked(self, address: str, name: str) -> str:
        reason = self.policy.answer_refusal(name, [address])
        if reason is not None:
            logger.warning("refused DNS answer: %s", reason, extra={"host": name})
            raise AddressRefused(reason)
        return address


def _proxy_hosts() -> frozenset[str]:
    hosts: set[str] = set()
    for scheme, proxy in urllib.request.getproxies().items():
        if scheme == "no":  # the no_proxy list, not a proxy
            continue
        try:
            host = urlsplit(proxy if "://" in proxy else f"http://{proxy}").hostname
        except ValueError:
            continue
        if host:
            hosts.add(host.lower())
    return frozenset(hosts)
