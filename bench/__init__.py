"""Benchmarks of the whole Stand-in stack. Run `python -m bench holds --help` (or `make bench`).

Benchmarks measure; they never assert timings. A run fails (exit code 1) only when the work
itself did not happen, such as calls that never reached a queue or a notification that never
arrived.
"""
