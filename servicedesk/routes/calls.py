"""Phone calls to a provider's support line: menu, queue, callback, transfer, hangup."""

from __future__ import annotations

from typing import Any

from ..api import Ctx
from ..clock import from_datetime, to_iso
from ..errors import ApiError, field_error, invalid_state, not_found
from ..ids import new_id
from ..models import (
    Call,
    CallbackCreate,
    CallCreate,
    CallList,
    CallsQuery,
    Dtmf,
    Request,
    TransferCreate,
)
from ..route_table import route
from ..simulation import (
    MAX_WRONG_DIGITS,
    call_end,
    call_enter_queue,
    call_transition,
    menu_at,
    public_menu,
)


class Hangup(Request):
    reason: str | None = None


def owned_call(ctx: Ctx, call_id: str) -> dict[str, Any]:
    call = ctx.desk.store.get_owned("calls", call_id, ctx.account_id or "")
    if call is None:
        raise not_found("call", call_id)
    return call


def _save(ctx: Ctx, call: dict[str, Any]) -> dict[str, Any]:
    ctx.desk.store.update("calls", call)
    return call


@route("POST", "/v1/calls", body=CallCreate, response=Call, status=201, creates=True)
def place_call(ctx: Ctx, body: CallCreate) -> dict[str, Any]:
    """Call the provider's support line; the call starts in the phone menu (ivr)."""
    if body.provider != ctx.provider_id:
        raise field_error(
            "provider",
            f"must be {ctx.provider_id!r}, the provider this API key belongs to",
            expected=ctx.provider_id,
        )
    at = to_iso(ctx.now)
    call = {
        "id": new_id("CALL"),
        "provider": ctx.provider_id,
        "account_id": ctx.account_id,
        "reason": body.reason,
        "state": "ivr",
        "menu": public_menu(menu_at(ctx.provider_id, [])),
        "path": [],
        "queue": None,
        "position": None,
        "estimated_wait_s": None,
        "agent": None,
        "ended_reason": None,
        "wrong_attempts": 0,
        "history": [{"state": "ivr", "at": at, "detail": "call answered by the phone menu"}],
        "callback": None,
        "transfer": None,
        "client": ctx.client,
        "created_at": at,
        "updated_at": at,
    }
    ctx.desk.store.insert("calls", call)
    return call


@route("GET", "/v1/calls", query=CallsQuery, response=CallList)
def list_calls(ctx: Ctx, query: CallsQuery) -> dict[str, Any]:
    """The account's calls, optionally by state."""
    state = query.state.value if query.state else None
    return {"calls": ctx.desk.store.list("calls", account_id=ctx.account_id, status=state)}


@route("GET", "/v1/calls/{call_id}", response=Call, errors=[404])
def get_call(ctx: Ctx, call_id: str) -> dict[str, Any]:
    """One call: state, queue position, estimated wait, agent, history."""
    return owned_call(ctx, call_id)


@route(
    "POST",
    "/v1/calls/{call_id}/dtmf",
    body=Dtmf,
    response=Call,
    creates=True,
    errors=[404, 409],
)
def press_digits(ctx: Ctx, body: Dtmf, call_id: str) -> dict[str, Any]:
    """Press keys, one menu level per digit. A wrong digit replays the menu; 3 end the call."""
    store = ctx.desk.store
    call = owned_call(ctx, call_id)
    if call["state"] != "ivr":
        raise invalid_state(f"The call is {call['state']}, not in the phone menu.", call["state"])
    at = ctx.now
    replayed = False
    # Simulation control (/_sim/ivr): the menu may fail to recognise the next digits pressed.
    misheard = store.misheard_digits(call["provider"])
    for index, digit in enumerate(body.digits):
        node = menu_at(call["provider"], call["path"])
        option = next((o for o in node["options"] if o["digit"] == digit), None)
        heard = True
        if misheard > 0:
            misheard -= 1
            store.set_misheard_digits(call["provider"], misheard)
            option, heard = None, False
        if option is None:
            replayed = True
            call["wrong_attempts"] += 1
            if call["wrong_attempts"] >= MAX_WRONG_DIGITS:
                call_end(store, call, "invalid_input", at)
            else:
                why = "not an option" if heard else "not recognised"
                call_transition(store, call, "ivr", at, f"pressed {digit}: {why}, replayed")
                call["menu"] = public_menu(node)
            break  # the replay interrupts: later digits are not heard
        call["path"].append(digit)
        if "next" in option:
            call_transition(store, call, "ivr", at, f"pressed {digit}: {option['label']}")
            call["menu"] = public_menu(option["next"])
        else:
            call_enter_queue(store, call, option["queue"], at)
            if index + 1 < len(body.digits):
                call["ignored_digits"] = body.digits[index + 1 :]
            break
    _save(ctx, call)
    return {**call, "replayed": replayed}


@route(
    "POST",
    "/v1/calls/{call_id}/callback",
    body=CallbackCreate,
    response=Call,
    creates=True,
    errors=[404, 409, 422],
)
def request_callback(ctx: Ctx, body: CallbackCreate, call_id: str) -> dict[str, Any]:
    """Leave the queue and be called back, where the provider offers callbacks."""
    store = ctx.desk.store
    call = owned_call(ctx, call_id)
    if not ctx.provider["callbacks_offered"]:
        raise ApiError(
            409,
            "callbacks_not_offered",
            f"{ctx.provider['name']} does not offer callbacks; stay in the queue instead.",
            {"provider": ctx.provider_id},
        )
    if call["state"] not in ("queued", "agent_connected"):
        raise invalid_state(
            f"A callback can be requested only while queued or connected, not {call['state']}.",
            call["state"],
        )
    not_before = from_datetime(body.not_before) if body.not_before else None
    not_after = from_datetime(body.not_after) if body.not_after else None
    if not_before is not None and not_after is not None and not_before >= not_after:
        raise field_error("not_before", "must be earlier than not_after")
    if call["state"] == "queued":
        wait = float(call["estimated_wait_s"] or 0)
    else:
        # A connected agent agrees to call back once done with the current case.
        wait = float(ctx.provider["average_handle_time_s"])
    due_at = max(ctx.now + wait, not_before or 0.0)
    if not_after is not None and due_at > not_after:
        raise field_error(
            "not_after",
            f"is too early: the earliest possible callback is {to_iso(due_at)}",
            earliest=to_iso(due_at),
        )
    call["callback"] = {
        "phone_number": body.phone_number,
        "due_at": to_iso(due_at),
        "not_before": to_iso(not_before),
        "not_after": to_iso(not_after),
        "status": "scheduled",
        "requested_at": to_iso(ctx.now),
    }
    call["position"] = None
    call["estimated_wait_s"] = None
    call["agent"] = None
    call_transition(store, call, "callback_scheduled", ctx.now, f"callback at {to_iso(due_at)}")
    store.cancel_jobs(call["id"])
    store.schedule(due_at, "call.callback_due", call["id"])
    return _save(ctx, call)


@route(
    "POST",
    "/v1/calls/{call_id}/transfer",
    body=TransferCreate,
    response=Call,
    creates=True,
    errors=[404, 409, 422],
)
def transfer_call(ctx: Ctx, body: TransferCreate, call_id: str) -> dict[str, Any]:
    """Hand the connected agent over to the owner's phone."""
    store = ctx.desk.store
    call = owned_call(ctx, call_id)
    if call["state"] != "agent_connected":
        raise invalid_state(
            f"Only a call with an agent on the line can be transferred; it is {call['state']}.",
            call["state"],
        )
    call["transfer"] = {"phone_number": body.phone_number, "at": to_iso(ctx.now)}
    call_transition(store, call, "transferred", ctx.now, f"transferred to {body.phone_number}")
    store.cancel_jobs(call["id"])
    # The owner and the agent talk for about one handle time, then the call completes.
    store.schedule(
        ctx.now + ctx.provider["average_handle_time_s"], "call.transfer_done", call["id"]
    )
    return _save(ctx, call)


@route(
    "POST",
    "/v1/calls/{call_id}/hangup",
    body=Hangup,
    response=Call,
    creates=True,
    errors=[404, 409],
)
def hang_up(ctx: Ctx, body: Hangup, call_id: str) -> dict[str, Any]:
    """Hang up (also cancels a scheduled callback)."""
    call = owned_call(ctx, call_id)
    if call["state"] == "ended":
        raise invalid_state("The call has already ended.", "ended")
    call_end(ctx.desk.store, call, "customer_hangup", ctx.now)
    return _save(ctx, call)
