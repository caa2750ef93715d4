"""scripts/check_imports.py, run as `make imports` runs it, on real package trees written to
tmp_path, and on the project itself."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
SCRIPT = PROJECT_ROOT / "scripts" / "check_imports.py"

# The packages of a synthetic `actions/`, all empty: each test adds the modules it needs.
PACKAGES = (
    "core",
    "owner",
    "providers",
    "store",
    "notify",
    "handoff",
    "devices",
    "calls",
    "journeys",
)


def write_tree(root: Path, files: dict[str, str]) -> None:
    """`files` maps a path below `root` to its source; every package gets an __init__.py."""
    for package in PACKAGES:
        files.setdefault(f"actions/{package}/__init__.py", '"""A layer."""\n')
    files.setdefault("actions/__init__.py", '"""The actions."""\n')
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)


def check(root: Path, *packages: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(SCRIPT), "--root", str(root), *(packages or ("actions",))],
        capture_output=True,
        text=True,
        check=False,
    )


def test_a_circle_through_a_function_level_import_is_caught_and_named(tmp_path: Path) -> None:
    write_tree(
        tmp_path,
        {
            "actions/core/a.py": "from actions.core.b import B\n\nA = 1\n",
            "actions/core/b.py": '"""B."""\n\nB = 2\n\n\ndef a():\n    from actions.core import a\n'
            "\n    return a\n",
        },
    )
    result = check(tmp_path)
    assert result.returncode == 1, result.stdout
    assert "import circle: actions.core.a -> actions.core.b -> actions.core.a" in result.stdout
    assert "actions/core/a.py:1: actions.core.a imports actions.core.b" in result.stdout
    assert "actions/core/b.py:7 (in a function): actions.core.b imports actions.core.a" in (
        result.stdout
    )


def test_a_circle_through_type_checking_is_caught(tmp_path: Path) -> None:
    write_tree(
        tmp_path,
        {
            "actions/store/cases.py": "from actions.store.calls import Call\n",
            "actions/store/calls.py": "from typing import TYPE_CHECKING\n\nif TYPE_CHECKING:\n"
            "    from .cases import Case\n",
        },
    )
    result = check(tmp_path)
    assert result.returncode == 1, result.stdout
    assert "import circle: actions.store.calls -> actions.store.cases -> actions.store.calls" in (
        result.stdout
    )
    assert "actions/store/calls.py:4 (under TYPE_CHECKING)" in result.stdout


def test_an_explicit_import_of_the_package_closes_a_circle_through_its_init(
    tmp_path: Path,
) -> None:
    # The shape that matters: importing `actions` runs its __init__, which imports the module
    # that imports `actions` back.
    write_tree(
        tmp_path,
        {
            "actions/__init__.py": "from actions.core.masking import install\n\n"
            '__version__ = "1"\ninstall()\n',
            "actions/core/masking.py": "def install():\n    from actions.core import client\n",
            "actions/core/client.py": "from actions import __version__\n",
        },
    )
    result = check(tmp_path)
    assert result.returncode == 1, result.stdout
    assert (
        "import circle: actions -> actions.core.masking -> actions.core.client -> actions"
        in result.stdout
    )


def test_a_layering_violation_is_caught_with_its_line_and_rule(tmp_path: Path) -> None:
    write_tree(
        tmp_path,
        {
            "actions/store/cases.py": '"""Cases."""\n\nimport actions.journeys.parts\n',
            "actions/journeys/parts.py": "PARTS = []\n",
        },
    )
    result = check(tmp_path)
    assert result.returncode == 1, result.stdout
    assert (
        "layering: actions/store/cases.py:3: actions.store.cases imports actions.journeys.parts, "
        "but store may import only: core, owner, providers, store"
    ) in result.stdout
    assert "import circle:" not in result.stdout


def test_nothing_may_import_the_server_and_a_new_package_must_be_placed(tmp_path: Path) -> None:
    write_tree(
        tmp_path,
        {
            "actions/server.py": "from actions import runtime\n",
            "actions/runtime.py": "SERVICES = {}\n",
            "actions/journeys/stop.py": "from actions.server import main\n",
            "actions/extras/__init__.py": "",
            "actions/extras/thing.py": "THING = 1\n",
        },
    )
    result = check(tmp_path)
    assert result.returncode == 1, result.stdout
    assert "actions/journeys/stop.py:1: actions.journeys.stop imports actions.server" in (
        result.stdout
    )
    assert "actions/extras/thing.py: actions.extras.thing is in no layer" in result.stdout


def test_a_clean_tree_passes(tmp_path: Path) -> None:
    write_tree(
        tmp_path,
        {
            # The package may import what holds the log-masking installer.
            "actions/__init__.py": "from actions.core.masking import install\n\ninstall()\n",
            "actions/core/masking.py": "def install():\n    return None\n",
            "actions/core/settings.py": "SETTINGS = {}\n",
            # Implicitly running actions/__init__ and actions/core/__init__ is not an edge.
            "actions/owner/profile.py": "import actions.core.settings\n",
            "actions/store/cases.py": "from ..owner import profile\nfrom . import calls\n",
            "actions/store/calls.py": "from actions.core.settings import SETTINGS\n",
            "actions/runtime.py": "from actions.store.cases import profile\n",
            "actions/journeys/parts.py": "from actions.runtime import profile\n",
            "actions/handoff/registry.py": "def registry():\n    from actions import runtime\n",
            "actions/server.py": "from actions.journeys import parts\nimport actions.runtime\n",
        },
    )
    result = check(tmp_path)
    assert result.returncode == 0, result.stdout
    assert result.stdout.splitlines() == [
        "check_imports: 19 modules, 10 imports: no circles, layers respected"
    ]


def test_a_package_outside_actions_is_checked_for_circles_only(tmp_path: Path) -> None:
    write_tree(
        tmp_path,
        {
            "desk/__init__.py": "",
            "desk/api.py": "from desk.errors import Error\n",
            "desk/errors.py": "class Error(Exception):\n    def answer(self):\n"
            "        from desk import api\n",
        },
    )
    result = check(tmp_path, "desk")
    assert result.returncode == 1, result.stdout
    assert "import circle: desk.api -> desk.errors -> desk.api" in result.stdout
    assert "layering:" not in result.stdout


def test_the_project_has_no_import_circle_and_respects_its_layers() -> None:
    result = subprocess.run(
        [sys.executable, str(SCRIPT)], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr
