"""Devices: telemetry intake, models and config, diagnosis, the worker, incidents and notices."""
