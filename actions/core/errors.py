"""Exceptions shared across the action modules."""


class ConfigError(Exception):
    """A setting or the owner profile is invalid; the message names what and where."""
