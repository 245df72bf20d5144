"""Replication of the paper's tables and figures; run ``python -m replication``."""
