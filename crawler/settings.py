"""Scrapy settings. Every endpoint and storage location is a setting (or an environment variable),
so a user can point the crawler at a mirror, a test server or their own bucket."""

import os

BOT_NAME = "ir_records"
SPIDER_MODULES = ["crawler.spiders"]
NEWSPIDER_MODULE = "crawler.spiders"
COMMANDS_MODULE = "crawler.commands"

# --- Sources -------------------------------------------------------------------------------------
CNINFO_BASE_URL = os.environ.get("CNINFO_BASE_URL", "http://www.cninfo.com.cn")
CNINFO_STATIC_URL = os.environ.get("CNINFO_STATIC_URL", "http://static.cninfo.com.cn")
# cninfo answers 403 without a desktop browser User-Agent.
USER_AGENT = os.environ.get(
    "CRAWLER_USER_AGENT",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/124.0 Safari/537.36",
)

# --- Archive -------------------------------------------------------------------------------------
# A local folder (default ./archive) or s3://bucket/prefix; the addon below derives FILES_STORE and
# the run feed from it, so `-s ARCHIVE_URI=...` on the command line works too.
ARCHIVE_URI = os.environ.get("ARCHIVE_URI", "archive")
AWS_ENDPOINT_URL = os.environ.get("AWS_ENDPOINT_URL")
AWS_ACCESS_KEY_ID = os.environ.get("AWS_ACCESS_KEY_ID")
AWS_SECRET_ACCESS_KEY = os.environ.get("AWS_SECRET_ACCESS_KEY")
AWS_REGION_NAME = os.environ.get("AWS_REGION_NAME", os.environ.get("AWS_DEFAULT_REGION"))
FILES_STORE_S3_ACL = ""  # S3-compatible servers (SeaweedFS, MinIO) reject canned ACLs
FEED_STORAGE_S3_ACL = ""
FILES_EXPIRES = 365 * 100  # an archive keeps originals; never re-download because of age
ADDONS = {"crawler.archive_addon.ArchiveAddon": 0}

ITEM_PIPELINES = {
    "pipelines.archive.ArchivePipeline": 100,  # original bytes first, so nothing is lost
    "pipelines.parse.ParsePipeline": 500,
    "pipelines.records.RecordPipeline": 900,
}
PARSE_WORKERS = int(os.environ.get("PARSE_WORKERS", "2"))  # parser processes beside the crawl

# --- Politeness ----------------------------------------------------------------------------------
ROBOTSTXT_OBEY = False  # the listing endpoints are XHR APIs that robots.txt does not describe
CONCURRENT_REQUESTS = 8
CONCURRENT_REQUESTS_PER_DOMAIN = 2
DOWNLOAD_DELAY = 0.5  # about two requests a second per host at most
AUTOTHROTTLE_ENABLED = True
AUTOTHROTTLE_START_DELAY = 1.0
AUTOTHROTTLE_MAX_DELAY = 30.0
AUTOTHROTTLE_TARGET_CONCURRENCY = 1.0
DOWNLOAD_TIMEOUT = 60
RETRY_TIMES = 5
RETRY_HTTP_CODES = [500, 502, 503, 504, 522, 524, 408, 429]
RETRY_BACKOFF_BASE = 2.0  # seconds before the first retry, doubled each time
RETRY_BACKOFF_MAX = 120.0
DOWNLOADER_MIDDLEWARES = {
    "scrapy.downloadermiddlewares.retry.RetryMiddleware": None,
    "crawler.middlewares.BackoffRetryMiddleware": 550,
}

# --- Housekeeping --------------------------------------------------------------------------------
TWISTED_REACTOR = (
    "twisted.internet.asyncioreactor.AsyncioSelectorReactor"  # commands/crawl.py relies on it
)
REMOTE_CONTROL_ENABLED = False  # Scrapy 2.19 would open a local port and write under ~/.local
TELNETCONSOLE_ENABLED = False
FEED_EXPORT_ENCODING = "utf-8"
LOG_LEVEL = os.environ.get("LOG_LEVEL", "INFO")
