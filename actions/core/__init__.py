"""Shared by every capability: settings, errors, phrases, parsing, idempotency keys, log masking."""
