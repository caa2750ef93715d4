import pytest

from actions.core.errors import ConfigError
from actions.core.settings import load_settings


def test_defaults(monkeypatch):
    for name in ("SERVICE_DESK_URL", "SERVICE_DESK_PORT", "STANDIN_DESK_TIMEOUT_S"):
        monkeypatch.delenv(name, raising=False)
    settings = load_settings()
    assert settings.service_desk_url == "http://127.0.0.1:8090"
    assert settings.desk_timeout_s == 5
    assert settings.desk_attempts == 3


def test_desk_port_alone_moves_the_url(monkeypatch):
    monkeypatch.delenv("SERVICE_DESK_URL", raising=False)
    monkeypatch.setenv("SERVICE_DESK_PORT", "9999")
    assert load_settings().service_desk_url == "http://127.0.0.1:9999"


@pytest.mark.parametrize(
    "name, value",
    [
        ("SERVICE_DESK_URL", "ftp://desk"),
        ("STANDIN_DESK_TIMEOUT_S", "soon"),
        ("STANDIN_DESK_TIMEOUT_S", "0"),
        ("STANDIN_DESK_ATTEMPTS", "50"),
        ("STANDIN_NOTIFY_CHANNEL", "rest"),
        ("STANDIN_RASA_URL", "not a url"),
        ("STANDIN_ANSWER_TIMEOUT_S", "0"),
        ("STANDIN_CALL_POLL_S", "never"),
        ("STANDIN_WEBHOOK_RECHECK_S", "-1"),
    ],
)
def test_bad_values_name_the_variable(monkeypatch, name, value):
    monkeypatch.setenv(name, value)
    with pytest.raises(ConfigError, match=name):
        load_settings()


def test_call_defaults(monkeypatch):
    for name in (
        "STANDIN_RASA_URL",
        "RASA_PORT",
        "RASA_AUTH_TOKEN",
        "STANDIN_NOTIFY_CHANNEL",
        "STANDIN_ANSWER_TIMEOUT_S",
        "STANDIN_CALL_POLL_S",
    ):
        monkeypatch.delenv(name, raising=False)
    settings = load_settings()
    assert settings.rasa_url == "http://127.0.0.1:5005"
    assert settings.rasa_token is None and settings.notify_channel == "callback"
    assert (settings.answer_timeout_s, settings.call_poll_s) == (None, 30)
    monkeypatch.setenv("RASA_PORT", "6006")
    monkeypatch.setenv("RASA_AUTH_TOKEN", "a-token-of-enough-length")
    settings = load_settings()
    assert settings.rasa_url == "http://127.0.0.1:6006"
    assert "a-token" not in repr(settings)  # never in a log line
