"""The handoff catalogue (handoff.yml) is complete, safe, consistent with the domain, and the
README's table is the file."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from actions.core.errors import ConfigError
from actions.handoff.catalogue import POINTS, SAFE_DEFAULTS, load_catalogue

ROOT = Path(__file__).resolve().parent.parent
DOMAIN = yaml.safe_load((ROOT / "domain.yml").read_text())


def test_every_point_is_declared_once_with_a_known_safe_default():
    catalogue = load_catalogue()
    assert [p.id for p in catalogue.points] == list(POINTS)
    for point in catalogue.points:
        assert point.on_no_answer in SAFE_DEFAULTS
        assert point.ask in DOMAIN["responses"], point.id
        assert point.no_answer_told in DOMAIN["responses"], point.id


def test_no_safe_default_spends_or_cancels():
    # The names are the contract: a default that pays, orders or cancels must never appear.
    for default in SAFE_DEFAULTS:
        assert not re.search(r"pay(?!s)|order(?!ed)|cancel(?!led)|book(?!ed)|grant", default)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda d: d["points"].pop(), "missing: device_report"),
        (lambda d: d["points"].append(dict(d["points"][0])), "repeated: agent_connected"),
        (lambda d: d["points"][1].update(on_no_answer="book_first_slot"), "unknown safe default"),
        (lambda d: d["points"][2].update(wait_s=-1), "wait_s"),
        (lambda d: d["points"][3].update(id="guess_answer"), "unknown handoff point"),
        (lambda d: d["points"][4].update(ask="say hello"), "ask"),
        (lambda d: d["points"][0].update(extra="x"), "extra"),
    ],
)
def test_a_bad_catalogue_stops_start_up_naming_the_entry(tmp_path, change, message):
    data = yaml.safe_load((ROOT / "handoff.yml").read_text())
    change(data)
    path = tmp_path / "handoff.yml"
    path.write_text(yaml.safe_dump(data))
    with pytest.raises(ConfigError) as err:
        load_catalogue(path)
    assert message in str(err.value) and "handoff.yml" in str(err.value)


def test_unreadable_catalogue_is_a_config_error(tmp_path):
    path = tmp_path / "handoff.yml"
    path.write_text("points: [unclosed")
    with pytest.raises(ConfigError, match="cannot be read"):
        load_catalogue(path)


def _readme_rows() -> dict[str, list[str]]:
    text = (ROOT / "README.md").read_text()
    section = text[text.index("## Where the owner comes in") :]
    section = section[: section.index("\n## ", 5)]
    rows = {}
    for line in section.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) == 6 and cells[0].startswith("`") and cells[0].endswith("`"):
            rows[cells[0].strip("`")] = cells[1:]
    return rows


def test_readme_table_is_the_catalogue():
    rows = _readme_rows()
    catalogue = load_catalogue()
    assert list(rows) == [p.id for p in catalogue.points]
    for point in catalogue.points:
        trigger, asked, waiting, wait, no_answer = rows[point.id]
        assert trigger == point.trigger
        assert f"`{point.ask}`" in asked
        assert waiting == point.while_waiting
        assert wait == (f"{point.wait_s} s" if point.wait_s else "until the owner answers")
        assert f"`{point.on_no_answer}`" in no_answer and f"`{point.no_answer_told}`" in no_answer
