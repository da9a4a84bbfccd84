"""The design of a toolkit from a procedure: which steps become which tools, what each
tool takes and checks, and which rule each check enforces.

Each action step becomes a tool ``<verb>_<object>``; a procedure with more action
steps than `MAX_TOOLS` has its neighbouring steps merged (the pair naming the fewest
parameters first), so that a plan stays within the oracle's search. Each tool depends
on the tool before it. Rules attach to the tool whose steps share the most words with
them (a precondition for "make sure ..." rules that share none: the first tool).
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass, field

from synth.heuristic.params import Param, params_of, snake
from synth.heuristic.rules import Rule
from synth.heuristic.spans import words
from synth.heuristic.steps import Step

__all__ = ["MAX_TOOLS", "ActionTool", "Design", "design"]

MAX_TOOLS = 6
_STOP = frozenset(
    [
        "the",
        "a",
        "an",
        "your",
        "you",
        "to",
        "and",
        "or",
        "of",
        "in",
        "on",
        "for",
        "with",
        "from",
        "into",
        "then",
        "this",
        "that",
        "it",
        "is",
        "are",
        "be",
        "can",
        "will",
        "should",
        "must",
        "need",
        "make",
        "sure",
        "only",
        "before",
        "after",
        "first",
        "next",
        "click",
        "tap",
        "select",
        "open",
        "enter",
        "press",
        "go",
    ]
)
_ENTITIES = [
    "account",
    "order",
    "profile",
    "settings",
    "booking",
    "appointment",
    "ticket",
    "post",
    "device",
    "network",
    "payment",
    "subscription",
    "request",
    "application",
    "message",
    "report",
    "reservation",
    "file",
    "document",
    "router",
    "printer",
    "project",
    "user",
]


@dataclass
class ActionTool:
    """One state-changing tool: the steps it performs and what it takes and checks."""

    name: str
    description: str
    steps: list[int]
    params: list[Param]
    requires: str | None = None
    requires_text: str = ""
    flags: list[tuple[str, str]] = field(default_factory=list)  # (flag, rule text)
    final: bool = False


@dataclass
class Design:
    """Everything the toolkit and scenario writers need."""

    steps: list[Step]
    tools: list[ActionTool]
    step_tool: dict[int, str | None]
    rules: list[Rule]
    rule_tool: dict[int, str | None]
    entity: str
    name: str
    domain: str
    platform: str
    summary: str


_LABEL = re.compile(r"^\W*(?:the\s+|a\s+|an\s+)?(?:\*\*|__|[\"\u201c])([^*_\"\u201d\n]{1,40})")
_URL = re.compile(r"\S*(?:://|www\.|\.com|\.org|\.net|\.example|\.co\.\w\w)\S*")


def _tool_name(step: Step, params: list[Param]) -> str:
    """``<verb>_<object>``: the object is the step's first parameter, else the UI label
    it acts on ("click **Return items**"), else its first content words."""
    verb = re.sub(r"[^a-z]+", "_", step.verb.lower()).strip("_")
    generic = ("command", "text", "option", "value", "query", "new_name")
    if (
        params
        and verb not in ("log_in", "sign_in")
        and params[0].name.rstrip("_0123456789") not in generic
    ):
        return f"{verb}_{params[0].name}"[:48].strip("_")
    body = re.sub(r"\([^)]*\)?|\[[^\]]*\]?", " ", step.body)  # asides in brackets
    if verb in ("log_in", "sign_in"):
        m = re.match(
            r"^\W*(?:to|into|on|at)\s+(?:the\s+|your\s+)?([\w -]{2,30}?)(?:\s|$|[,.])", body
        )
        obj = snake(re.split(r"\b(?:with|using|by|as)\b", m.group(1))[0], 2) if m else ""
        return f"{verb}_{obj}" if obj and not _URL.search(m.group(1)) else verb
    site = _URL.match(re.sub(r"^\W*(?:to\s+)?", "", body))
    if site and verb in ("go", "visit", "navigate", "browse", "open", "head"):
        return "open_website"
    label = _LABEL.match(body)
    if label:  # "click **+ New**": the label's own words, even "new"
        said = snake(label.group(1), 3, keep_ui=True) or "_".join(
            re.findall(r"[a-z]+", label.group(1).lower())[:3]
        )
        if said:
            return f"{verb}_{said}"[:48].strip("_")
    body = _URL.sub(" ", body)
    body = re.sub(r"\S*\d\S*|(?<=\s)-\S+|`", " ", body)
    body = re.sub(r"\b\w+['\u2019]s\s+(?=\w)", "", body)  # "that corner's wheel"
    body = re.sub(r"^\W*(?:(?:to|on|in|into|at|the|over|out|up)\s+)+", "", body, flags=re.I)
    pieces = re.split(
        r"\b(?:and|then|in|into|on|from|for|at|with|to|using|under|if|so|or|when|by|you|that|"
        r"which|until|as|of|we|they|he|she|it|it's|its|because|once|while|before|after|"
        r"next to|beside|below|above|near|such|being|who)\b|[,.;:(\u2014\u2013]|\s-\s",
        body,
        flags=re.I,
    )
    # "Tick each item you ...": the UI noun is all the object there is
    obj = (snake(pieces[0], 3) or snake(pieces[0], 3, keep_ui=True)) if pieces else ""
    obj = obj or next((snake(p, 3) for p in pieces if snake(p, 3)), "")
    if obj in ("item", "entry", "file", "box", "option", "link", "page") and re.search(
        r"\b(?:each|every|all)\b", pieces[0] if pieces else "", re.I
    ):
        obj += "s"
    name = f"{verb}_{obj}" if obj else verb
    return name[:48].strip("_") or "do_step"


def _content(text: str) -> set[str]:
    """Content words of a text, plural -s dropped ("appointments" ~ "appointment")."""
    return {_stem(w) for w in words(text) if len(w) > 2 and w not in _STOP}


def _stem(word: str) -> str:
    """A light stem: "submitted" ~ "submit", "appointments" ~ "appointment"."""
    for suffix in ("ing", "ed", "es", "s"):
        if word.endswith(suffix) and len(word) - len(suffix) >= 4:
            word = word[: -len(suffix)]
            if len(word) > 4 and word[-1] == word[-2]:
                word = word[:-1]
            break
    return word


def _merge(
    groups: list[list[int]], steps: list[Step], params: dict[int, list[Param]]
) -> list[list[int]]:
    while len(groups) > MAX_TOOLS:
        cost = [
            (
                sum(len(params[i]) for i in groups[j] + groups[j + 1]),
                len(groups[j]) + len(groups[j + 1]),
                j,
            )
            for j in range(len(groups) - 1)
        ]
        _, _, j = min(cost)
        groups[j : j + 2] = [groups[j] + groups[j + 1]]
    return groups


def design(
    steps: list[Step], rules: list[Rule], text: str, tags: tuple[str, str], summary: str
) -> Design:
    """Plan the tools of a procedure (see the module docstring); `tags` is its
    ``(domain, platform)``."""
    domain_name, platform = tags
    action = [i for i, s in enumerate(steps) if not s.physical]
    if not action:  # a device operated by its buttons only: its steps are the tools
        action = [i for i, s in enumerate(steps) if s.verb != "wait"]
    params = {i: params_of(steps[i]) for i in action}
    groups = _merge([[i] for i in action], steps, params)
    tools: list[ActionTool] = []
    used: set[str] = set()
    step_tool: dict[int, str | None] = {i: None for i in range(len(steps))}
    for group in groups:
        named = [i for i in group if params[i]] or group
        base = _tool_name(steps[named[-1]], params[named[-1]])
        name, k = base, 2
        while name in used or name in ("get_status",):
            name, k = f"{base}_{k}", k + 1
        used.add(name)
        ps: list[Param] = []
        for i in group:
            for p in params[i]:
                if p.name not in [q.name for q in ps] and len(ps) < 4:
                    ps.append(p)
        description = " ".join(steps[i].span.text.rstrip(".") + "." for i in group)
        tools.append(ActionTool(name, description[:300], group, ps))
        for i in group:
            step_tool[i] = name
    _distinct_kinds(tools)
    for prev, tool in itertools.pairwise(tools):
        tool.requires = prev.name
        tool.requires_text = steps[prev.steps[-1]].span.text.rstrip(".")
    if tools:
        tools[-1].final = True
    rule_tool = _attach(rules, steps, tools)
    ws = words(text[:20_000])
    counts = {e: ws.count(e) + ws.count(e + "s") for e in _ENTITIES}
    entity = max(_ENTITIES, key=lambda e: (counts[e], -_ENTITIES.index(e)))
    if counts[entity] == 0:
        entity = "form"  # no record named: the values of the form being filled
    name = snake(summary, 5) or (tools[-1].name if tools else "procedure")
    return Design(
        steps, tools, step_tool, rules, rule_tool, entity, name, domain_name, platform, summary
    )


def _distinct_kinds(tools: list[ActionTool]) -> None:
    """A parameter name means one value of one kind: a later one of another kind, an
    enum with other options or another value the text gives is renamed ``<name>_<n>``."""
    seen: dict[str, Param] = {}
    for n, tool in enumerate(tools, 1):
        for p in tool.params:
            first = seen.get(p.name)
            differs = (first.kind, first.options) != (p.kind, p.options) if first else False
            if first is not None and (differs or first.value != p.value):
                p.name = f"{p.name}_{n}"
            seen.setdefault(p.name, p)


def _attach(rules: list[Rule], steps: list[Step], tools: list[ActionTool]) -> dict[int, str | None]:
    """Give each rule the tool that enforces it (None: the policy only), and set the
    tools' checks: parameter bounds and state flags."""
    out: dict[int, str | None] = {}
    if not tools:
        return {i: None for i in range(len(rules))}
    tool_words = [_content(" ".join(steps[i].span.text for i in t.steps)) for t in tools]
    flags_used: set[str] = set()
    df: dict[str, int] = {}
    for ws in tool_words:
        for w in ws:
            df[w] = df.get(w, 0) + 1
    for r, rule in enumerate(rules):
        mine = _content(rule.span.text)
        if rule.kind in ("length", "number"):
            kind = "string" if rule.kind == "length" else "integer"
            target = None
            for t in tools:
                for p in t.params:
                    if p.kind == kind and (set(p.name.split("_")) & mine):
                        target = (t, p)
            if target is None and kind == "integer":
                counted = [(t, p) for t in tools for p in t.params if p.kind == kind]
                target = counted[0] if len({p.name for _, p in counted}) == 1 else None
            pronoun = re.match(r"^\W*(it|this|that|they|these|which)\b", rule.span.text, re.I)
            if target is None and kind == "string" and pronoun:  # "It must be at least 14 ..."
                before = [
                    (t, p)
                    for t in tools
                    for p in t.params
                    if p.kind == kind and steps[t.steps[0]].span.start < rule.span.start
                ]
                target = before[-1] if before else None
            if target is None:
                out[r] = None
                continue
            t, p = target
            merged = {**p.bounds, **rule.bounds}
            low = merged.get("minLength", merged.get("minimum", 0))
            high = merged.get("maxLength", merged.get("maximum", 10**9))
            if low > high:  # rules that contradict each other: keep the first
                out[r] = None
                continue
            for other in (q for tool in tools for q in tool.params if q.name == p.name):
                other.bounds.update(rule.bounds)  # one field, one bound, in every tool
                other.rule = rule.span.text.rstrip(".")
            p.rule = rule.span.text.rstrip(".")
            out[r] = t.name
            continue
        # shared words weigh by rarity among the tools; ties go to the later tool
        overlap = [sum(1.0 / df[w] for w in sorted(mine & words_j)) for words_j in tool_words]
        best = max(range(len(tools)), key=lambda j: (overlap[j], j))
        if overlap[best] == 0:
            best = 0  # a prerequisite stated before the steps, or about none of them
        if rule.step is not None and steps and tools:
            owner = next((j for j, t in enumerate(tools) if rule.step in t.steps), None)
            best = owner if owner is not None else best
        if rule.kind == "order" and best > 0:
            out[r] = tools[best].name  # the dependency on the earlier step enforces it
            continue
        flag = rule.flag
        k = 2
        while flag in flags_used:
            flag, k = f"{rule.flag}_{k}", k + 1
        flags_used.add(flag)
        tools[best].flags.append((flag, rule.span.text.rstrip(".")))
        out[r] = tools[best].name
    return out
