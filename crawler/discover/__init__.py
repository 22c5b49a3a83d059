"""Pages to links: list pages, feeds, sitemaps, URL canonicalization and address rules.
Pure: imports neither Scrapy nor the database."""
