"""The conversation suite's fast scenarios (marked `fast: true` in tests/conversations/) on the
session's stack: each judged by what happened at the companies and what the owner was told
(bench/conversation_suite.py). `make bench` runs every scenario and reports the share."""

from __future__ import annotations

import pytest

from bench.conversation_report import stack_target
from bench.conversation_suite import load_scenarios, run_scenario
from launcher.stack import Stack

FAST = [s for s in load_scenarios() if s.fast]


@pytest.mark.parametrize("scenario", FAST, ids=[s.id for s in FAST])
def test_the_fast_scenario_passes(stack: Stack, scenario) -> None:
    verdict = run_scenario(stack_target(stack), scenario)
    assert verdict.passed, (verdict.reasons, verdict.transcript.replies)
