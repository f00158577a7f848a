"""Local servers the tests crawl and archive against: a SeaweedFS S3 server and site imitations."""
