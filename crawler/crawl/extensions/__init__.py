"""Scrapy extensions of the crawl, one a module, wired in ``settings.py``'s ``EXTENSIONS``."""
