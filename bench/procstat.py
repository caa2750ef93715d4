"""CPU time and peak memory of a process group, read from /proc (Linux only).

Every process of the stack is started in its own session (launcher.processes), so its pid is
also its process group id: a group's CPU is the leader's plus that of every live member, plus
what the leader's reaped children used (cutime, cstime).
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from pathlib import Path

PROC = Path("/proc")
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def _stat_fields(pid: int) -> list[str] | None:
    """The fields of /proc/<pid>/stat after the command name (state is index 0)."""
    try:
        raw = (PROC / str(pid) / "stat").read_text()
    except OSError:
        return None
    # The command name is in parentheses and may itself hold spaces or parentheses.
    return raw[raw.rfind(")") + 2 :].split()


def group_members(pgid: int) -> list[int]:
    """Live pids whose process group is `pgid` (the leader first, if alive)."""
    members = []
    for entry in PROC.iterdir():
        if not entry.name.isdigit():
            continue
        fields = _stat_fields(int(entry.name))
        if fields is not None and int(fields[2]) == pgid:
            members.append(int(entry.name))
    return sorted(members, key=lambda pid: (pid != pgid, pid))


def group_cpu_seconds(pgid: int) -> float:
    """utime + stime of every live member of the group, plus the leader's reaped children."""
    ticks = 0
    for pid in group_members(pgid):
        fields = _stat_fields(pid)
        if fields is None:
            continue
        ticks += int(fields[11]) + int(fields[12])  # utime, stime
        if pid == pgid:
            ticks += int(fields[13]) + int(fields[14])  # cutime, cstime
    return ticks / CLOCK_TICKS


def _status_kb(pid: int, field: str) -> int:
    try:
        for line in (PROC / str(pid) / "status").read_text().splitlines():
            if line.startswith(f"{field}:"):
                return int(line.split()[1])
    except (OSError, ValueError, IndexError):
        pass
    return 0


def group_peak_rss_mb(pgid: int) -> float:
    """The sum of VmHWM (peak resident set) over the group's live members, in MiB."""
    return sum(_status_kb(pid, "VmHWM") for pid in group_members(pgid)) / 1024


@dataclass
class CpuWindow:
    """CPU used by one process group between `start()` and `stop()`, as % of one core."""

    pgid: int
    _cpu0: float = 0.0
    _wall0: float = 0.0
    cpu_s: float = 0.0
    wall_s: float = 0.0

    def start(self) -> CpuWindow:
        self._cpu0 = group_cpu_seconds(self.pgid)
        self._wall0 = time.monotonic()
        return self

    def stop(self) -> CpuWindow:
        self.cpu_s = group_cpu_seconds(self.pgid) - self._cpu0
        self.wall_s = time.monotonic() - self._wall0
        return self

    @property
    def percent(self) -> float:
        return 100.0 * self.cpu_s / self.wall_s if self.wall_s > 0 else 0.0
