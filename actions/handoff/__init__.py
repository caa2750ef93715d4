"""Handing control to the owner: the catalogue, handoff records, answers, notices, consents."""
