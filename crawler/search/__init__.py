"""Search as the analysts type it: the query language (``query``) and highlighted snippets
(``snippets``). Pure: no Scrapy, no database; the index itself is ``storage.search``."""
