"""Alert channels: the Apprise URLs of a rule's ``notify`` list, as the outbox names them.

An Apprise URL may hold secrets (a mail password, a bot token), so the database never stores
it: a delivery names its channel by ``channel_key`` (a stable hash of the URL) and shows it by
``channel_label`` (the URL with its secrets masked, as Apprise prints it in privacy mode). The
dispatcher maps keys back to the URLs of the current config (``channel_urls``).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

HEALTH_RULE = "health"
"""The rule name of source-health alerts; their channels are ``config.health.notify``."""


def channel_key(url: str) -> str:
    """A stable key of an Apprise URL (hex SHA-256 prefix); the URL itself may hold secrets."""
    return hashlib.sha256(url.strip().encode("utf-8")).hexdigest()[:24]


def channel_label(url: str) -> str:
    """The URL with passwords and tokens masked, for display (Apprise's privacy form when it
    knows the service, else everything but the scheme and host masked)."""
    try:
        import apprise

        plugin = apprise.Apprise.instantiate(url.strip(), suppress_exceptions=True)
        if plugin:
            # Apprise's privacy form, without its long list of default parameters
            return str(plugin.url(privacy=True)).split("?", 1)[0]
    except Exception:  # noqa: BLE001 - a label must never fail
        pass
    return _fallback_label(url)


def _fallback_label(url: str) -> str:
    """Scheme and host only, and the host only when it looks like one (has a dot): many
    services put a token where a host would be (``dingtalk://TOKEN/``)."""
    try:
        parts = urlsplit(url.strip())
        host = parts.hostname or ""
    except ValueError:
        return url.split("://", 1)[0] + "://***"
    shown = host if "." in host else "***"
    return f"{parts.scheme}://{'***@' if parts.username else ''}{shown}/..."


def channels(urls: Iterable[str]) -> list[tuple[str, str]]:
    """``(key, label)`` of each URL, as ``storage.alerts.add_alert`` takes them."""
    return [(channel_key(url), channel_label(url)) for url in urls]


def channel_urls(urls: Iterable[str]) -> dict[str, str]:
    """Key -> URL, to find a delivery's URL in the current config."""
    return {channel_key(url): url for url in urls}


def sending_url(url: str, *, connect: float, read: float) -> str:
    """``url`` as the dispatcher sends to it: Apprise's socket timeouts (``cto``, ``rto``) set
    unless the URL sets them, so a receiver that hangs cannot hold the dispatcher longer than
    about ``connect + read``; and ``format=text`` whatever the URL says, because alert messages
    are plain text and Apprise leaves a title unescaped on some Markdown services (DingTalk's
    markdown messages): text is what every channel shows literally."""
    parts = urlsplit(url.strip())
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k != "format"]
    names = {name for name, _ in query}
    if "cto" not in names:
        query.append(("cto", f"{connect:g}"))
    if "rto" not in names:
        query.append(("rto", f"{read:g}"))
    query.append(("format", "text"))
    return urlunsplit(parts._replace(query=urlencode(query)))
