"""forumwatch's own crawl signals, sent by the spider through ``crawler.signals`` like Scrapy's.

``walk_ended``: the chain of list pages below a start URL was read to its end in this crawl.
Arguments: ``source_id``, ``start_url`` (canonical), ``ended_by`` (``end``: no next page;
``limit``: the source's ``max_list_pages``; ``cycle``: a page seen before), ``pages`` (list pages
read) and ``max_list_pages``. The run recorder (``crawler.crawl.extensions.runs``) records the
walks of a crawl that finished.

``list_validated``: a start URL (list page, feed or sitemap other than an index) was read in full
(a 200) and may be asked for conditionally next time. Arguments: ``source_id``, ``url``
(canonical), ``etag`` and ``last_modified`` (as served, checked by
``crawler.crawl.middlewares.conditional.validators_of``; both None: forget any earlier ones).
The run recorder records them, like walks, only when the crawl finishes with no item error.
"""

from __future__ import annotations

walk_ended = object()
list_validated = object()
