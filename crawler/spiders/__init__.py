"""Spiders, one per source, on the shared base in base.py."""
