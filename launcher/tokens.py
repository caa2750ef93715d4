"""Tokens the launcher generates for the processes it starts (Rasa's API, the action server).

A token is hex behind a letter prefix, so it can never look like a command-line option (a
`token_urlsafe` value begins with `-` about one time in sixty, and Rasa's argument parser then
took it for an option and refused to start) and never needs escaping in a URL query.
"""

from __future__ import annotations

import secrets

PREFIX = "sit"


def new_token(nbytes: int = 24) -> str:
    """A fresh random token: "sit" and 2 * `nbytes` hex digits."""
    return PREFIX + secrets.token_hex(nbytes)
