"""URL canonicalization and classification: one page is one canonical URL.

Pure functions; no settings read. Canonical form: the scheme folded to ``http`` (``http://`` and
``https://`` of one page are one page), lower-case host, default ports (80, 443) dropped, fragment
dropped, tracking and session parameters dropped, remaining query sorted, a trailing
``index.html``/``index.htm``/``default.aspx`` (and friends) folded into the directory URL, and,
when a source configures them, mobile host prefixes (``m.``, ``wap.``) folded away.

Every spelling of one URL has one canonical form, all ASCII: the URL is first made a valid URI
as a browser would send it (w3lib's ``safe_url_string``: an IDN host in punycode, a raw
non-ASCII path or query in UTF-8 percent-escapes, spaces and other characters a URI cannot hold
escaped), then escapes are normalised (RFC 3986 6.2.2): an escaped unreserved character
(``%7E``, ``%41``, ``%2E``) is decoded, every other escape is written in upper-case hex, and a
``%`` that starts no escape becomes ``%25``. Escaped reserved characters stay escaped in the path
(``%2F``, ``%3F``, ``%3B``, ``%23`` mean something else than ``/``, ``?``, ``;``, ``#``). Query
keys and values are decoded to bytes and escaped again (a space is ``+``; ``%26``, ``%3D``,
``%23`` stay escaped inside a value; bytes that are not UTF-8, e.g. a GBK value, are kept as
they are).

A query a page writes raw (``?kw=新闻``) is sent by browsers in the page's encoding, so a link is
turned into the URL to request with that encoding first (``request_url``); its key is then the
key of that request, whatever spelling the page used.

A canonical URL is a key naming a page, not the address to fetch: the fetched URL keeps its
scheme. The fold goes to ``http`` because a site that serves https redirects http to it, while an
http-only site cannot answer https.
"""

from __future__ import annotations

import functools
import posixpath
import re
from collections.abc import Sequence
from urllib.parse import quote_plus, unquote_to_bytes, urlsplit, urlunsplit

from w3lib.url import safe_url_string

_DEFAULT_PORTS = {"http": 80, "https": 443}
HTTP_SCHEMES = frozenset(_DEFAULT_PORTS)
CANONICAL_SCHEME = "http"
_INDEX_PAGES = re.compile(r"/(?:index|default)\.(?:s?html?|php|aspx?|jsp)$", re.IGNORECASE)
_TRACKING_PARAMS = re.compile(
    r"^(?:utm_\w+|spm|from|share|share_token|shareid|scene|fbclid|gclid|yclid|"
    r"_hsenc|_hsmi|mc_cid|mc_eid|isappinstalled|_|phpsessid|jsessionid|"
    r"sessionid|sid|aspsessionid\w*)$",
    re.IGNORECASE,
)
_SESSION_IN_PATH = re.compile(r";(?:jsessionid|phpsessid|sid)=[^/?#]*", re.IGNORECASE)
_UNRESERVED = frozenset(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")
_ESCAPE = re.compile(r"%([0-9A-Fa-f]{2})?")
# Keys of URLs up to this long are remembered (a page's links are canonicalized several times).
_CACHED_LENGTH = 2048
# Encodings browsers never use for a query: they send UTF-8 instead (URL standard).
_NOT_QUERY_ENCODINGS = re.compile(r"^(?:utf[-_]?(?:16|32)|ucs[-_]?[24])", re.IGNORECASE)

ATTACHMENT_EXTENSIONS = frozenset(
    [
        "pdf",
        "doc",
        "docx",
        "xls",
        "xlsx",
        "ppt",
        "pptx",
        "wps",
        "et",
        "dps",
        "ofd",
        "zip",
        "rar",
        "7z",
        "gz",
        "tar",
        "txt",
        "csv",
        "rtf",
        "jpg",
        "jpeg",
        "png",
        "gif",
        "bmp",
        "tif",
        "tiff",
        "webp",
        "svg",
        "mp3",
        "mp4",
        "avi",
        "wmv",
        "flv",
        "mov",
        "swf",
        "exe",
        "apk",
        "dmg",
        "iso",
    ]
)
_ATTACHMENT_PATH = re.compile(
    r"\.(?:" + "|".join(sorted(ATTACHMENT_EXTENSIONS)) + r")$",
    re.IGNORECASE,
)


def is_http_url(url: str) -> bool:
    """True for an absolute http(s) URL with a host: the only URLs forumwatch ever requests."""
    try:
        parts = urlsplit(url.strip())
    except ValueError:
        return False
    return parts.scheme.lower() in HTTP_SCHEMES and bool(parts.hostname)


def request_url(url: str, encoding: str = "utf-8") -> str:
    """The URL to request for ``url`` found on a page written in ``encoding``: percent-encoded
    as a browser sends it (host in punycode, path in UTF-8, query in the page's encoding, or in
    UTF-8 when the page's encoding cannot write it), without its fragment. An URL that is not
    http(s) is returned stripped, unchanged."""
    url = url.strip()
    if not is_http_url(url):
        return url
    if _NOT_QUERY_ENCODINGS.match(encoding):
        encoding = "utf-8"
    try:
        safe = safe_url_string(url, encoding=encoding)
    except (UnicodeError, LookupError):
        safe = safe_url_string(url)
    return safe.split("#", 1)[0]


def canonicalize(url: str, fold_hosts: Sequence[str] = ()) -> str:
    """The canonical form of an absolute http(s) URL (unchanged if it is not one).

    ``fold_hosts`` lists host prefixes that name the same site (``m.``, ``wap.``, ``www.``): a
    host starting with one loses it, so ``m.example.cn`` and ``www.example.cn`` are one page.
    The scheme is folded to ``http`` and both default ports are dropped whatever the scheme, so
    ``https://x.cn/a``, ``http://x.cn/a`` and ``http://x.cn:443/a`` are one key. Raw and
    percent-encoded spellings of one URL are one key too (see the module docstring); a raw
    non-ASCII query is read as UTF-8 (``request_url`` first, for a link on a page in another
    encoding). Canonicalizing a canonical URL changes nothing.
    """
    url = url.strip()
    if len(url) <= _CACHED_LENGTH:
        return _cached_canonical(url, tuple(fold_hosts))
    return _canonical(url, fold_hosts)


@functools.lru_cache(maxsize=8192)
def _cached_canonical(url: str, fold_hosts: tuple[str, ...]) -> str:
    return _canonical(url, fold_hosts)


def _canonical(url: str, fold_hosts: Sequence[str]) -> str:
    if not is_http_url(url):
        return url
    try:
        parts = urlsplit(safe_url_string(url))
        port = parts.port
    except ValueError:  # UnicodeError included
        return url
    if not parts.hostname:
        return url
    host = _fold_host(parts.hostname.lower().rstrip("."), fold_hosts)
    if ":" in host:
        host = f"[{host}]"
    if port is not None and port not in _DEFAULT_PORTS.values():
        host = f"{host}:{port}"
    path = _canonical_path(parts.path)
    query = _canonical_query(parts.query)
    return urlunsplit((CANONICAL_SCHEME, host, path, query, ""))


def _fold_host(host: str, prefixes: Sequence[str]) -> str:
    for prefix in prefixes:
        prefix = prefix.lower()
        if host.startswith(prefix) and host.count(".") >= 2:
            return host[len(prefix) :]
    return host


def _canonical_path(path: str) -> str:
    path = _SESSION_IN_PATH.sub("", _normalized_escapes(path)) or "/"
    if "/./" in path or "/../" in path or path.endswith(("/.", "/..")):
        trailing = path.endswith("/")
        path = posixpath.normpath(path)
        if trailing and not path.endswith("/"):
            path += "/"
    path = re.sub(r"/{2,}", "/", path)
    return _INDEX_PAGES.sub("/", path)


def _normalized_escapes(path: str) -> str:
    """A URI path (``safe_url_string``'s) with escaped unreserved characters decoded, other
    escapes in upper-case hex, and a ``%`` that starts no escape escaped (``%25``)."""
    return _ESCAPE.sub(_normalized_escape, path)


def _normalized_escape(match: re.Match[str]) -> str:
    if match.group(1) is None:
        return "%25"
    byte = int(match.group(1), 16)
    return chr(byte) if byte in _UNRESERVED else f"%{byte:02X}"


def _canonical_query(query: str) -> str:
    """Tracking parameters dropped, the rest sorted; keys and values decoded to bytes (``+`` is a
    space) and escaped again, so bytes in any encoding come back as they were."""
    pairs: list[tuple[bytes, bytes]] = []
    for field in query.split("&"):
        if not field:
            continue
        key, _, value = field.partition("=")
        name = _query_bytes(key)
        if not _TRACKING_PARAMS.match(name.decode("utf-8", "replace")):
            pairs.append((name, _query_bytes(value)))
    return "&".join(f"{quote_plus(key)}={quote_plus(value)}" for key, value in sorted(pairs))


def _query_bytes(text: str) -> bytes:
    return unquote_to_bytes(text.replace("+", " "))


def is_attachment_url(url: str) -> bool:
    """True when the URL's path ends in a document, archive or media extension."""
    try:
        path = urlsplit(url).path
    except ValueError:
        return False
    return bool(_ATTACHMENT_PATH.search(path))


def host_of(url: str) -> str:
    """Lower-case host (with non-default port) of a URL, '' if none."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return ""
    host = (parts.hostname or "").lower()
    if port is not None and port != _DEFAULT_PORTS.get(parts.scheme.lower()):
        host = f"{host}:{port}"
    return host


def registered_domain(host: str) -> str:
    """A cheap registered-domain guess (last two labels, three for .gov.cn/.com.cn style)."""
    host = host.split(":", 1)[0]
    if re.fullmatch(r"[\d.]+", host):
        return host
    labels = host.split(".")
    second_level = {"gov", "com", "net", "org", "edu", "ac"}
    if len(labels) >= 3 and labels[-2] in second_level and len(labels[-1]) == 2:
        return ".".join(labels[-3:])
    return ".".join(labels[-2:])


def same_site(url: str, other: str) -> bool:
    """True when both URLs belong to one site (same registered domain; same host:port for IPs)."""
    a, b = host_of(url), host_of(other)
    if not a or not b:
        return False
    if a == b:
        return True
    if re.fullmatch(r"[\d.:]+", a) or re.fullmatch(r"[\d.:]+", b):
        return False
    return registered_domain(a) == registered_domain(b)
