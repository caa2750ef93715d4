"""Durable state: the schema, case memory (audit log, cases, events, appointments and orders,
consents), provider events applied, calls, devices, preferences and the notice outbox."""
