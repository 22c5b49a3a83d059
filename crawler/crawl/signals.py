"""forumwatch's own crawl signals, sent by the spider through ``crawler.signals`` like Scrapy's.

``walk_ended``: the chain of list pages below a start URL was read to its end in this crawl.
Arguments: ``source_id``, ``start_url`` (canonical), ``ended_by`` (``end``: no next page;
``limit``: the source's ``max_list_pages``; ``cycle``: a page seen before), ``pages`` (list pages
read) and ``max_list_pages``. The run recorder (``crawler.crawl.extensions.runs``) records the
walks of a crawl that finished.
"""

from __future__ import annotations

walk_ended = object()
