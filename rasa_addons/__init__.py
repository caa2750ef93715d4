"""Rasa extensions that run in the Rasa process (named in endpoints.yml)."""
