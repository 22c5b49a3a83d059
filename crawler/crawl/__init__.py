"""The Scrapy glue: items, pipelines, middlewares, the downloader and resolver, the crawl's
store and tally, the runner. The only code that touches both Scrapy and storage."""
