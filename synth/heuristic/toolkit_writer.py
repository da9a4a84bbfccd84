"""Writes a `gem-env/toolkit@1` document from a `Design`.

The state holds the values the steps set (``state[<entity>]``), a progress flag per
action tool, the text's conditions as flags (true initially: the goal is reachable;
a tool refuses with a `ToolError` quoting the rule when its flag is false), a log of
the actions done and a counter for the confirmation id the final tool issues. Reads:
``get_status`` (progress, conditions, confirmation) and ``get_<entity>`` (the values).
An action returns what it did: ``{"step": <its steps' words>, <param>: <value>, ...}``
(and, for the final one, the status and the confirmation id).
"""

from __future__ import annotations

import re
from typing import Any

from synth.heuristic.design import ActionTool, Design
from synth.heuristic.params import Param
from synth.heuristic.values import seed_of

__all__ = ["CONFIRMATION_PREFIX", "first_id", "write_toolkit"]

CONFIRMATION_PREFIX = "CNF-"
_SENTENCE = re.compile(r"(?<=[\w*)\"\u201d])(?<!\be\.g)(?<!\bi\.e)\.\s+(?=[\w*\"\u201c])")


def first_id(document_id: str) -> int:
    """The first confirmation number a toolkit of this document issues."""
    return 4000 + seed_of(document_id, "confirmation") % 5000


def _schema(p: Param) -> dict[str, Any]:
    if p.kind == "enum":
        return {"type": "string", "enum": list(p.options), "description": p.description}
    if p.kind == "integer":
        return {"type": "integer", "minimum": 0, "maximum": 1_000_000, "description": p.description}
    return {"type": "string", "minLength": 1, "maxLength": 200, "description": p.description}


def _tool(name: str, description: str, params: list[Param]) -> dict[str, Any]:
    return {
        "type": "function",
        "function": {
            "name": name,
            "description": description,
            "parameters": {
                "type": "object",
                "properties": {p.name: _schema(p) for p in params},
                "required": [p.name for p in params],
                "additionalProperties": False,
            },
        },
    }


def _checks(p: Param) -> list[str]:
    lines = []
    why = repr(p.rule or f"{p.name} is out of range")
    if p.kind == "string":
        lines.append(f"    if not {p.name}.strip():")
        lines.append(f"        raise ToolError({p.name + ' must not be empty'!r})")
        if "minLength" in p.bounds:
            lines.append(f"    if len({p.name}) < {p.bounds['minLength']}:")
            lines.append(f"        raise ToolError({why} + f' (got {{len({p.name})}})')")
        if "maxLength" in p.bounds:
            lines.append(f"    if len({p.name}) > {p.bounds['maxLength']}:")
            lines.append(f"        raise ToolError({why} + f' (got {{len({p.name})}})')")
    if p.kind == "integer":
        if "minimum" in p.bounds:
            lines.append(f"    if {p.name} < {p.bounds['minimum']}:")
            lines.append(f"        raise ToolError({why} + f' (got {{{p.name}}})')")
        if "maximum" in p.bounds:
            lines.append(f"    if {p.name} > {p.bounds['maximum']}:")
            lines.append(f"        raise ToolError({why} + f' (got {{{p.name}}})')")
    return lines


def _function(tool: ActionTool, entity: str) -> str:
    args = "".join(f", {p.name}" for p in tool.params)
    step = repr(tool.name)
    lines = [f"def {tool.name}(state{args}):"]
    lines.append(f"    if state['progress'][{step}]:")
    lines.append(f"        raise ToolError({'Already done: ' + tool.description[:120]!r})")
    if tool.requires:
        need = tool.requires_text[:1].upper() + tool.requires_text[1:]
        lines.append(f"    if not state['progress'][{tool.requires!r}]:")
        lines.append(f"        raise ToolError({need + ' first'!r})")
    for flag, text in tool.flags:
        lines.append(f"    if not state['conditions'][{flag!r}]:")
        lines.append(f"        raise ToolError({'Not possible now: ' + text!r})")
    for p in tool.params:
        lines.extend(_checks(p))
    for p in tool.params:
        lines.append(f"    state[{entity!r}][{p.name!r}] = {p.name}")
    values = "{" + ", ".join(f"{p.name!r}: {p.name}" for p in tool.params) + "}"
    lines.append(f"    state['progress'][{step}] = True")
    lines.append(f"    state['log'].append({{'step': {step}, 'values': {values}}})")
    said = repr(_said(tool.description))
    result = "{'step': " + said + "".join(f", {p.name!r}: {p.name}" for p in tool.params)
    if tool.final:
        lines.append(f"    confirmation = {CONFIRMATION_PREFIX!r} + str(state['next_id'])")
        lines.append("    state['next_id'] += 1")
        lines.append("    state['confirmation_id'] = confirmation")
        result += ", 'status': 'completed', 'confirmation_id': confirmation"
    lines.append(f"    return {result}}}")
    return "\n".join(lines)


def _said(description: str) -> str:
    """What a tool did, said in its result: its steps' words without markup."""
    parts = [" ".join(re.sub(r"[*_`]+", "", p).split()) for p in _SENTENCE.split(description)]
    parts = [re.split(r"\s[(\u2014\u2013]|:\s|\s-\s", p)[0] for p in parts]  # no asides
    parts = [p.rstrip(".") for p in parts if p.strip(" .")]
    said = ", ".join(p if i == 0 else p[:1].lower() + p[1:] for i, p in enumerate(parts))
    if len(said) > 120:
        said = said[:120].rsplit(" ", 1)[0].rstrip(",;") + "..."
    return (said[:1].upper() + said[1:]) or "Step done"


def _reads(entity: str) -> str:
    return f"""def get_status(state):
    done = [step for step, flag in state['progress'].items() if flag]
    todo = [step for step, flag in state['progress'].items() if not flag]
    return {{'done': done, 'remaining': todo, 'conditions': dict(state['conditions']),
            'confirmation_id': state['confirmation_id']}}


def get_{entity}(state):
    return {{k: v for k, v in state[{entity!r}].items() if v is not None}}"""


def params_of_design(d: Design) -> list[Param]:
    """Every parameter of the design's tools, each name once."""
    out: list[Param] = []
    for t in d.tools:
        for p in t.params:
            if p.name not in [q.name for q in out]:
                out.append(p)
    return out


def write_toolkit(d: Design, document_id: str) -> dict[str, Any]:
    """The toolkit@1 document of a design."""
    entity = d.entity
    params = params_of_design(d)
    flags = [f for t in d.tools for f, _ in t.flags]
    value_types = {
        p.name: {"type": ["integer", "null"]}
        if p.kind == "integer"
        else {"type": ["string", "null"]}
        for p in params
    }
    state_schema = {
        "type": "object",
        "required": [entity, "progress", "conditions", "log", "next_id", "confirmation_id"],
        "additionalProperties": False,
        "properties": {
            entity: {
                "type": "object",
                "properties": value_types,
                "required": list(value_types),
                "additionalProperties": False,
            },
            "progress": {
                "type": "object",
                "properties": {t.name: {"type": "boolean"} for t in d.tools},
                "required": [t.name for t in d.tools],
                "additionalProperties": False,
            },
            "conditions": {
                "type": "object",
                "properties": {f: {"type": "boolean"} for f in flags},
                "required": flags,
                "additionalProperties": False,
            },
            "log": {
                "type": "array",
                "items": {
                    "type": "object",
                    "required": ["step", "values"],
                    "properties": {"step": {"type": "string"}, "values": {"type": "object"}},
                },
            },
            "next_id": {"type": "integer", "minimum": 0},
            "confirmation_id": {"type": ["string", "null"]},
        },
    }
    initial = {
        entity: {p.name: None for p in params},
        "progress": {t.name: False for t in d.tools},
        "conditions": {f: True for f in flags},
        "log": [],
        "next_id": first_id(document_id),
        "confirmation_id": None,
    }
    tools = [_tool(t.name, t.description, t.params) for t in d.tools]
    tools.append(
        _tool(
            "get_status", "Show which steps are done, the conditions and the confirmation id.", []
        )
    )
    tools.append(
        _tool(f"get_{entity}", f"Show the {entity.replace('_', ' ')} values set so far.", [])
    )
    source = (
        '"""Tools of the procedure: '
        + d.summary.replace('"', "'").replace("\\", "/")[:200]
        + '."""\n\n\n'
    )
    source += "\n\n\n".join([*(_function(t, entity) for t in d.tools), _reads(entity)]) + "\n"
    pairs = [(t.name, t.requires) for t in d.tools if t.requires]
    invariants = [
        {
            "description": "a step is done only after the step before it",
            "expr": "all(not state['progress'][a] or state['progress'][b] for a, b in "
            + repr(pairs)
            + ")",
        },
        {
            "description": "the confirmation is issued only when every step is done",
            "expr": "state['confirmation_id'] is None or all(state['progress'].values())",
        },
        {
            "description": "the log has one entry per completed step",
            "expr": "len(state['log']) == sum(1 for v in state['progress'].values() if v)",
        },
    ]
    for p in params:
        if p.kind == "string" and "minLength" in p.bounds:
            field = f"state[{entity!r}][{p.name!r}]"
            invariants.append(
                {
                    "description": p.rule or f"{p.name} is long enough",
                    "expr": f"{field} is None or len({field}) >= {p.bounds['minLength']}",
                }
            )
    return {
        "format": "gem-env/toolkit@1",
        "name": (d.name or "procedure")[:60],
        "description": d.summary[:300] or "A procedure from a how-to text.",
        "domain": d.domain,
        "tools": tools,
        "state_schema": state_schema,
        "initial_state": initial,
        "source": source,
        "invariants": invariants,
        "provenance": {"document_id": document_id, "model": "heuristic"},
    }
