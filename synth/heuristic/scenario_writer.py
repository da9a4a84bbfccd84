"""Writes the scenario of a design: the policy from the text, the user's goal and the
facts they know, and the goal assertions over the final state.

The user knows every value the steps take (the text's own values, else synthesized
ones, `values`), each under the name of the parameter it feeds, so the simulated user
recognises the question for it. The goal asserts the values set, the last step done
and the confirmation issued; the confirmation id (only the final tool's result holds
it) is the required output.
"""

from __future__ import annotations

import re
from typing import Any

from synth.heuristic.design import Design
from synth.heuristic.toolkit_writer import CONFIRMATION_PREFIX, first_id, params_of_design
from synth.heuristic.values import seed_of, synthesize

__all__ = ["known_values", "write_scenario"]

_PERSONAS = [
    "A busy professional who answers briefly and wants it done quickly.",
    "A careful first-time user who follows instructions closely.",
    "A friendly retiree who is not very technical and appreciates clear questions.",
    "A student in a hurry who gives short answers.",
    "A small-business owner who knows the details and expects a confirmation.",
]
_MINE = [(r"\byour\b", "my"), (r"\byours\b", "mine"), (r"\byourself\b", "myself")]


def known_values(d: Design, document_id: str) -> dict[str, Any]:
    """The value of every parameter: the text's value, else a synthesized one."""
    out: dict[str, Any] = {}
    for p in params_of_design(d):
        if p.kind == "enum":
            out[p.name] = (
                p.value
                if p.value in p.options
                else p.options[seed_of(document_id, p.name) % len(p.options)]
            )
        elif p.value is not None and _fits(p.value, p.bounds):
            out[p.name] = p.value
        else:
            out[p.name] = synthesize(p.name, p.kind, document_id, p.bounds, p.shape)
    return out


def _fits(value: Any, bounds: dict[str, int]) -> bool:
    if isinstance(value, str):
        return bounds.get("minLength", 1) <= len(value.strip()) and len(value) <= bounds.get(
            "maxLength", 200
        )
    return bounds.get("minimum", 0) <= value <= bounds.get("maximum", 1_000_000)


def _goal(d: Design) -> str:
    """The user's opening request: the procedure's purpose, as a user says it."""
    what = d.summary.strip().rstrip(".?!") or "finish this procedure"
    for pattern, repl in _MINE:
        what = re.sub(pattern, repl, what, flags=re.I)
    what = re.sub(r"[*_`]+", "", what).strip(' "\u201c\u201d')
    if what.lower().startswith("get this done: "):
        topic = what[len("get this done: ") :].strip()
        return f"Hi, I need help with {topic}. Can you do it for me?"
    said = _plain(what)
    if any(_plain(s.span.text).startswith(said) for s in d.steps):  # a step, not a purpose
        return f"Hi, I need help with something in {_place(d)}. Can you do it for me?"
    what = what[:1].lower() + what[1:]
    return f"Hi, I'd like to {what}. Can you do it for me?"


def _plain(text: str) -> str:
    return " ".join(re.sub(r"[*_`\"\u201c\u201d]+", "", text).lower().split()).rstrip(".")


def _place(d: Design) -> str:
    """Where a procedure happens: the app or page its first "open" step opens, else its
    platform ("the Zoom app", "Device Manager", "the mobile app")."""
    for s in d.steps:
        if s.verb in ("open", "launch", "start", "go to"):
            m = re.match(
                r"^\W*((?:the\s+|your\s+)?[\w&' -]{2,40}?)\s*(?:[,.;:(]|\band\b|$)", s.body
            )
            if m and len(m.group(1).split()) <= 4:
                place = re.sub(r"[*_`]+", "", m.group(1)).strip()
                place = re.sub(r"^your\b", "my", place, flags=re.I)
                if place:
                    return place
    return f"the {d.platform}"


def _policy_line(text: str) -> str:
    """A rule as a policy bullet: no note markers, one line, a full stop."""
    line = re.sub(
        r"^[>\s]*(?:(?:note|tip|important|warning|caution|nb|a|answer)\s*(?:that)?\s*[:,-]?\s*)",
        "",
        text,
        flags=re.I,
    )
    line = " ".join(line.split()).rstrip(".")
    if not line:
        return ""
    line = line[0].upper() + line[1:]
    if re.match(r"^(if|when|unless|only if|in case)\b", line, re.I):
        line = f"Do the matching step only {line[0].lower() + line[1:]}"
    return line + "."


def write_scenario(d: Design, document_id: str) -> dict[str, Any]:
    """The scenario (DESIGN.md section 3.2) of a design, without `toolkit`."""
    known = known_values(d, document_id)
    entity = d.entity
    assertions = [
        {
            "description": f"the {k.replace('_', ' ')} is set as the user asked",
            "expr": f"state[{entity!r}][{k!r}] == {v!r}",
        }
        for k, v in known.items()
    ]
    last = d.tools[-1].name
    assertions.append(
        {"description": "the last step is done", "expr": f"state['progress'][{last!r}] is True"}
    )
    assertions.append(
        {
            "description": "the confirmation is issued",
            "expr": "state['confirmation_id'] is not None",
        }
    )
    rules = [_policy_line(r.span.text) for r in d.rules]
    rules = [r for r in dict.fromkeys(rules) if r]
    policy = [
        *rules,
        "Do the steps in the procedure's order; a step fails until the step before it is done.",
    ]
    platform = d.platform
    system = (
        f"You are the assistant operating the {platform} for the user "
        f"({d.summary.rstrip('.')[:120]}).\n"
        "Make one tool call at a time.\nPolicy:\n" + "\n".join(f"- {line}" for line in policy)
    )
    calls = len(d.tools) + 2
    safe_id = re.sub(r"[^A-Za-z0-9_.-]+", "-", document_id).strip("-") or "doc"
    return {
        "id": f"{safe_id}-heuristic-1",
        "system_prompt": system,
        "user": {
            "goal": _goal(d),
            "persona": _PERSONAS[seed_of(document_id, "persona") % len(_PERSONAS)],
            "known_info": known,
        },
        "goal_assertions": assertions,
        "required_outputs": [f"{CONFIRMATION_PREFIX}{first_id(document_id)}"],
        "max_turns": 2 * calls + 4 + 2 * len(known),
    }
