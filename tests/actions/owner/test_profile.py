from pathlib import Path

import pytest

from actions.core.errors import ConfigError
from actions.core.settings import PROJECT_ROOT
from actions.owner.profile import load_profile


def test_the_shipped_profile_is_the_first_seeded_owner():
    profile = load_profile(PROJECT_ROOT / "owner.yml")
    assert profile.owner.name == "Alex Morgan"
    assert profile.owner.phone == "+15550100"
    assert {a.provider for a in profile.accounts} == {
        "nimbus-telecom",
        "voltra-motors",
        "brightgrid-energy",
        "aquaflow-water",
        "homecare-appliances",
    }
    assert profile.account_for("aquaflow-water").meters[0].id == "WM-3341"


def test_api_key_comes_from_the_environment(monkeypatch):
    profile = load_profile(PROJECT_ROOT / "owner.yml")
    account = profile.account_for("nimbus-telecom")
    monkeypatch.delenv(account.api_key_env, raising=False)
    with pytest.raises(ConfigError, match="STANDIN_NIMBUS_TELECOM_API_KEY"):
        profile.api_key(account)
    monkeypatch.setenv(account.api_key_env, "sk-test")
    assert profile.api_key(account) == "sk-test"


@pytest.mark.parametrize(
    "content, complaint",
    [
        ("owner: [", "not valid YAML"),
        ("- just a list", "must be a mapping"),
        ("owner: {name: A, phone: '12'}\naccounts: []", "owner.phone"),
        (
            "owner: {name: A, phone: '+15550100'}\naccounts:\n"
            "  - {provider: p, account_id: X, api_key_env: lower-case}",
            "api_key_env",
        ),
        (
            "owner: {name: A, phone: '+15550100'}\naccounts:\n"
            "  - {provider: p, account_id: X, api_key_env: K}\n"
            "  - {provider: p, account_id: Y, api_key_env: K2}",
            "listed twice",
        ),
    ],
)
def test_a_bad_profile_is_refused_with_the_field_named(tmp_path: Path, content, complaint):
    path = tmp_path / "owner.yml"
    path.write_text(content)
    with pytest.raises(ConfigError, match=complaint):
        load_profile(path)


def test_a_missing_profile_names_the_file(tmp_path: Path):
    with pytest.raises(ConfigError, match="cannot read the owner profile"):
        load_profile(tmp_path / "nope.yml")
