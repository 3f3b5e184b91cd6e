"""Performance benchmark (not collected by pytest): run `tests/perf/run_benchmark.py`."""
