"""What a list page's validators may be (``validators_of``: a hostile server's header values are
sent back only when harmless), and why ``WARN_ON_GENERATOR_RETURN_VALUE`` may stay off."""

from __future__ import annotations

import inspect

import pytest
from scrapy.utils.misc import is_generator_with_return_value

from crawler.crawl.middlewares.conditional import validators_of
from spiders.sources import SourceSpider

DATE = b"Wed, 20 Nov 2024 08:00:00 GMT"


@pytest.mark.parametrize(
    ("etag", "last_modified", "expected"),
    [
        (b'"abc"', DATE, ('"abc"', DATE.decode())),
        (b'W/"5f3-1a"', None, ('W/"5f3-1a"', None)),  # weak: sent back as served
        (b"unquoted-but-printable", None, ("unquoted-but-printable", None)),
        (None, b"yesterday", (None, None)),  # not an HTTP date
        (b'"a"\r\nX-Evil: 1', None, (None, None)),  # header injection
        (b'"\xe4\xb8\xad"', None, (None, None)),  # not ASCII
        (b'"' + b"a" * 300 + b'"', None, (None, None)),  # too long
        (b"", b"", (None, None)),
    ],
)
def test_validators_of_keeps_only_harmless_values(
    etag: bytes | None, last_modified: bytes | None, expected: tuple[str | None, str | None]
) -> None:
    assert validators_of(etag, last_modified) == expected


def test_no_spider_callback_is_a_generator_returning_a_value() -> None:
    """settings.py turns Scrapy's per-response check off (it parsed the callback's source on
    every call); this is the check it made, once."""
    callbacks = [
        member
        for name, member in inspect.getmembers(SourceSpider, inspect.isfunction)
        if name.startswith(("parse", "on_"))
    ]
    assert len(callbacks) >= 4
    assert [c.__name__ for c in callbacks if is_generator_with_return_value(c)] == []
