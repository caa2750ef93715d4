"""The store's and the webhooks' settings: documented defaults, bad values name the variable."""

import pytest

from actions.core.errors import ConfigError
from actions.core.settings import PROJECT_ROOT, load_settings


def test_defaults(monkeypatch):
    for name in ("STANDIN_DB_URL", "STANDIN_WEBHOOK_SECRET", "STANDIN_WEBHOOK_URL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("ACTION_SERVER_PORT", "5099")
    settings = load_settings()
    assert settings.db_url == f"sqlite:///{PROJECT_ROOT / 'var' / 'standin.sqlite3'}"
    assert settings.webhook_secret is None
    assert settings.webhook_url == "http://127.0.0.1:5099/webhooks/servicedesk"


def test_secrets_stay_out_of_the_repr(monkeypatch):
    monkeypatch.setenv("STANDIN_WEBHOOK_SECRET", "a-secret-of-enough-length")
    monkeypatch.setenv("STANDIN_DB_URL", "postgresql://u:hunter2hunter2@db/standin")
    text = repr(load_settings())
    assert "a-secret-of-enough-length" not in text and "hunter2" not in text


@pytest.mark.parametrize(
    "name, value",
    [
        ("STANDIN_DB_URL", "mysql://db/standin"),
        ("STANDIN_DB_URL", "sqlite://"),
        ("STANDIN_DB_URL", "not a url"),
        ("STANDIN_WEBHOOK_SECRET", "short"),
        ("STANDIN_WEBHOOK_URL", "ftp://example.org/hooks"),
    ],
)
def test_bad_values_name_the_variable(monkeypatch, name, value):
    monkeypatch.setenv(name, value)
    with pytest.raises(ConfigError, match=name):
        load_settings()
