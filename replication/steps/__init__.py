"""The numbered steps of the replication; each module exposes ``run(ctx) -> dict[str, float]``."""
