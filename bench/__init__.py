"""Benchmarks run by `make bench`: each module measures one part of the service on PostgreSQL at national
scale and writes its figures to `bench/results/<name>.json`."""
