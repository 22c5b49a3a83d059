"""Telling pages from documents: content types and magic bytes of responses."""

from __future__ import annotations

import re

_BINARY_MAGIC = (
    b"%PDF",
    b"PK\x03\x04",  # zip, docx, xlsx, pptx, ofd
    b"\xd0\xcf\x11\xe0",  # doc, xls, ppt
    b"\x89PNG",
    b"\xff\xd8\xff",  # jpeg
    b"GIF8",
    b"Rar!",
    b"7z\xbc\xaf",
    b"\x1f\x8b",  # gzip
    b"{\\rtf",
)
_PAGE_TYPES = re.compile(r"^(?:text/html|application/xhtml\+xml|text/plain|)$", re.I)
_MARKUP = re.compile(rb"<(?:!doctype|html|head|body|div|p|table|meta|title|script|br)\b", re.I)


def main_type(content_type: str | bytes | None) -> str:
    """'text/html' from 'text/html; charset=gbk' (lower-case, '' when absent)."""
    if content_type is None:
        return ""
    if isinstance(content_type, bytes):
        content_type = content_type.decode("latin-1")
    return content_type.split(";", 1)[0].strip().lower()


def header_charset(content_type: str | bytes | None) -> str | None:
    """The charset parameter of a Content-Type header, if any."""
    if content_type is None:
        return None
    if isinstance(content_type, bytes):
        content_type = content_type.decode("latin-1")
    match = re.search(r"charset\s*=\s*[\"']?([\w.:-]+)", content_type, re.I)
    return match.group(1).lower() if match else None


def looks_binary_type(content_type: str | bytes | None) -> bool:
    """True when a Content-Type header alone says the body is no page (PDF, Office, image...)."""
    kind = main_type(content_type)
    return not _PAGE_TYPES.match(kind) and not kind.endswith("xml")


def is_page(content_type: str | bytes | None, body: bytes) -> bool:
    """True when a response is an HTML page (by header, then by sniffing the first bytes)."""
    head = body[:1024].lstrip()
    if head.startswith(_BINARY_MAGIC):
        return False
    if looks_binary_type(content_type):
        # Servers label pages application/octet-stream now and then: trust visible markup.
        return main_type(content_type) == "application/octet-stream" and bool(_MARKUP.search(head))
    if main_type(content_type) == "text/plain":
        return bool(_MARKUP.search(head))
    return True
