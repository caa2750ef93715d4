"""Shared by every capability: settings, errors, phrases, parsing, the clock, idempotency keys."""
