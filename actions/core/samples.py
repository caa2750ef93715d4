"""A reading of a device or a meter: a value at a time.

What the device store returns and the diagnosis judges; here, below both, so the diagnosis stays
pure (it needs no store) and the store needs nothing of the devices capability.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class Sample:
    at: datetime  # aware
    value: float
