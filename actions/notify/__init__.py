"""Delivery of notices to the owner's conversation (the outbox's consumer)."""
