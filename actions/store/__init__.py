"""Durable state: the schema, case memory, calls, devices, preferences and the notice outbox."""
