"""Fixtures for the sixth company (tests/sixth_company): a desk that knows it and the action
code pointed at its owner. Tests that use it import the fixtures and name them in `usefixtures`
(as parameters, an imported fixture reads as a redefinition to the linter), and reach the desk
with `the_desk()`:

    from tests.actions.sixth_company import sixth_desk, sixth_env  # noqa: F401 (fixtures)

    @pytest.mark.usefixtures("sixth_env")
    def test_...(): ...
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from launcher.stack import demo_keys
from tests.actions.conftest import OWNER_TOKEN, _reset_caches
from tests.conftest import DeskProcess
from tests.sixth_company import BOILER, DESK_SEED, KEY, PROVIDER, stand_in_env


@pytest.fixture(scope="session")
def sixth_desk(desk_factory: Callable[..., DeskProcess]) -> DeskProcess:
    """A desk of its own with the sixth company added (the shared one has the five only)."""
    return desk_factory(env={"SERVICE_DESK_EXTRA_SEED": str(DESK_SEED)})


@pytest.fixture
def sixth_env(
    sixth_desk: DeskProcess, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> Iterator[DeskProcess]:
    """As `standin_env`, for the owner of tests/sixth_company (five accounts and the sixth)."""
    sixth_desk.reset()
    monkeypatch.setenv("SERVICE_DESK_URL", sixth_desk.url)
    monkeypatch.setenv("STANDIN_DB_URL", f"sqlite:///{tmp_path / 'standin.sqlite3'}")
    monkeypatch.setenv("STANDIN_DESK_ATTEMPTS", "2")
    monkeypatch.setenv("STANDIN_DESK_BACKOFF_S", "0.05")
    monkeypatch.setenv("STANDIN_DESK_TIMEOUT_S", "5")
    monkeypatch.setenv("STANDIN_OWNER_TOKEN", OWNER_TOKEN)
    for name, value in {**demo_keys(), **stand_in_env()}.items():
        monkeypatch.setenv(name, value)
    _reset_caches()
    yield sixth_desk
    _reset_caches()


def the_desk() -> DeskProcess:
    """A client for the desk the action code is pointed at (`sixth_env` sets it)."""
    return DeskProcess.attach(os.environ["SERVICE_DESK_URL"])


__all__ = ["BOILER", "KEY", "PROVIDER", "sixth_desk", "sixth_env", "the_desk"]
