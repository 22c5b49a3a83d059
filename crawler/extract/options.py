"""What one source's configuration changes about reading its pages, as one object.

Pure; no settings read. An ``ExtractOptions`` is built once per source from its configuration
(``crawler.config.SourceConfig.extract_options``) or from the ``extract`` command's options, and
travels whole: in each ``PageItem`` to the extraction workers, through ``build_article`` and
``reextract``, to ``extract_article`` and ``analyze``; each stage reads the fields it needs.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ExtractOptions:
    """A source's reading options; the defaults are those of a source that sets none."""

    source_name: str | None = None
    """The source's name: a page whose stated origin is another site is flagged a repost."""
    encoding: str | None = None
    """A codec forced over what the page declares (for sites whose declarations are wrong)."""
    keep_traditional: bool = False
    """Keep traditional characters instead of converting them to simplified."""
    fold_hosts: tuple[str, ...] = ()
    """Host prefixes naming the same site (``m.``, ``www.``), folded in canonical URLs."""


DEFAULT_OPTIONS = ExtractOptions()
