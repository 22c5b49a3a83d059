"""The rule against private addresses and non-http schemes: the classifier, the policy, the
downloader middleware, the DNS resolver, the crawl's settings and ``forumwatch extract``'s fetcher
(loopback only; no DNS beyond ``localhost``)."""

from __future__ import annotations

import asyncio
import ipaddress
from collections.abc import Iterator
from typing import Any

import pytest
from scrapy.core.downloader.handlers import DownloadHandlers
from scrapy.http import Request
from scrapy.resolver import dnscache
from scrapy.utils.test import get_crawler
from twisted.internet.defer import Deferred
from twisted.python.failure import Failure

from crawler.config import parse_config
from crawler.crawl.configure import NETWORK_GUARD
from crawler.crawl.fetch_one import Refused as ExtractRefused
from crawler.crawl.fetch_one import _checked_connection, check_url, fetch_url
from crawler.crawl.middlewares.netguard import NetworkGuardMiddleware, Refused
from crawler.crawl.resolver import AddressRefused, GuardedResolver
from crawler.crawl.runner import build_settings
from crawler.discover.addresses import AddressPolicy, address_kind, parse_host
from tests.faults.hostile import HostileSite, html, redirect

STRICT = AddressPolicy()
LOOPBACK_ONLY = AddressPolicy.build(False, ["127.0.0.1/32"])

REFUSED_HOSTS = {
    # every spelling of loopback a resolver or browser accepts
    "127.0.0.1": "127.0.0.1",
    "127.0.0.2": "127.0.0.2",
    "127.1": "127.0.0.1",
    "0x7f000001": "127.0.0.1",
    "0X7F000001": "127.0.0.1",
    "2130706433": "127.0.0.1",
    "0177.0.0.1": "127.0.0.1",
    "0x7f.0.0.1": "127.0.0.1",
    "017700000001": "127.0.0.1",
    "127.0.0.1.": "127.0.0.1",
    "[::1]": "::1",
    "::1": "::1",
    "[::ffff:7f00:1]": "::ffff:7f00:1",
    "[::ffff:127.0.0.1]": "::ffff:7f00:1",
    "[64:ff9b::7f00:1]": "64:ff9b::7f00:1",
    "[2002:7f00:1::]": "2002:7f00:1::",
    # unspecified, private, shared, link-local, metadata, multicast, reserved
    "0.0.0.0": "0.0.0.0",
    "0": "0.0.0.0",
    "[::]": "::",
    "10.1.2.3": "10.1.2.3",
    "172.16.0.1": "172.16.0.1",
    "172.31.255.255": "172.31.255.255",
    "192.168.1.1": "192.168.1.1",
    "100.64.0.1": "100.64.0.1",
    "100.100.100.200": "100.100.100.200",
    "169.254.169.254": "169.254.169.254",
    "0xa9fea9fe": "169.254.169.254",
    "[fd00:ec2::254]": "fd00:ec2::254",
    "[fc00::1]": "fc00::1",
    "[fe80::1%25eth0]": "fe80::1",
    "[fec0::1]": "fec0::1",
    "224.0.0.1": "224.0.0.1",
    "[ff02::1]": "ff02::1",
    "240.0.0.1": "240.0.0.1",
    "255.255.255.255": "255.255.255.255",
    "192.0.2.10": "192.0.2.10",
    "198.18.0.1": "198.18.0.1",
    "[2001:db8::1]": "2001:db8::1",
}
PUBLIC_HOSTS = {
    "8.8.8.8": "8.8.8.8",
    "1.1.1.1": "1.1.1.1",
    "114.114.114.114": "114.114.114.114",
    "172.32.0.1": "172.32.0.1",
    "100.128.0.1": "100.128.0.1",
    "[2400:3200::1]": "2400:3200::1",
    "[::ffff:808:808]": "::ffff:808:808",
    "[2002:808:808::]": "2002:808:808::",
    "134744072": "8.8.8.8",
}
NAMES = ["www.gov.cn", "localhost", "1.2.3.4.5", "256.0.0.1", "0x7g", "x", "08.1.1.1"]


@pytest.mark.parametrize(("host", "address"), sorted({**REFUSED_HOSTS, **PUBLIC_HOSTS}.items()))
def test_ip_literals_in_every_spelling_are_read_as_their_address(host: str, address: str) -> None:
    assert parse_host(host.replace("%25", "%")) == ipaddress.ip_address(address)


@pytest.mark.parametrize("host", NAMES)
def test_names_are_no_literals(host: str) -> None:
    assert parse_host(host) is None
    assert STRICT.host_refusal(host) is None  # judged by what they resolve to


@pytest.mark.parametrize("host", sorted(REFUSED_HOSTS))
def test_non_public_addresses_are_refused(host: str) -> None:
    """Loopback, private, shared, link-local, metadata, multicast, reserved: refused by default,
    allowed with allow_private_networks."""
    assert STRICT.host_refusal(host.replace("%25", "%")) is not None
    assert AddressPolicy(allow_private=True).host_refusal(host.replace("%25", "%")) is None


@pytest.mark.parametrize("host", sorted(PUBLIC_HOSTS))
def test_public_addresses_are_allowed(host: str) -> None:
    assert STRICT.host_refusal(host) is None


def test_refusals_name_the_address_and_its_kind() -> None:
    assert STRICT.host_refusal("0x7f000001") == "0x7f000001 is 127.0.0.1, a loopback address"
    assert STRICT.host_refusal("169.254.169.254") == "169.254.169.254 is a cloud metadata address"
    assert STRICT.host_refusal("[::ffff:7f00:1]") == (
        "::ffff:7f00:1 is a loopback address (IPv4 127.0.0.1)"
    )
    assert STRICT.host_refusal("0.0.0.0") == "0.0.0.0 is an unspecified address"
    assert STRICT.answer_refusal("evil.example", ["8.8.8.8", "10.0.0.5"]) == (
        "evil.example resolves to 10.0.0.5, a private address"
    )
    assert STRICT.answer_refusal("good.example", ["8.8.8.8"]) is None
    assert address_kind(ipaddress.ip_address("8.8.8.8")) is None


def test_allowed_networks_open_only_themselves() -> None:
    assert LOOPBACK_ONLY.host_refusal("127.0.0.1") is None
    assert LOOPBACK_ONLY.host_refusal("[::ffff:127.0.0.1]") is None  # the same address
    for host in ("127.0.0.2", "0x7f000002", "[::1]", "169.254.169.254", "10.0.0.1"):
        assert LOOPBACK_ONLY.host_refusal(host) is not None, host
    with pytest.raises(ValueError, match="not an IP network: 'intranet'"):
        AddressPolicy.build(False, ["intranet"])


# -- the downloader middleware ------------------------------------------------------------------


class FakeResolver:
    """Answers from a table; records what was asked."""

    def __init__(self, answers: dict[str, str | Exception]) -> None:
        self.answers = answers
        self.asked: list[str] = []

    async def __call__(self, host: str) -> str:
        self.asked.append(host)
        answer = self.answers[host]
        if isinstance(answer, Exception):
            raise answer
        return answer


def judge(policy: AddressPolicy, url: str, resolver: FakeResolver | None = None) -> str | None:
    middleware = NetworkGuardMiddleware(policy, resolve=resolver or FakeResolver({}))
    try:
        asyncio.run(middleware.process_request(Request(url)))
    except Refused as refused:
        return str(refused)
    return None


def test_middleware_refuses_other_schemes_whatever_the_policy() -> None:
    for policy in (STRICT, AddressPolicy(allow_private=True)):
        for url in ("file:///etc/passwd", "data:text/html,x", "ftp://x.cn/a", "s3://b/k"):
            reason = judge(policy, url)
            assert reason is not None and "never fetched (only http and https)" in reason, url


def test_middleware_judges_literals_without_resolving() -> None:
    resolver = FakeResolver({})
    assert judge(STRICT, "http://0x7f000001:8080/a", resolver) == (
        "0x7f000001 is 127.0.0.1, a loopback address (allow_private_networks is false)"
    )
    assert judge(STRICT, "https://[::1]/a", resolver) is not None
    assert judge(STRICT, "http://8.8.8.8/a", resolver) is None
    assert resolver.asked == []


def test_middleware_judges_names_by_their_answer() -> None:
    resolver = FakeResolver(
        {
            "public.example": "8.8.8.8",
            "rebound.example": "127.0.0.1",
            "metadata.example": "169.254.169.254",
            "refused.example": AddressRefused("refused.example resolves to 10.0.0.1, ..."),
            "unknown.example": OSError("no such name"),
        }
    )
    assert judge(STRICT, "http://public.example/a", resolver) is None
    assert judge(STRICT, "http://rebound.example/a", resolver) == (
        "rebound.example resolves to 127.0.0.1, a loopback address "
        "(allow_private_networks is false)"
    )
    assert "cloud metadata" in (judge(STRICT, "http://metadata.example/", resolver) or "")
    assert (judge(STRICT, "http://refused.example/", resolver) or "").startswith(
        "refused.example resolves to 10.0.0.1"
    )
    assert judge(STRICT, "http://unknown.example/", resolver) is None  # the download reports it


def test_allowing_private_networks_skips_resolution() -> None:
    resolver = FakeResolver({})
    assert judge(AddressPolicy(allow_private=True), "http://127.0.0.1/", resolver) is None
    assert judge(AddressPolicy(allow_private=True), "http://intranet.local/", resolver) is None
    assert resolver.asked == []


# -- the DNS resolver ---------------------------------------------------------------------------


@pytest.fixture
def cached_answers() -> Iterator[dict[str, str]]:
    """Answers placed in Scrapy's DNS cache (the resolver then never asks the network)."""
    answers = {"rebound.example": "127.0.0.1", "public.example": "8.8.8.8"}
    limit = dnscache.limit  # a resolver sets the module-wide cache size
    for name, address in answers.items():
        dnscache[name] = address
    yield answers
    for name in answers:
        dnscache.pop(name, None)
    dnscache.limit = limit


def resolved(resolver: GuardedResolver, name: str) -> str | Failure:
    outcome: list[str | Failure] = []
    deferred: Deferred[str] = resolver.getHostByName(name)
    deferred.addBoth(outcome.append)
    assert outcome, "a cached answer resolves at once"
    return outcome[0]


def test_resolver_refuses_private_answers_at_connection_time(cached_answers: object) -> None:
    """Even a cached answer is checked: a name that resolves to 127.0.0.1 when the connection
    is made fails like an unknown name (DNS rebinding gets nowhere)."""
    reactor: Any = object()  # the resolver only keeps it; cached answers never reach it
    strict = GuardedResolver(reactor, 100, 5.0, STRICT)
    refused = resolved(strict, "rebound.example")
    assert isinstance(refused, Failure) and refused.check(AddressRefused)
    assert "rebound.example resolves to 127.0.0.1" in str(refused.value)
    assert resolved(strict, "public.example") == "8.8.8.8"
    allowing = GuardedResolver(reactor, 100, 5.0, AddressPolicy(allow_private=True))
    assert resolved(allowing, "rebound.example") == "127.0.0.1"


# -- forumwatch extract -------------------------------------------------------------------------


def test_extract_refuses_loopback_unless_allowed() -> None:
    """``extract URL`` on a loopback site: refused by default (the site sees no request), by IP
    and by name (localhost); fetched with --allow-private-networks."""
    with HostileSite({"/a": lambda _: html("<p>正文</p>")}) as site:
        port = site.base_url.rsplit(":", 1)[1]
        for url in (site.url("/a"), f"http://localhost:{port}/a", f"http://0x7f000001:{port}/a"):
            with pytest.raises(ExtractRefused, match="loopback address"):
                fetch_url(url, STRICT, timeout=5)
        assert site.paths() == []
        body, final_url, _ = fetch_url(site.url("/a"), AddressPolicy(allow_private=True))
        assert body == "<p>正文</p>".encode() and final_url == site.url("/a")


def test_extract_checks_every_redirect_hop() -> None:
    """A redirect to another loopback address, to an integer-spelled one, to file: or ftp: is
    refused before any connection; the target site never sees a request."""
    with HostileSite(host="127.0.0.2") as target:
        port = target.base_url.rsplit(":", 1)[1]
        hops = {
            "/dotted": f"http://127.0.0.2:{port}/x",
            "/integer": f"http://2130706434:{port}/x",
            "/file": "file:///etc/passwd",
            "/ftp": f"ftp://127.0.0.1:{port}/x",
        }
        routes = {path: (lambda _, to=to: redirect(to)) for path, to in hops.items()}
        with HostileSite(routes) as site:
            for path in hops:
                with pytest.raises(ExtractRefused):
                    fetch_url(site.url(path), LOOPBACK_ONLY, timeout=5)
            assert sorted(site.paths()) == sorted(hops)
        assert target.paths() == []


def test_extract_requests_a_raw_url_percent_encoded() -> None:
    """``extract`` given a URL with a raw Chinese path, a space and a raw query sends it as a
    browser does (UTF-8 escapes), instead of the HTTP client refusing non-ASCII."""
    escaped = "/xwzx/%E6%96%B0%E9%97%BB/a%20b.html"
    with HostileSite({escaped: lambda _: html("<p>正文</p>")}) as site:
        body, final_url, _ = fetch_url(
            site.url("/xwzx/新闻/a b.html?kw=论坛#top"), AddressPolicy(allow_private=True)
        )
        assert [(r.path, r.query) for r in site.requests] == [(escaped, "kw=%E8%AE%BA%E5%9D%9B")]
    assert body == "<p>正文</p>".encode()
    assert final_url == site.url(f"{escaped}?kw=%E8%AE%BA%E5%9D%9B")


def test_extract_checks_the_address_it_connects_to() -> None:
    """The connection itself re-resolves and refuses a private answer (DNS rebinding)."""
    connect = _checked_connection(STRICT)
    with pytest.raises(ExtractRefused, match="localhost resolves to 127.0.0.1"):
        connect(("localhost", 9), 1.0)
    with pytest.raises(ExtractRefused, match="file URLs are never fetched"):
        check_url("file:///etc/passwd", AddressPolicy(allow_private=True))


# -- the crawl's settings -----------------------------------------------------------------------


def test_crawl_settings_switch_off_every_non_http_handler() -> None:
    """Even a request that slipped past the guard finds no handler for file, data, ftp or s3."""
    settings = build_settings(parse_config({"sources": []}))
    crawler = get_crawler(
        settings_dict={"DOWNLOAD_HANDLERS": settings.getdict("DOWNLOAD_HANDLERS")}
    )
    handlers = DownloadHandlers(crawler)
    for scheme in ("file", "data", "ftp", "s3"):
        assert handlers._get_handler(scheme) is None, scheme


def test_crawl_settings_carry_the_config_rule_and_keep_the_guard() -> None:
    """allow_private_networks reaches Scrapy; a config naming DOWNLOADER_MIDDLEWARES is merged over ours and keeps the
    guard (only naming it with None removes it); the resolver checks answers."""
    strict = build_settings(parse_config({"sources": []}))
    assert strict.getbool("FORUMWATCH_ALLOW_PRIVATE_NETWORKS") is False
    assert strict["TWISTED_DNS_RESOLVER"] == "crawler.crawl.resolver.GuardedResolver"
    allowing = build_settings(parse_config({"sources": [], "allow_private_networks": True}))
    assert allowing.getbool("FORUMWATCH_ALLOW_PRIVATE_NETWORKS") is True
    replaced = build_settings(
        parse_config({"scrapy_settings": {"DOWNLOADER_MIDDLEWARES": {"x.Y": 10}}})
    )
    middlewares = replaced.getdict("DOWNLOADER_MIDDLEWARES")
    assert middlewares["x.Y"] == 10 and middlewares[NETWORK_GUARD] == 50
    # merged over ours: our retry and robots components stay
    assert middlewares["crawler.crawl.middlewares.retry.BackoffRetryMiddleware"] == 550
    removed = build_settings(
        parse_config({"scrapy_settings": {"DOWNLOADER_MIDDLEWARES": {NETWORK_GUARD: None}}})
    )
    assert removed.getdict("DOWNLOADER_MIDDLEWARES")[NETWORK_GUARD] is None
