"""What each site is asked and how its pages and rows are read (see crawler/listing.py)."""
