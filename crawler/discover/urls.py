"""URL canonicalization and classification: one page is one canonical URL.

Pure functions; no settings read. Canonical form: the scheme folded to ``http`` (``http://`` and
``https://`` of one page are one page), lower-case host, default ports (80, 443) dropped, fragment
dropped, tracking and session parameters dropped, remaining query sorted, a trailing
``index.html``/``index.htm``/``default.aspx`` (and friends) folded into the directory URL, and,
when a source configures them, mobile host prefixes (``m.``, ``wap.``) folded away.

A canonical URL is a key naming a page, not the address to fetch: the fetched URL keeps its
scheme. The fold goes to ``http`` because a site that serves https redirects http to it, while an
http-only site cannot answer https.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Sequence
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

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


def canonicalize(url: str, fold_hosts: Sequence[str] = ()) -> str:
    """The canonical form of an absolute http(s) URL (unchanged if it is not one).

    ``fold_hosts`` lists host prefixes that name the same site (``m.``, ``wap.``, ``www.``): a
    host starting with one loses it, so ``m.example.cn`` and ``www.example.cn`` are one page.
    The scheme is folded to ``http`` and both default ports are dropped whatever the scheme, so
    ``https://x.cn/a``, ``http://x.cn/a`` and ``http://x.cn:443/a`` are one key (and
    canonicalizing a canonical URL changes nothing).
    """
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError:
        return url.strip()
    scheme = parts.scheme.lower()
    if scheme not in _DEFAULT_PORTS or not parts.hostname:
        return url.strip()
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
    path = _SESSION_IN_PATH.sub("", path) or "/"
    if "/./" in path or "/../" in path or path.endswith(("/.", "/..")):
        trailing = path.endswith("/")
        path = posixpath.normpath(path)
        if trailing and not path.endswith("/"):
            path += "/"
    path = re.sub(r"/{2,}", "/", path)
    return _INDEX_PAGES.sub("/", path)


def _canonical_query(query: str) -> str:
    if not query:
        return ""
    pairs = [
        (key, value)
        for key, value in parse_qsl(query, keep_blank_values=True)
        if not _TRACKING_PARAMS.match(key)
    ]
    return urlencode(sorted(pairs))


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
