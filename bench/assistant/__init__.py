"""Support code of bench/assistant_bench.py: conversation mix, load generator, server processes."""
