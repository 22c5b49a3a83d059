"""Reading one page for ``forumwatch extract``: a saved file or a single URL fetch."""

from __future__ import annotations

import urllib.request
from pathlib import Path

from crawler.content import header_charset

USER_AGENT = "forumwatch/0.1 (extract; +https://github.com/forumwatch/forumwatch)"
MAX_BYTES = 16 * 1024 * 1024


def read_input(item: str, *, timeout: float = 30.0) -> tuple[bytes, str, str | None]:
    """(body, url, header charset) of a file path or an http(s) URL; OSError when unreadable."""
    if item.startswith(("http://", "https://")):
        request = urllib.request.Request(item, headers={"User-Agent": USER_AGENT})
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
            body = response.read(MAX_BYTES + 1)
            if len(body) > MAX_BYTES:
                raise OSError(f"response larger than {MAX_BYTES} bytes")
            return body, response.geturl(), header_charset(response.headers.get("Content-Type"))
    path = Path(item)
    return path.read_bytes(), path.resolve().as_uri(), None
