"""`python -m launcher.rasa_server`: the arguments it gives `rasa run`, read by Rasa's own parser.

Starting Rasa with a token that looks like an option, and on loopback by default, is tested on
the running stack in tests/e2e/test_stack_security.py."""

from __future__ import annotations

import pytest
from rasa.__main__ import create_argument_parser

from launcher.rasa_server import rasa_arguments
from launcher.tokens import new_token


def parsed(args: list[str]):
    return create_argument_parser().parse_args(["run", *args])


@pytest.mark.parametrize(
    "token", ["-abcdefghijklmnopq", "--enable-api-token-xyz", "sit0123456789abc"]
)
def test_any_token_reaches_rasa_as_the_token(token):
    args = parsed(rasa_arguments(["--port", "5005"], token))
    assert args.auth_token == token
    assert args.enable_api is True


def test_rasa_listens_on_loopback_unless_told_otherwise():
    assert parsed(rasa_arguments([], new_token())).interface == "127.0.0.1"
    for given in (["--interface", "0.0.0.0"], ["--interface=0.0.0.0"], ["-i", "0.0.0.0"]):
        assert parsed(rasa_arguments(given, new_token())).interface == "0.0.0.0"


def test_generated_tokens_never_look_like_options():
    tokens = [new_token() for _ in range(2000)]
    assert not any(t.startswith("-") for t in tokens)
    assert len(set(tokens)) == len(tokens) and all(len(t) >= 16 for t in tokens)
