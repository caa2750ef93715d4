"""Reading a YAML file the project ships (handoff.yml, telemetry.yml) into its pydantic model,
with one error line that names the file and the first bad entry."""

from __future__ import annotations

from pathlib import Path
from typing import TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from actions.core.errors import ConfigError

M = TypeVar("M", bound=BaseModel)


def load_yaml_model(path: Path, model: type[M]) -> M:
    """Raises ConfigError ("telemetry.yml: diagnosis.0.severity: ...") when unreadable or bad."""
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as err:
        raise ConfigError(f"{path.name}: cannot be read: {err}") from None
    try:
        return model.parse_obj(raw)
    except ValidationError as err:
        first = err.errors()[0]
        where = ".".join(str(part) for part in first["loc"])
        raise ConfigError(f"{path.name}: {where}: {first['msg']}") from None
