"""Replication of the paper's tables and figures: ``python -m replication`` (see README.md)."""
