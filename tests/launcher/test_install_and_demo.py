"""The commands a new user runs: the install's Python check, the action server's config check,
and `make demo`'s conversation itself, run on free ports."""

from __future__ import annotations

import os
import re
import subprocess
import sys

from launcher.processes import PROJECT_ROOT, free_port
from launcher.stack import StackConfig, StackError, _port


def test_install_refuses_a_python_that_is_not_3_10(tmp_path):
    fake = tmp_path / "python"
    fake.write_text("#!/bin/sh\nexit 1\n")
    fake.chmod(0o755)
    result = subprocess.run(
        ["bash", str(PROJECT_ROOT / "scripts" / "install.sh")],
        env={**os.environ, "PYTHON": str(fake)},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 1
    assert "is not Python 3.10" in result.stderr
    assert "pyenv install" in result.stderr  # and it says what to do


def test_action_server_refuses_to_start_with_a_bad_profile(tmp_path):
    profile = tmp_path / "owner.yml"
    profile.write_text("owner: {name: A, phone: 'not a phone'}\naccounts: []\n")
    result = subprocess.run(
        [sys.executable, "-m", "actions.server"],
        cwd=PROJECT_ROOT,
        env={**os.environ, "STANDIN_OWNER_PROFILE": str(profile)},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 2
    assert "owner.phone" in result.stderr and str(profile) in result.stderr


def test_action_server_refuses_to_start_without_the_action_token(tmp_path):
    from launcher.stack import demo_keys

    env = {**os.environ, **demo_keys(), "STANDIN_DB_URL": f"sqlite:///{tmp_path / 's.db'}"}
    env.pop("STANDIN_ACTION_TOKEN", None)
    result = subprocess.run(
        [sys.executable, "-m", "actions.server"],
        cwd=PROJECT_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 2
    assert "STANDIN_ACTION_TOKEN" in result.stderr


def test_a_bad_port_is_named(monkeypatch):
    monkeypatch.setenv("RASA_PORT", "fifty")
    try:
        StackConfig.from_environment(PROJECT_ROOT / "var" / "never-used")
    except StackError as err:
        assert "RASA_PORT" in str(err)
    else:
        raise AssertionError("a bad port was accepted")
    assert _port("UNSET_PORT_VARIABLE", 1234) == 1234


def test_demo_runs_the_scripted_conversation_and_leaves_the_tickets(tmp_path):
    env = {
        **os.environ,
        "RASA_PORT": str(free_port()),
        "ACTION_SERVER_PORT": str(free_port()),
        "SERVICE_DESK_PORT": str(free_port()),
        "STANDIN_DEMO_DIR": str(tmp_path / "demo"),
    }
    result = subprocess.run(
        [sys.executable, "-m", "launcher.demo"],
        cwd=PROJECT_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    out = result.stdout
    assert "Done: I opened Nimbus Telecom ticket TCK-" in out
    assert "Which company is this about?" in out
    assert out.count("Done: I opened HomeCare Appliances ticket TCK-") == 2
    assert "device=FR-88-2210" in out
    assert "Sent: the reading 1250.7 m3" in out and "meter=WM-3341 value=1250.7" in out
    assert "spending limit is now 50.00 EUR" in out
    assert "status=in_progress" in out and "sent by: Stand-in/" in out
    # The car's fault, on its own: ticket, part within the limit, and the day the owner picked.
    assert "Stand-in*: Your car reported a charging-port fault. I opened Voltra Motors" in out
    assert "part=VM-CPA-3 42.00 EUR to SC-LIS-1" in out
    assert "at SC-LIS-1 for ticket TCK-" in out
    # In the order it happened: the pushed question above the owner's answer to it.
    asked = re.search(r"Take\s+the\s+call\?", out)  # wrapped lines break anywhere
    assert asked is not None and asked.start() < out.index("Owner: yes, put me through")
    assert "Stopped every process the demo started." in out


def test_the_demo_desk_starts_on_a_weekday_morning_whatever_the_hour():
    from datetime import datetime, timezone

    from launcher.demo import demo_start_time

    # A Sunday night run (the owner's quiet hours, lines closed) still demos a weekday morning.
    assert demo_start_time(datetime(2026, 12, 6, 23, 30, tzinfo=timezone.utc)) == (
        "2026-12-04T09:00:00Z"
    )
    assert demo_start_time(datetime(2026, 12, 1, 21, 37, tzinfo=timezone.utc)) == (
        "2026-12-01T09:00:00Z"
    )
