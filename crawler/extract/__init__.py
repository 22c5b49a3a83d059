"""Bytes to article: decoding, container scoring, XPaths, metadata, dates, boilerplate,
hidden text, language. Pure: imports neither Scrapy nor the database."""
