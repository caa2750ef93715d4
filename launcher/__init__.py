"""Start, watch and stop Stand-in's processes: used by `make demo`, `make run` and the e2e tests."""
