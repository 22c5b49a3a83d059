"""Scrapy settings for forumwatch, plus forumwatch's own (prefixed FORUMWATCH_*).

The YAML config's ``scrapy_settings`` mapping overrides any of these per deployment, and its
``database`` and ``allow_private_networks`` set ``FORUMWATCH_DATABASE_URL`` and
``FORUMWATCH_ALLOW_PRIVATE_NETWORKS`` (``crawler/crawl/configure.py``): ``forumwatch crawl`` applies
the config it was given, Scrapy's own tools the one named by ``FORUMWATCH_CONFIG``.
"""

from crawler import config as _config

BOT_NAME = "forumwatch"
SPIDER_MODULES = ["spiders"]
NEWSPIDER_MODULE = "spiders"

# --- Identity and politeness -------------------------------------------------------------------
# An identifying User-Agent with a contact point, as site operators expect from a polite crawler.
USER_AGENT = "forumwatch/0.1 (+https://github.com/forumwatch/forumwatch; news monitoring)"
ROBOTSTXT_OBEY = True
# Many sources are polled at once; politeness is per site (the two settings below).
CONCURRENT_REQUESTS = 128
CONCURRENT_REQUESTS_PER_DOMAIN = 2
DOWNLOAD_DELAY = 0.5
AUTOTHROTTLE_ENABLED = True
AUTOTHROTTLE_START_DELAY = 1.0
AUTOTHROTTLE_MAX_DELAY = 30.0
AUTOTHROTTLE_TARGET_CONCURRENCY = 1.5
# Scrapy's downloader with the per-site cap kept at DOWNLOAD_DELAY 0 (see crawler/crawl/downloader.py);
# kept whatever the config says (crawler/crawl/configure.py).
DOWNLOADER = "crawler.crawl.downloader.PoliteDownloader"
COOKIES_ENABLED = False
TELNETCONSOLE_ENABLED = False  # on by default in Scrapy; an open port nobody needs (scrapy#3429)
# Scrapy 2.19's remote-control server (on by default) runs code sent to a local port and writes a
# token file on every crawl: nothing forumwatch uses, and a door on a machine that crawls hostile sites.
REMOTE_CONTROL_ENABLED = False

# --- Faults --------------------------------------------------------------------------------------
# Scrapy's 180 s timeout x 2 retries can stall a request ~9 minutes (scrapy#3108).
DOWNLOAD_TIMEOUT = 30
RETRY_ENABLED = True
RETRY_TIMES = 2
RETRY_HTTP_CODES = [500, 502, 503, 504, 522, 524, 408, 429]
# Exponential backoff between retries: base * 2**(attempt-1), capped.
RETRY_BACKOFF_BASE = 2.0
RETRY_BACKOFF_MAX = 60.0
REDIRECT_MAX_TIMES = 5
DOWNLOAD_MAXSIZE = 16 * 1024 * 1024
DOWNLOAD_WARNSIZE = 4 * 1024 * 1024
DNS_TIMEOUT = 15
HTTPERROR_ALLOW_ALL = False

# --- Network safety (crawler/crawl/middlewares/netguard.py, crawler/crawl/resolver.py) --------------------
# Only http and https are ever fetched: Scrapy's file, data, ftp and s3 handlers are off, so no
# link, redirect or feed entry can read a local file, and no ftp:// link can hang a crawl
# (DOWNLOAD_TIMEOUT does not apply to FTP). The network guard refuses other schemes first.
DOWNLOAD_HANDLERS = {"file": None, "data": None, "ftp": None, "s3": None}
# Requests to loopback, private, link-local (cloud metadata), multicast and reserved addresses
# are refused unless this is on; set from the config's allow_private_networks.
FORUMWATCH_ALLOW_PRIVATE_NETWORKS = False
# Networks (CIDR strings) allowed even when private ones are refused, e.g. ["10.1.2.0/24"] for
# one intranet site, or ["127.0.0.1/32"] in tests that must see every other address refused.
FORUMWATCH_ALLOWED_NETWORKS: list[str] = []
# Scrapy's caching resolver, checking answers against the same rule at connection time.
TWISTED_DNS_RESOLVER = "crawler.crawl.resolver.GuardedResolver"

DOWNLOADER_MIDDLEWARES = {
    # first: judged before robots.txt is fetched or anything is queued
    "crawler.crawl.middlewares.netguard.NetworkGuardMiddleware": 50,
    "scrapy.downloadermiddlewares.retry.RetryMiddleware": None,
    "crawler.crawl.middlewares.retry.BackoffRetryMiddleware": 550,
    # the same meta-refresh handling, without decoding pages that have no refresh tag
    "scrapy.downloadermiddlewares.redirect.MetaRefreshMiddleware": None,
    "crawler.crawl.middlewares.metarefresh.QuickMetaRefreshMiddleware": 580,
    # anti-bot challenges (JS / dynamic cookie walls) counted as 'blocked' and failed, right after
    # decompression (590) and before meta-refresh and retries see them
    "crawler.crawl.middlewares.antibot.AntiBotMiddleware": 585,
    # RFC 9309: a robots.txt answering 5xx (or unreachable) disallows the host for this crawl
    "scrapy.downloadermiddlewares.robotstxt.RobotsTxtMiddleware": None,
    "crawler.crawl.middlewares.robots.RobotsTxtRfcMiddleware": 100,
    # If-None-Match / If-Modified-Since on start URLs whose list chain was walked (a 304: no parsing)
    "crawler.crawl.middlewares.conditional.ConditionalRequests": 120,
}
ITEM_PIPELINES = {
    "crawler.crawl.pipelines.extract.ExtractPipeline": 300,
    "crawler.crawl.pipelines.store.StorePipeline": 800,
}
SPIDER_MIDDLEWARES = {
    # next to the spider: answers the ListedLinks a callback yields before the callback resumes
    "crawler.crawl.middlewares.seen.SeenUrlFilter": 950,
}
EXTENSIONS = {
    # crawl-run rows and completed walks, from the spider's opening to its closing
    "crawler.crawl.extensions.runs.RunRecorder": 500,
}

# --- Engine tuning (measured on a 2-core host) ----------------------------------------------------
TWISTED_REACTOR = "twisted.internet.asyncioreactor.AsyncioSelectorReactor"
# Scrapy parses the source of every generator callback on every call to warn about return
# values (its cache misses bound methods): ~1 ms per response. Ours return none
# (tests/test_polls_conditional.py checks).
WARN_ON_GENERATOR_RETURN_VALUE = False
# One item per response: a higher value only starts idle asyncio tasks (30% of CPU at 100).
CONCURRENT_ITEMS = 1
LOG_LEVEL = "INFO"
# Breadth-first keeps list pages ahead of deep pagination, so new articles come first.
DEPTH_PRIORITY = 1
SCHEDULER_DISK_QUEUE = "scrapy.squeues.PickleFifoDiskQueue"
SCHEDULER_MEMORY_QUEUE = "scrapy.squeues.FifoMemoryQueue"

# --- Routine polls (crawler/crawl/middlewares/robots.py, crawler/crawl/middlewares/conditional.py)
# robots.txt answers (2xx rules, 4xx "allow all") are kept per origin across crawls this many hours
# (RFC 9309 section 2.4 allows up to 24); 0: fetched by every crawl, never stored.
FORUMWATCH_ROBOTS_CACHE_HOURS = 24.0
# Start URLs whose list chain was walked to its end are asked for with the validators (ETag,
# Last-Modified) they were last served with; a 304 costs no parsing.
FORUMWATCH_CONDITIONAL_REQUESTS = True

# --- forumwatch ----------------------------------------------------------------------------------
# The forumwatch config file Scrapy's own tools (scrapy crawl, scrapyd, scrapy-redis workers) read
# (``-s FORUMWATCH_CONFIG=...``); None: $FORUMWATCH_CONFIG, else ./forumwatch.yaml. The add-on applies
# its database, allow_private_networks and scrapy_settings before any crawler is made.
FORUMWATCH_CONFIG = None
ADDONS = {"crawler.crawl.configure.ConfigAddon": 0}
# SQLAlchemy URL of the store; set from the config's database (and $FORUMWATCH_DATABASE_URL).
FORUMWATCH_DATABASE_URL = _config.DEFAULT_DATABASE_URL
# Worker processes for extraction; 0 extracts inside Scrapy's process. None: one per core.
FORUMWATCH_EXTRACT_WORKERS = None
# Articles buffered before one database transaction writes them; and the longest they wait.
FORUMWATCH_STORE_BATCH = 100
FORUMWATCH_STORE_INTERVAL = 1.0
# A crawl run still 'running' whose process is gone was left by a killed crawl: the next crawl on
# the same host marks it 'interrupted' at start. A run from another host (a shared PostgreSQL) is
# marked so by the next crawl of its source once it has been 'running' this many hours.
FORUMWATCH_STALE_RUN_HOURS = 12
# Sitemap indexes: levels of index followed below a start URL (sitemaps.org allows one; real sites
# nest a little), and child sitemaps fetched per source per crawl. Deeper or further ones are cut
# (counted as sitemaps_cut). A chain of indexes pointing to new indexes ends here.
FORUMWATCH_SITEMAP_MAX_DEPTH = 3
FORUMWATCH_SITEMAP_MAX_COUNT = 100
# New article URLs requested from sitemaps per source per crawl, newest <lastmod> first; the rest
# wait for the next crawl (counted as articles_deferred). Bounds memory for 50,000-URL sitemaps.
FORUMWATCH_SITEMAP_MAX_ARTICLES = 1000
# Seconds before a failed article URL is due for a retry by a later crawl; the delay doubles with
# each failure, up to 7 days.
FORUMWATCH_URL_RETRY_BASE = 3600
# At most this many failed article URLs due for a retry are requested per source at the start of
# a crawl, wherever their list pages are (the longest due first).
FORUMWATCH_DUE_RETRIES = 100
