"""Two per-turn costs of Rasa 3.6 removed, without changing what Rasa does.

Applied by `launcher/rasa_server.py` before Rasa starts; each was found with py-spy on the
running server (docs/performance.md):
- Every action server answer is checked with `jsonschema.validate(answer, schema)`, which
  first validates the schema itself against its metaschema, on every call. The schema never
  changes: a validator built once checks the answer exactly the same way.
- Every stored event is turned back into an object through `Event.resolve_by_type`, which
  walks all subclasses of `Event` for each one. The classes are fixed once Rasa is imported:
  the lookup is cached per type name (unknown names still go to Rasa's own code).
"""

from __future__ import annotations

from functools import cache
from typing import Any


def apply() -> None:
    _validate_action_results_with_one_validator()
    _cache_event_classes()


def _validate_action_results_with_one_validator() -> None:
    from jsonschema import ValidationError
    from jsonschema.validators import validator_for
    from rasa.core.actions.action import RemoteAction
    from rasa.shared.constants import DOCS_BASE_URL

    schema = RemoteAction.action_response_format_spec()
    validator = validator_for(schema)(schema)

    def validate(self: RemoteAction, result: dict[str, Any]) -> bool:
        try:
            validator.validate(result)
            return True
        except ValidationError as e:
            e.message += (
                ". Failed to validate Action server response from API, make sure your"
                " response from the Action endpoint is valid. For more information about the"
                f" format visit {DOCS_BASE_URL}/custom-actions"
            )
            raise

    RemoteAction._validate_action_result = validate  # type: ignore[method-assign]


def _cache_event_classes() -> None:
    from rasa.shared.core import events

    original = events.Event.resolve_by_type

    @cache
    def known(type_name: str) -> type | None:
        try:
            return original(type_name)
        except ValueError:
            return None

    def resolve_by_type(type_name: str, default: type | None = None) -> type | None:
        found = known(type_name)
        if found is not None:
            return found
        return original(type_name, default)

    events.Event.resolve_by_type = staticmethod(resolve_by_type)  # type: ignore[assignment]
