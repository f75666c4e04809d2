"""Sections of `benchmarks/default_model_quality.py`: classifier, generation, transfer, tables."""
