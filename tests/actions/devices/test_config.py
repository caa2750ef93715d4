"""telemetry.yml: validated at load, and every entry names what the company really has."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import yaml

from actions.core.errors import ConfigError
from actions.devices.config import CONFIG_PATH, load_telemetry_config
from actions.owner.profile import load_profile
from launcher.stack import demo_keys
from tests.conftest import PROJECT_ROOT, DeskProcess

KEYS = {
    "nimbus-telecom": "sk-nimbus-demo",
    "voltra-motors": "sk-voltra-demo",
    "brightgrid-energy": "sk-brightgrid-demo",
    "aquaflow-water": "sk-aquaflow-demo",
    "homecare-appliances": "sk-homecare-demo",
}


def test_the_shipped_table_covers_every_device_the_issue_names() -> None:
    table = load_telemetry_config()
    kinds = {p.device_kind for p in table.diagnosis}
    assert {"car", "fridge", "washing_machine", "router", "water"} <= kinds
    assert len(table.problems_for("car")) == 3
    leak = table.problem("water_leak")
    assert leak is not None and leak.severity == "urgent" and leak.signal.between is not None


def test_every_entry_names_a_real_category_part_and_service_at_the_desk(desk: DeskProcess) -> None:
    table = load_telemetry_config()
    for problem in table.diagnosis:
        key = KEYS[problem.provider]
        status, _, provider = desk.get(f"/v1/providers/{problem.provider}", key=key)
        assert status == 200, provider
        assert problem.category in [c["id"] for c in provider["categories"]], problem.id
        if problem.part:
            _, _, parts = desk.get(f"/v1/parts?provider={problem.provider}", key=key)
            assert problem.part in [p["sku"] for p in parts["parts"]], problem.id
        if problem.visit:
            assert problem.visit in provider["services"], problem.id


def test_every_problem_names_a_device_kind_the_owner_has_and_a_response() -> None:
    table = load_telemetry_config()
    profile = load_profile(PROJECT_ROOT / "owner.yml")
    kinds = {i.kind for a in profile.accounts for i in [*a.devices, *a.meters]}
    responses = yaml.safe_load((PROJECT_ROOT / "domain.yml").read_text())["responses"]
    for problem in table.diagnosis:
        assert problem.device_kind in kinds, problem.id
        assert problem.label in responses, problem.id
    for provider in table.meter_schedules:
        assert profile.account_for(provider) is not None


def test_every_device_has_a_demo_token() -> None:
    profile = load_profile(PROJECT_ROOT / "owner.yml")
    keys = demo_keys()
    for account in profile.accounts:
        for item in [*account.devices, *account.meters]:
            name = item.token_variable()
            assert keys.get(name) or os.environ.get(name), name


def _write(tmp_path: Path, change: dict) -> Path:
    raw = yaml.safe_load(CONFIG_PATH.read_text())
    raw["diagnosis"][0].update(change)
    path = tmp_path / "telemetry.yml"
    path.write_text(yaml.safe_dump(raw))
    return path


@pytest.mark.parametrize(
    ("change", "named"),
    [
        ({"signal": {"code": "X", "metric": "y", "above": 1}}, "diagnosis.0.signal"),
        ({"signal": {"metric": "temperature_c", "for_minutes": 5}}, "diagnosis.0.signal"),
        ({"signal": {"metric": "t", "above": 1, "between": ["25:00", "01:00"]}}, "between"),
        ({"severity": "apocalyptic"}, "diagnosis.0.severity"),
        ({"label": "not a response"}, "diagnosis.0.label"),
        ({"surprise": True}, "diagnosis.0.surprise"),
    ],
)
def test_a_bad_entry_is_refused_naming_it(tmp_path: Path, change: dict, named: str) -> None:
    with pytest.raises(ConfigError) as err:
        load_telemetry_config(_write(tmp_path, change))
    assert named in str(err.value)


def test_a_repeated_problem_id_is_refused(tmp_path: Path) -> None:
    raw = yaml.safe_load(CONFIG_PATH.read_text())
    raw["diagnosis"].append(raw["diagnosis"][0])
    path = tmp_path / "telemetry.yml"
    path.write_text(yaml.safe_dump(raw))
    with pytest.raises(ConfigError, match="repeated: car_battery_cooling"):
        load_telemetry_config(path)
