"""Telling pages from documents and from garbage: content types, magic bytes and a look at the
bytes themselves.

Pure; reads no settings. A response is a page when nothing says otherwise: the header names no
document type, the body opens with no known file signature, and the first ``SNIFF_BYTES`` look
like text: few control bytes (``MAX_CONTROL_SHARE``) and, unless HTML tags show, few bytes that
neither UTF-8 nor GB18030 nor Big5 nor the declared charset can decode (``MAX_UNDECODABLE_SHARE``;
GBK/Big5 pages with the odd stray byte stay far below it). Documents (PDF, Office, images,
archives a site links to) become attachments; anything else that is not a page (random bytes or
an executable served as ``text/html``) is a bad response.
"""

from __future__ import annotations

import codecs
import re

from crawler.extract.encoding import declared_codecs

NOT_A_PAGE = "not a page (binary content)"  # the error recorded for such a response
SNIFF_BYTES = 8192
MAX_CONTROL_SHARE = 0.05  # random bytes: ~12 %; pages: 0 (a Word paste leaves a few \x0b)
MAX_UNDECODABLE_SHARE = 0.03  # random bytes: 6-9 % with the best codec; GBK pages: < 0.5 %

# Files a site links to as documents: an attachment even when served as text/html.
_DOCUMENT_MAGIC = (
    b"%PDF",
    b"PK\x03\x04",  # zip, docx, xlsx, pptx, ofd
    b"PK\x05\x06",  # empty zip
    b"\xd0\xcf\x11\xe0",  # doc, xls, ppt
    b"\x89PNG",
    b"\xff\xd8\xff",  # jpeg
    b"GIF8",
    b"Rar!",
    b"7z\xbc\xaf",
    b"{\\rtf",
    b"II*\x00",  # tiff
    b"MM\x00*",
    b"%!PS",
    b"8BPS",  # psd
    b"\x00\x00\x01\x00",  # ico
    b"OggS",
    b"fLaC",
    b"ID3",  # mp3
    b"\x1aE\xdf\xa3",  # mkv, webm
    b"wOFF",
    b"wOF2",
)
# Binary files that are nobody's page nor document (executables, compressed streams, databases).
_BINARY_MAGIC = (
    b"\x7fELF",
    b"\x1f\x8b",  # gzip
    b"\x1f\x9d",  # compress
    b"BZh",
    b"\xfd7zXZ\x00",  # xz
    b"\x28\xb5\x2f\xfd",  # zstd
    b"\x04\x22\x4d\x18",  # lz4
    b"\xca\xfe\xba\xbe",  # Java class, Mach-O fat
    b"\xcf\xfa\xed\xfe",  # Mach-O
    b"\xce\xfa\xed\xfe",
    b"\x00asm",  # WebAssembly
    b"SQLite format 3\x00",
    b"MSCF",  # cab
    b"!<arch>\n",  # ar, deb
    b"\xed\xab\xee\xdb",  # rpm
    b"\x89HDF",
)
_MAGIC_AT_4 = (b"ftyp",)  # mp4, mov, heic: the signature sits after a 4-byte box size
_RIFF_KINDS = (b"WEBP", b"WAVE", b"AVI ")
_BOMS = (codecs.BOM_UTF8, codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)
_PAGE_TYPES = re.compile(r"^(?:text/html|application/xhtml\+xml|text/plain|)$", re.I)
_MARKUP = re.compile(rb"<(?:!doctype|html|head|body|div|p|table|meta|title|script|br)\b", re.I)
# Control bytes no text holds (tab, newlines, form feed and ESC of ISO-2022 excepted).
_CONTROL_BYTES = bytes([*range(0, 9), 0x0B, *range(0x0E, 0x1B), *range(0x1C, 0x20), 0x7F])
_TRIAL_CODECS = ("utf-8", "gb18030", "big5hkscs")


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
    """True when a response is an HTML page (by header, file signature, then the bytes)."""
    head = body[:1024].lstrip()
    if _has_document_magic(body, head) or _has_binary_magic(body):
        return False
    if looks_binary_type(content_type):
        # Servers label pages application/octet-stream now and then: trust visible markup.
        return (
            main_type(content_type) == "application/octet-stream"
            and bool(_MARKUP.search(head))
            and looks_like_text(body, content_type)
        )
    if main_type(content_type) == "text/plain" and not _MARKUP.search(head):
        return False
    return looks_like_text(body, content_type)


def is_document(content_type: str | bytes | None, body: bytes) -> bool:
    """True for a file a site links to (PDF, Office, image, archive, plain text...): by its
    header or its signature. Garbage served as a page is not one."""
    if looks_binary_type(content_type) or _has_document_magic(body, body[:1024].lstrip()):
        return True
    return main_type(content_type) == "text/plain" and looks_like_text(body, content_type)


def looks_like_text(body: bytes, content_type: str | bytes | None = None) -> bool:
    """The first ``SNIFF_BYTES`` are text in some codec a Chinese site may use (see the module
    docstring); a body with a byte-order mark is text."""
    sample = body[:SNIFF_BYTES]
    if not sample or sample.startswith(_BOMS):
        return True
    controls = len(sample) - len(sample.translate(None, _CONTROL_BYTES))
    if controls > len(sample) * MAX_CONTROL_SHARE:
        return False
    if sample.isascii() or _MARKUP.search(sample):
        return True
    trials = dict.fromkeys([*declared_codecs(sample, header_charset(content_type)), *_TRIAL_CODECS])
    undecodable = min(sample.decode(codec, errors="replace").count("\ufffd") for codec in trials)
    return undecodable <= len(sample) * MAX_UNDECODABLE_SHARE


def _has_document_magic(body: bytes, head: bytes) -> bool:
    if body.startswith(_DOCUMENT_MAGIC) or head.startswith(_DOCUMENT_MAGIC):
        return True
    return body[4:8] in _MAGIC_AT_4 or (body.startswith(b"RIFF") and body[8:12] in _RIFF_KINDS)


def _has_binary_magic(body: bytes) -> bool:
    return body.startswith(_BINARY_MAGIC)
