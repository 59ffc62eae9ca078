"""Rules: see pipeline.checks (stub, to be written)."""
