"""The Scrapy glue: items, pipelines, middlewares (the seen-URL filter among them), extensions (the
run recorder), signals, the downloader and resolver, the config as settings, the crawl's store and
tally, the runner. The only code that touches both Scrapy and storage."""
