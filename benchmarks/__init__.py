"""Benchmarks: each script measures the course against its naive baseline in the same run and prints
a table of seconds and ratios, plus a JSON file in benchmarks/results/. Run all: ``python -m benchmarks.run``."""
