"""Fault rules: the list with how often each fired, one-click presets, a custom rule form, an
Enable/Disable switch per rule, and delete.

Rules go through the control API's own models (`FaultRuleCreate`) and service (`faults.create`,
`faults.set_enabled`), and this process's cached rule list is invalidated afterwards, as the
`/_sandbox/faults` routes do: a switched rule applies from the next partner request.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from sandbox.control.traffic import describe as describe_effect
from sandbox.domain import faults
from sandbox.runtime import Sandbox
from sandbox.ui.common import PREFIX, bad_field, render, sandbox_of, submit

router = APIRouter(include_in_schema=False)  # mounted under PREFIX by sandbox/ui/router.py
BACK = f"{PREFIX}/faults"
BUY = "/partner/order/digital/buy"
PRESETS: dict[str, tuple[str, dict[str, Any]]] = {
    "pricefix-503": (
        "503 on the next price fix",
        {"match": {"method": "POST", "path": "/partner/pricefix"}, "effect": {"type": "error", "status": 503},
         "times": 1},
    ),
    "buy-429": (
        "429 rate limited on the next 3 buys",
        {"match": {"method": "POST", "path": BUY}, "effect": {"type": "error", "status": 429}, "times": 3},
    ),
    "latency": (
        "800 ms latency on every partner call",
        {"match": {"path": "/partner/*"}, "effect": {"type": "latency", "latency_ms": 800}},
    ),
    "order-timeout": (
        "Gateway timeout after 5 s on the next order read",
        {"match": {"method": "GET", "path": "/partner/order*"},
         "effect": {"type": "timeout", "timeout_ms": 5000}, "times": 1},
    ),
    "buy-drop": (
        "Dropped connection on the next buy",
        {"match": {"method": "POST", "path": BUY}, "effect": {"type": "drop"}, "times": 1},
    ),
    "order-malformed": (
        "Malformed JSON on the next Get Order",
        {"match": {"method": "GET", "path": "/partner/order/*"}, "effect": {"type": "malformed"}, "times": 1},
    ),
}  # fmt: skip
EFFECT_FIELDS = {"error": ("status", "error"), "latency": ("latency_ms",), "timeout": ("timeout_ms",)}


@router.get("/faults")
def fault_rules(request: Request) -> Response:
    sandbox = sandbox_of(request)
    with sandbox.store.session() as session:
        rules = [
            (faults.render(row), describe_effect(faults.effect_of(row)), row.created_at)
            for row in faults.all_rules(session)
        ]
    return render(
        request,
        "faults.html",
        "faults",
        rules=rules,
        presets=PRESETS,
        methods=("*", *faults.METHODS),
        effects=faults.EFFECT_TYPES,
        partners=sorted(sandbox.settings.partners),
    )


@router.post("/faults")
async def add_rule(request: Request) -> Response:
    """A preset (form field `preset`) or a custom rule (the other fields)."""

    def act(sandbox: Sandbox, form: dict[str, str]) -> str:
        preset = form.get("preset")
        if preset:
            if preset not in PRESETS:
                raise bad_field("preset", "literal_error", expected=", ".join(PRESETS))
            fields = PRESETS[preset][1]
        else:
            fields = custom_rule(form)
        body = faults.FaultRuleCreate.model_validate(fields)
        with sandbox.store.session(write=True) as session:
            row = faults.create(session, body, sandbox.clock.now(), sandbox.settings.partners)
            rule_id, effect = row.id, describe_effect(faults.effect_of(row))
        sandbox.faults.invalidate()  # committed: this process reloads its rules
        return f"Fault rule {rule_id} added: {effect} on {body.match.method} {body.match.path}."

    return await submit(request, BACK, act)


def custom_rule(form: dict[str, str]) -> dict[str, Any]:
    """The form's fields as a FaultRuleCreate body: empty fields left out, so the model's defaults and
    its messages apply (an effect only gets the fields its type has)."""
    kind = form.get("effect", "")
    match = {name: form[name] for name in ("method", "path", "partner", "external_id") if form.get(name)}
    effect = {"type": kind} | {name: form[name] for name in EFFECT_FIELDS.get(kind, ()) if form.get(name)}
    rule: dict[str, Any] = {"match": match, "effect": effect}
    rule |= {name: form[name] for name in ("probability", "times") if form.get(name)}
    return rule


@router.post("/faults/{fault_id}/delete")
async def delete_rule(fault_id: str, request: Request) -> Response:
    def act(sandbox: Sandbox, form: dict[str, str]) -> str:
        with sandbox.store.session(write=True) as session:
            row = faults.remove(session, _rule_id(fault_id))
            fired = row.fired
        sandbox.faults.invalidate()
        return f"Fault rule {fault_id} deleted (it fired {fired} times)."

    return await submit(request, BACK, act)


SWITCH = {"true": True, "false": False}


@router.post("/faults/{fault_id}/enabled")
async def switch_rule(fault_id: str, request: Request) -> Response:
    """Form field `enabled`: `true` switches the rule on, `false` off (PATCH /_sandbox/faults/{id})."""

    def act(sandbox: Sandbox, form: dict[str, str]) -> str:
        rule_id = _rule_id(fault_id)
        if "enabled" not in form:
            raise bad_field("enabled", "missing")
        if form["enabled"] not in SWITCH:
            raise bad_field("enabled", "bool_parsing")
        body = faults.FaultRuleToggle(enabled=SWITCH[form["enabled"]])
        with sandbox.store.session(write=True) as session:
            row = faults.set_enabled(session, rule_id, body.enabled)
            effect, target = describe_effect(faults.effect_of(row)), f"{row.method} {row.path}"
        sandbox.faults.invalidate()  # committed: the next partner request sees it
        state = "enabled" if body.enabled else "disabled"
        return f"Fault rule {rule_id} {state}: {effect} on {target}."

    return await submit(request, BACK, act)


def _rule_id(text: str) -> int:
    if not text.isascii() or not text.isdigit():
        raise bad_field("fault_id", "int_parsing")
    return int(text)


@router.post("/faults/delete-all")
async def delete_rules(request: Request) -> Response:
    def act(sandbox: Sandbox, form: dict[str, str]) -> str:
        with sandbox.store.session(write=True) as session:
            count = faults.remove_all(session)
        sandbox.faults.invalidate()
        return f"{count} fault rules deleted."

    return await submit(request, BACK, act)
