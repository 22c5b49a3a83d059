"""The network guard: only http(s) requests, and none to private addresses unless allowed.

A downloader middleware placed first (order 50), so it judges every request the downloader gets:
start URLs, links, every redirect and meta-refresh hop (a redirected request passes through the
downloader middlewares again) and robots.txt fetches (the robots.txt middleware sends them
through the engine too), before robots.txt is asked and before anything is queued.

1. The scheme must be http or https (``file:``, ``data:``, ``ftp:``, ``s3:`` handlers are also
   switched off in ``settings.py``, so a request that got past this still reads nothing local).
2. Unless ``FORUMWATCH_ALLOW_PRIVATE_NETWORKS`` (the config's ``allow_private_networks``) is on,
   an IP-literal host in any spelling is judged by ``crawler.discover.addresses``, and a name by the address
   it resolves to. Resolution goes through the reactor's resolver, whose cache the connection then
   uses; ``crawler.crawl.resolver.GuardedResolver`` checks the answer again at connection time.
   ``FORUMWATCH_ALLOWED_NETWORKS`` lists networks allowed anyway (CIDR).

A refused request raises ``Refused`` (an ``IgnoreRequest``): the request's errback counts it as a
failure of its source with the reason (``Refused: 127.0.0.1 is a loopback address ...``), the
``forumwatch/refused`` stat counts it, and the crawl goes on. A name that does not resolve is
let through: the download fails with the usual DNS error.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any, Self

from scrapy.exceptions import IgnoreRequest
from scrapy.http import Request
from scrapy.utils.defer import maybe_deferred_to_future
from scrapy.utils.httpobj import urlparse_cached

from crawler.crawl.resolver import AddressRefused, policy_from_settings
from crawler.discover.addresses import AddressPolicy, parse_host
from crawler.discover.urls import HTTP_SCHEMES

logger = logging.getLogger(__name__)

Resolve = Callable[[str], Awaitable[str]]
_HINT = " (allow_private_networks is false)"


class Refused(IgnoreRequest):
    """A request forumwatch will not make: not http(s), or to an address it must not reach."""


class NetworkGuardMiddleware:
    """Refuses requests that are not http(s) or that lead to a private address."""

    def __init__(
        self, policy: AddressPolicy, *, resolve: Resolve | None = None, stats: Any = None
    ) -> None:
        self.policy = policy
        self.resolve = resolve or _reactor_resolve
        self.stats = stats

    @classmethod
    def from_crawler(cls, crawler: Any) -> Self:
        try:
            policy = policy_from_settings(crawler.settings)
        except ValueError as error:
            raise ValueError(f"FORUMWATCH_ALLOWED_NETWORKS: {error}") from None
        return cls(policy, stats=crawler.stats)

    async def process_request(self, request: Request) -> None:
        reason = await self.refusal(request)
        if reason is None:
            return
        logger.info("refused request: %s", reason, extra={"url": request.url})
        if self.stats is not None:
            self.stats.inc_value("forumwatch/refused")
        raise Refused(reason)

    async def refusal(self, request: Request) -> str | None:
        """Why the request must not be made, or None."""
        parts = urlparse_cached(request)
        scheme = parts.scheme.lower()
        if scheme not in HTTP_SCHEMES:
            return f"{scheme or 'scheme-less'} URLs are never fetched (only http and https)"
        if self.policy.allows_all:
            return None
        host = parts.hostname
        if not host:
            return "the URL names no host"
        if parse_host(host) is not None:
            reason = self.policy.host_refusal(host)
            return reason + _HINT if reason else None
        try:
            address = await self.resolve(host)
        except AddressRefused as error:
            return error.reason + _HINT
        except Exception:  # not resolvable now: the download reports the DNS error
            return None
        reason = self.policy.answer_refusal(host, [address])
        return reason + _HINT if reason else None


async def _reactor_resolve(host: str) -> str:
    """The reactor's answer for ``host``: through the installed resolver and its cache, which
    the connection uses next."""
    from twisted.internet import reactor

    core: Any = reactor
    address: str = await maybe_deferred_to_future(core.resolve(host))
    return address
