"""Per-turn costs of Rasa 3.6 removed, without changing what Rasa does.

Applied by `launcher/rasa_server.py` before Rasa starts; each was found with py-spy on the
running server (docs/performance.md):
- Every action server answer is checked with `jsonschema.validate(answer, schema)`, which
  first validates the schema itself against its metaschema, on every call. The schema never
  changes: a validator built once checks the answer exactly the same way.
- Every stored event is turned back into an object through `Event.resolve_by_type`, which
  walks all subclasses of `Event` for each one. The classes are fixed once Rasa is imported:
  the lookup is cached per type name (unknown names still go to Rasa's own code).
- RulePolicy matches the conversation against every rule key by walking back through every
  state of the tracker, copying each key's state list at every step, even once the remaining
  keys are all shorter than the steps walked (from then on every one matches by definition).
  The same test, on each key's states reversed once, stopping when nothing can change
  (`_fast_rule_matching`).
- Every call to the action server carries the whole domain, which Rasa serialises to JSON again
  each time (about 50 KB: a millisecond a call). It is serialised once per domain and put into
  each request body as the same text (`_domain_serialised_once`).
"""

from __future__ import annotations

from functools import cache
from typing import Any

# Rasa's own functions, as they were before `apply()` (the tests compare against them).
ORIGINALS: dict[str, Any] = {}


def apply() -> None:
    if ORIGINALS:
        return  # applied already
    from rasa.core.actions.action import RemoteAction
    from rasa.core.policies.rule_policy import RulePolicy
    from rasa.shared.core import events

    ORIGINALS["RulePolicy._get_possible_keys"] = RulePolicy._get_possible_keys
    ORIGINALS["RulePolicy._is_rule_applicable"] = RulePolicy._is_rule_applicable
    ORIGINALS["Event.resolve_by_type"] = events.Event.resolve_by_type
    ORIGINALS["RemoteAction._validate_action_result"] = RemoteAction._validate_action_result
    ORIGINALS["RemoteAction._action_call_format"] = RemoteAction._action_call_format
    _validate_action_results_with_one_validator()
    _cache_event_classes()
    _fast_rule_matching()
    _domain_serialised_once()


def _validate_action_results_with_one_validator() -> None:
    from jsonschema import ValidationError
    from jsonschema.validators import validator_for
    from rasa.core.actions.action import RemoteAction
    from rasa.shared.constants import DOCS_BASE_URL

    schema = RemoteAction.action_response_format_spec()
    validator = validator_for(schema)(schema)
    passes = _event_by_event_check(schema, validator_for)

    def validate(self: RemoteAction, result: dict[str, Any]) -> bool:
        if passes(result):
            return True
        try:
            validator.validate(result)  # the full check, for Rasa's own error (or a pass)
            return True
        except ValidationError as e:
            e.message += (
                ". Failed to validate Action server response from API, make sure your"
                " response from the Action endpoint is valid. For more information about the"
                f" format visit {DOCS_BASE_URL}/custom-actions"
            )
            raise

    RemoteAction._validate_action_result = validate  # type: ignore[method-assign]


def _event_by_event_check(schema: dict, validator_for: Any) -> Any:
    """A check that passes only answers the full schema passes, much faster.

    Each event must match exactly one of the schema's `oneOf` branches, one per event type, so
    the full check tries every branch on every event. The branches are told apart by a
    constant `event`, so only the branch named by the event's own `event` can match: checking
    that one (and the rest of the schema) is the same test. Anything this check refuses goes
    through the full schema, which gives Rasa's own error.
    """
    items = schema["properties"]["events"]["items"]
    branches = {}
    for branch in items.get("oneOf", []):
        name = branch.get("properties", {}).get("event", {}).get("const")
        if not isinstance(name, str) or name in branches:
            return lambda result: False  # not one branch per event type: always full check
        branches[name] = validator_for(branch)(branch)
    base_schema = {k: v for k, v in items.items() if k != "oneOf"}
    base = validator_for(base_schema)(base_schema)
    outer_schema = {
        **schema,
        "properties": {**schema["properties"], "events": {"type": "array"}},
    }
    outer = validator_for(outer_schema)(outer_schema)

    def passes(result: Any) -> bool:
        if not outer.is_valid(result):
            return False
        for event in result.get("events") or []:
            branch = branches.get(event.get("event")) if isinstance(event, dict) else None
            if branch is None or not base.is_valid(event) or not branch.is_valid(event):
                return False
        return True

    return passes


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


def _fast_rule_matching() -> None:
    import json

    from rasa.core.policies.rule_policy import RulePolicy
    from rasa.shared.core.constants import PREVIOUS_ACTION, SHOULD_NOT_BE_SET

    @cache
    def reversed_states(rule_key: str) -> tuple[dict, ...]:
        return tuple(reversed(json.loads(rule_key)))

    def is_rule_applicable(self: RulePolicy, rule_key: str, turn_index: int, state: dict) -> bool:
        # RulePolicy._is_rule_applicable, on the cached reversed states.
        rule_states = reversed_states(rule_key)
        if turn_index >= len(rule_states):
            return True
        current_previous_action = state.get(PREVIOUS_ACTION)
        rule_previous_action = rule_states[turn_index].get(PREVIOUS_ACTION)
        if not rule_previous_action and not current_previous_action:
            return True
        if not rule_previous_action or not current_previous_action:
            return False
        return self._does_rule_match_state(rule_states[turn_index], state)

    # Per lookup: its keys grouped by the previous action of their last state. At the current
    # state only the keys naming its previous action (or naming none) can match, so the first
    # step looks at a handful of keys, not all of them.
    indexes: dict[int, tuple[dict, int, dict[str, set[str]], set[str]]] = {}

    def index_of(lookup: dict[str, str]) -> tuple[dict[str, set[str]], set[str]]:
        entry = indexes.get(id(lookup))
        if entry is None or entry[0] is not lookup or entry[1] != len(lookup):
            by_action: dict[str, set[str]] = {}
            other: set[str] = set()
            for key in lookup:
                states = reversed_states(key)
                previous = (states[0] if states else {}).get(PREVIOUS_ACTION) or {}
                name = previous.get("action_name")
                plain = isinstance(name, str) and name not in ("", SHOULD_NOT_BE_SET)
                if set(previous) == {"action_name"} and plain:
                    by_action.setdefault(name, set()).add(key)
                else:
                    other.add(key)
            entry = indexes[id(lookup)] = (lookup, len(lookup), by_action, other)
        return entry[2], entry[3]

    def first_step_candidates(lookup: dict[str, str], state: dict) -> set[str]:
        by_action, other = index_of(lookup)
        previous = state.get(PREVIOUS_ACTION)
        if not previous:
            return set(other)  # keys that need a previous action cannot match a start state
        name = previous.get("action_name")
        if name:
            return other | by_action.get(name, set())
        return set(lookup)  # a previous action given as text: check every key

    def get_possible_keys(self: RulePolicy, lookup: dict[str, str], states: list) -> set[str]:
        if not states:
            return set(lookup)
        possible = first_step_candidates(lookup, states[-1])
        for index, state in enumerate(reversed(states)):
            # Past the longest remaining rule every key is applicable: nothing can change.
            if not possible or index >= max(len(reversed_states(key)) for key in possible):
                break
            possible = {key for key in possible if is_rule_applicable(self, key, index, state)}
        return possible

    RulePolicy._is_rule_applicable = is_rule_applicable  # type: ignore[method-assign]
    RulePolicy._get_possible_keys = get_possible_keys  # type: ignore[method-assign]


class ActionCall(dict):
    """An action server request body whose domain is sent as JSON text made once."""

    domain_json: str = ""


def serialise(body: Any) -> str:
    """`json.dumps`, with an ActionCall's domain put in as its prepared text: the same bytes
    json.dumps would produce for the whole body."""
    import json

    if isinstance(body, ActionCall) and body.domain_json and body:
        head = json.dumps(dict(body))
        return f'{head[:-1]}, "domain": {body.domain_json}}}'
    return json.dumps(body)


def _domain_serialised_once() -> None:
    import json

    import aiohttp
    from rasa.core.actions.action import RemoteAction
    from rasa.utils.endpoints import EndpointConfig

    original_format = RemoteAction._action_call_format
    prepared: list[tuple[Any, str]] = []  # (the domain of the model served, its JSON)

    def domain_json(domain: Any) -> str:
        if not prepared or prepared[0][0] is not domain:
            prepared[:] = [(domain, json.dumps(domain.as_dict()))]  # a new model was loaded
        return prepared[0][1]

    def action_call_format(self: RemoteAction, tracker: Any, domain: Any) -> dict[str, Any]:
        body = original_format(self, tracker, domain)
        if "domain" not in body:
            return body
        call = ActionCall({k: v for k, v in body.items() if k != "domain"})
        call.domain_json = domain_json(domain)
        return call

    original_session = EndpointConfig.session

    def session(self: EndpointConfig) -> aiohttp.ClientSession:
        made = original_session(self)
        made._json_serialize = serialise  # json.dumps for every other body
        return made

    RemoteAction._action_call_format = action_call_format  # type: ignore[method-assign]
    EndpointConfig.session = session  # type: ignore[method-assign]
