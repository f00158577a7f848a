"""Project commands (scrapy crawl with exit codes, scrapy extract, ...)."""
