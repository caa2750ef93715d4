"""Stand-in's version: the desk client names itself with it (`X-Machine-Customer`)."""

__version__ = "0.1.0"
