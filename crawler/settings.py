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
SSEINFO_BASE_URL = os.environ.get("SSEINFO_BASE_URL", "https://sns.sseinfo.com")  # 上证e互动
BSE_BASE_URL = os.environ.get("BSE_BASE_URL", "https://www.bse.cn")  # listing and file host
# cninfo's query answers the pages past this one with its first page (sources.md §1): a window
# with more rows than these pages hold is split by day.
CNINFO_MAX_PAGES = int(os.environ.get("CNINFO_MAX_PAGES", "100"))
P5W_RS_URL = os.environ.get("P5W_RS_URL", "http://rs.p5w.net")  # roadshow events and their Q&A
P5W_IR_URL = os.environ.get("P5W_IR_URL", "https://ir.p5w.net")  # stock code -> company name
# roadshowType codes of the p5w events crawled: 业绩说明会, 投资者说明会, 集体接待日, 资产重组说明会
P5W_ROADSHOW_TYPES = os.environ.get("P5W_ROADSHOW_TYPES", "5,12,3,14").split(",")
CRAWL_ALL_SPIDERS = ["cninfo", "sse", "bse", "p5w"]  # `scrapy crawlall`, in this order
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
# Credentials are NOT settings: boto3 reads AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY (or a profile,
# or an instance role) from the environment itself, so they never reach a log line or a summary.
AWS_ENDPOINT_URL = os.environ.get("AWS_ENDPOINT_URL")
AWS_REGION_NAME = os.environ.get("AWS_REGION_NAME", os.environ.get("AWS_DEFAULT_REGION"))
FILES_STORE_S3_ACL = ""  # S3-compatible servers (SeaweedFS, MinIO) reject canned ACLs
FEED_STORAGE_S3_ACL = ""
ADDONS = {"crawler.archive_addon.ArchiveAddon": 0, "crawler.redact.RedactSecretsAddon": 0}

ITEM_PIPELINES = {
    "pipelines.index.IndexPipeline": 50,  # skip what the archive index says is already archived
    "pipelines.archive.ArchivePipeline": 100,  # original bytes first, so nothing is lost
    "pipelines.parse.ParsePipeline": 500,
    "pipelines.records.RecordPipeline": 900,
}
PARSE_WORKERS = int(os.environ.get("PARSE_WORKERS", "2"))  # parser processes beside the crawl
INDEX_SAVE_SECONDS = 60.0  # also saved when a backfill window finishes and at the end

# --- Scheduled runs, backfills, monitoring -------------------------------------------------------
SCHEDULE_OVERLAP_DAYS = 3  # a run without dates starts this many days before the watermark
BACKFILL_WINDOW_DAYS = 30  # a longer range is walked in windows of this many days, resumably
PROGRESS_INTERVAL = 60.0  # seconds between backfill progress lines
MONITOR_EMPTY_DAYS = 3  # warn when a source's newest record is this many days old
RETRY_FAILED_DAYS = 30  # a scheduled run fetches again originals that failed this far back
# Pins the crawl's clock (crawler/clock.py) for replaying a day and for tests, e.g.
# 2024-05-09T23:59:00+08:00; unset: the wall clock, in Asia/Shanghai.
CRAWL_NOW = os.environ.get("CRAWL_NOW") or None
SPIDER_MIDDLEWARES = {
    "crawler.backfill.WindowMiddleware": 800,
    "crawler.middlewares.RetryFailedRecords": 810,
}
EXTENSIONS = {
    "crawler.extensions.Watermark": 500,
    "crawler.extensions.RunSummary": 510,
    "crawler.extensions.BackfillProgress": 520,
}

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
RETRY_UNREACHABLE_TIMES = 2  # retries of a refused connection or a failed DNS lookup
DOWNLOADER_MIDDLEWARES = {
    "scrapy.downloadermiddlewares.retry.RetryMiddleware": None,
    "crawler.middlewares.BackoffRetryMiddleware": 550,
    "crawler.reach.ReachMiddleware": 560,  # which hosts answered; sees responses before retries
}

# --- Housekeeping --------------------------------------------------------------------------------
TWISTED_REACTOR = (
    "twisted.internet.asyncioreactor.AsyncioSelectorReactor"  # commands/crawl.py relies on it
)
REMOTE_CONTROL_ENABLED = False  # Scrapy 2.19 would open a local port and write under ~/.local
TELNETCONSOLE_ENABLED = False
FEED_EXPORT_ENCODING = "utf-8"
LOG_LEVEL = os.environ.get("LOG_LEVEL", "INFO")
# Archive store away (refused, timeouts, 5xx): downloads pause and store calls retry this long.
STORE_OUTAGE_MAX_SECONDS = 300.0
# Seconds before a store call's first retry, doubled each time up to STORE_RETRY_MAX_DELAY.
STORE_RETRY_DELAY = 1.0
# The longest pause between two retries of a store operation during an outage.
STORE_RETRY_MAX_DELAY = 30.0
# A download larger than this is cancelled and recorded as failed ("larger than DOWNLOAD_MAXSIZE").
DOWNLOAD_MAXSIZE = 64 * 1024 * 1024
# A download larger than this only logs a warning (Scrapy's own setting).
DOWNLOAD_WARNSIZE = 32 * 1024 * 1024
# The archive index is written as small segments (state/index/<source>/<run id>-<n>.jsonl, merged
# on read); at the end of a crawl a source with more segments than this is compacted into one.
INDEX_COMPACT_SEGMENTS = 20
# Seconds a document may take to parse; past it its worker is killed and the record marked failed.
PARSE_TIME_LIMIT = 300.0  # a scanned record is OCR'd at a few seconds a page
# Address space of a parse worker (MB): OCR (onnxruntime) reserves about 1.8 GB, LibreOffice (.doc)
# inherits the limit and needs about 500.
PARSE_MEMORY_LIMIT_MB = 2560
# A parse worker is replaced by a fresh one after this many documents (0: never).
PARSE_WORKER_MAX_DOCS = 200
# A Dask scheduler (tcp://host:8786) to parse and re-parse on instead of local worker processes
# (pip install '.[cluster]' on the driver and the workers; see README "Parsing on a cluster").
PARSE_CLUSTER = os.environ.get("PARSE_CLUSTER", "")
