"""Benchmark harness: BentoML service vs. an original-style FastAPI baseline (see run.py)."""
