"""The record item every spider yields; pipelines add the archived file and the parsed fields."""

from __future__ import annotations

import scrapy


class RecordItem(scrapy.Item):
    # identity: a record is (source, source_id), never a page position
    source = scrapy.Field()  # "cninfo", ...
    source_id = scrapy.Field()  # the site's id (cninfo announcementId…); "<site>-" off home
    site = scrapy.Field()  # where the record was listed: cninfo, sseinfo, bse, p5w
    # listing metadata
    exchange = scrapy.Field()  # SZSE / SSE / BSE
    stock_code = scrapy.Field()
    stock_name = scrapy.Field()
    org_id = scrapy.Field()
    title = scrapy.Field()
    published_at = scrapy.Field()  # ISO 8601 with +08:00
    file_url = scrapy.Field()
    file_type_declared = scrapy.Field()  # what the listing says (cninfo adjunctType); bytes decide
    detail_url = scrapy.Field()
    # filled by the pipelines
    file = scrapy.Field()  # {key, sha256, size, content_type}
    error = scrapy.Field()  # what went wrong fetching or archiving the original, else absent
    archived_at = scrapy.Field()
    duplicate_of = scrapy.Field()  # {source, source_id} that archived the same bytes first
    originals = scrapy.Field()  # [{name, key, sha256, size, content_type}] of held originals
    held_originals = scrapy.Field()  # {name: (bytes, content_type)} a spider fetched; never stored
    # the original in memory between archive and parse; never stored
    original_bytes = scrapy.Field()

    # parsed from the original by pipelines.parser (field names fixed: exports rely on them)
    company_name = scrapy.Field()
    record_no = scrapy.Field()
    activity_types = scrapy.Field()
    activity_other = scrapy.Field()
    participants = scrapy.Field()
    participants_text = scrapy.Field()
    people_count = scrapy.Field()  # persons the participants list names
    time_text = scrapy.Field()
    start_date = scrapy.Field()
    end_date = scrapy.Field()
    start_time = scrapy.Field()
    end_time = scrapy.Field()
    location = scrapy.Field()
    reception = scrapy.Field()
    content_text = scrapy.Field()
    qa = scrapy.Field()
    attachments_text = scrapy.Field()
    material_info = scrapy.Field()
    record_date = scrapy.Field()
    parse = scrapy.Field()  # {status, warnings, parser_version, format, pages}
