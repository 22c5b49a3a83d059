"""Reading one page for ``forumwatch extract``: a saved file or a single URL fetch.

A URL is fetched with urllib under the crawler's rules: http and https only (redirects to any
other scheme are refused, and the opener has no file, ftp or data handler), and unless
``allow_private_networks`` is given no loopback, private or link-local address
(``crawler.discover.addresses``), judged for the URL and every redirect hop, by name resolution before the
request and again on the address actually connected to (unless a proxy makes the connection).
"""

from __future__ import annotations

import socket
import urllib.error
import urllib.request
from collections.abc import Callable
from http.client import HTTPMessage
from pathlib import Path
from typing import IO, Any
from urllib.parse import urljoin, urlsplit

from crawler.discover.addresses import AddressPolicy, parse_host
from crawler.discover.urls import HTTP_SCHEMES, request_url
from crawler.extract.content import header_charset

USER_AGENT = "forumwatch/0.1 (extract; +https://github.com/forumwatch/forumwatch)"
MAX_BYTES = 16 * 1024 * 1024


class Refused(OSError):
    """A URL ``extract`` will not fetch: not http(s), or leading to a refused address."""


def read_input(
    item: str, *, timeout: float = 30.0, allow_private_networks: bool = False
) -> tuple[bytes, str, str | None]:
    """(body, url, header charset) of a file path or an http(s) URL; OSError when unreadable."""
    if item.lower().startswith(("http://", "https://")):
        return fetch_url(item, AddressPolicy(allow_private=allow_private_networks), timeout=timeout)
    path = Path(item)
    return path.read_bytes(), path.resolve().as_uri(), None


def fetch_url(
    url: str, policy: AddressPolicy, *, timeout: float = 30.0
) -> tuple[bytes, str, str | None]:
    """Fetch one http(s) URL under ``policy``; ``Refused`` (an OSError) when it may not be.
    The request goes out percent-encoded (``request_url``): a raw non-ASCII path or query, a
    space or an IDN host is sent as a browser sends it, never refused by the HTTP client."""
    opener = _opener(policy)
    request = urllib.request.Request(request_url(url), headers={"User-Agent": USER_AGENT})
    try:
        with opener.open(request, timeout=timeout) as response:
            body = response.read(MAX_BYTES + 1)
            if len(body) > MAX_BYTES:
                raise OSError(f"response larger than {MAX_BYTES} bytes")
            return body, response.geturl(), header_charset(response.headers.get("Content-Type"))
    except urllib.error.URLError as error:
        if isinstance(error.reason, Refused):
            raise error.reason from None
        raise


def check_url(url: str, policy: AddressPolicy) -> None:
    """Raise ``Refused`` when the URL is not http(s) or its host is (or resolves to) a refused
    address. Resolution blocks: this is for the one-shot ``extract``, not the crawl."""
    parts = urlsplit(url)
    if parts.scheme.lower() not in HTTP_SCHEMES:
        raise Refused(f"{parts.scheme or 'scheme-less'} URLs are never fetched: {url}")
    if policy.allows_all:
        return
    host = parts.hostname
    if not host:
        raise Refused(f"the URL names no host: {url}")
    if parse_host(host) is not None:
        reason = policy.host_refusal(host)
    else:
        reason = policy.answer_refusal(host, _resolve(host))
    if reason:
        raise Refused(f"{reason} (use --allow-private-networks to fetch it)")


def _resolve(host: str) -> list[str]:
    try:
        answers = socket.getaddrinfo(host, None, type=socket.SOCK_STREAM)
    except OSError:
        return []  # the connection reports the failure
    return [str(answer[4][0]) for answer in answers]


def _checked_connection(policy: AddressPolicy) -> Callable[..., socket.socket]:
    """``socket.create_connection`` that connects only to addresses the policy allows."""

    def create(
        address: tuple[str, int], timeout: Any = None, source_address: Any = None, **kw: Any
    ) -> socket.socket:
        host, port = address
        answers = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        reason = policy.answer_refusal(host, [str(answer[4][0]) for answer in answers])
        if reason:
            raise Refused(f"{reason} (use --allow-private-networks to fetch it)")
        error: OSError | None = None
        for family, kind, proto, _, sockaddr in answers:
            sock = socket.socket(family, kind, proto)
            try:
                if timeout is not None:
                    sock.settimeout(timeout)
                if source_address:
                    sock.bind(source_address)
                sock.connect(sockaddr)
                return sock
            except OSError as failure:
                error = failure
                sock.close()
        raise error or OSError(f"cannot connect to {host}:{port}")

    return create


class _GuardMixin:
    """Checks every request (first and each redirect hop) and the address connected to."""

    policy: AddressPolicy

    def do_open(self, http_class: Any, req: urllib.request.Request, **kwargs: Any) -> Any:
        check_url(req.full_url, self.policy)
        proxied = req.has_proxy() or getattr(req, "_tunnel_host", None)

        def connection(host: str, **kw: Any) -> Any:
            conn = http_class(host, **kw)
            if not proxied and not self.policy.allows_all:
                conn._create_connection = _checked_connection(self.policy)
            return conn

        return super().do_open(connection, req, **kwargs)  # type: ignore[misc]


class _HTTPHandler(_GuardMixin, urllib.request.HTTPHandler):
    def __init__(self, policy: AddressPolicy) -> None:
        super().__init__()
        self.policy = policy


class _HTTPSHandler(_GuardMixin, urllib.request.HTTPSHandler):
    def __init__(self, policy: AddressPolicy) -> None:
        super().__init__()
        self.policy = policy


class _RedirectHandler(urllib.request.HTTPRedirectHandler):
    """Follows redirects to http(s) URLs only (urllib's own also follows ftp://)."""

    def http_error_302(
        self, req: urllib.request.Request, fp: IO[bytes], code: int, msg: str, headers: HTTPMessage
    ) -> Any:
        location = headers.get("location") or headers.get("uri")
        if (
            location
            and urlsplit(urljoin(req.full_url, location)).scheme.lower() not in HTTP_SCHEMES
        ):
            raise Refused(f"redirect to a non-http(s) URL refused: {location}")
        return super().http_error_302(req, fp, code, msg, headers)

    http_error_301 = http_error_303 = http_error_307 = http_error_308 = http_error_302


def _opener(policy: AddressPolicy) -> urllib.request.OpenerDirector:
    """An opener with http(s), redirect and error handling only: no file, ftp or data."""
    opener = urllib.request.OpenerDirector()
    for handler in (
        urllib.request.ProxyHandler(),
        _HTTPHandler(policy),
        _HTTPSHandler(policy),
        _RedirectHandler(),
        urllib.request.HTTPDefaultErrorHandler(),
        urllib.request.HTTPErrorProcessor(),
    ):
        opener.add_handler(handler)
    return opener
