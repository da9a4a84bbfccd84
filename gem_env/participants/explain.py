"""What the oracle agent says at the end of a plan: a report of its writes, or a refusal
justified by what its reads showed.

A refusal cites a policy rule only when an observation shows that the rule applies:
a value the agent's reads returned (a string said in the rule, a true flag or a
nonzero number whose key the rule names: ``final_sale: true``, ``balance_cents:
15000``) or a specific term of the user's request (``domain-admins``). It quotes the
rule and the observed values ("balance: $150.00"). Without such an observation it
quotes nothing and says it found no way to do the request. Nothing here reads the goal
assertions or the required outputs: what the agent says is what the conversation shows.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from gem_env.participants._text import humanize, is_id_like, sentences, stems
from gem_env.participants.planner import Plan
from gem_env.scenario import Scenario

__all__ = ["Evidence", "Observation", "policy_rules", "refusal", "report", "rule_evidence"]

# A rule that can justify a refusal restricts something.
_RESTRICTS = re.compile(
    r"\b(not|never|cannot|can't|only|no|must|unless|without|before|at most|until|forbid\w*)\b",
    re.I,
)


# A specific term of a request: a word with a hyphen, an underscore, a digit or an @
# ("domain-admins", "ORD-1004"), which a rule may name.
_TERM = re.compile(r"[A-Za-z0-9][A-Za-z0-9_@.-]*[A-Za-z0-9]")


@dataclass(frozen=True)
class Observation:
    """One value a read returned: where (the record's label), the key and the value,
    and the stems it shows (of a string value; of the key for a true flag or a number)."""

    record: str
    key: str
    value: Any
    shows: frozenset[str]

    def text(self) -> str:
        """The observation said aloud: ``balance: $150.00 (Ruth Adler)``."""
        label = self.key[: -len("_cents")] if self.key.endswith("_cents") else self.key
        where = f" ({self.record})" if self.record else ""
        return f"{humanize(label)}: {fmt(self.key, self.value)}{where}"


def report(plan: Plan) -> str:
    """The closing message of a solved plan: what each write did, from its result."""
    lines = ["All done. Here is what I did:"]
    for call in plan.calls:
        if call.kind == "write":
            lines.append(f"- {humanize(call.name).capitalize()}: {summary(call.value)}.")
    return "\n".join(lines) + "\nIs there anything else I can help you with?"


def refusal(plan: Plan, scenario: Scenario) -> str:
    """The closing message of a plan without writes: the rule its reads show applies,
    with the observed values, or no rule when none is shown."""
    cited = rule_evidence(plan, scenario)
    if cited is None:
        text = "I'm sorry, but I found no way to do that within our policy."
    else:
        seen = [o.text() for o in cited.observations] + [
            f"you asked for {term}" for term in cited.requested
        ]
        text = f"I'm sorry, but I can't do that. Our policy says: {cited.rule}"
        if seen:
            text += "\nWhat I found: " + "; ".join(seen) + "."
    return text + "\nIs there anything else I can help you with?"


@dataclass(frozen=True)
class Evidence:
    """The rule a refusal cites, the observations that show it applies (at most three)
    and the terms of the request it names."""

    rule: str
    observations: tuple[Observation, ...]
    requested: tuple[str, ...]


def rule_evidence(plan: Plan, scenario: Scenario) -> Evidence | None:
    """The policy rule a refusal cites and what shows it applies, or None when no
    restricting rule is shown by the reads or the request."""
    rules = [r for r in policy_rules(scenario.system_prompt) if _RESTRICTS.search(r)]
    request = scenario.user.goal
    context = stems(request)
    asked = {t.lower() for t in _TERM.findall(request) if re.search(r"[-_0-9@]", t)}
    observed = _observations(plan, context)
    best: tuple[int, Evidence] | None = None
    for rule in rules:
        said = stems(rule)
        overlap = max((len(o.shows & said) for o in observed), default=0)
        seen = [o for o in observed if overlap and len(o.shows & said) == overlap]
        named = sorted(
            t for t in asked if re.search(rf"(?<![\w-]){re.escape(t)}(?![\w-])", rule, re.I)
        )
        if not seen and not named:
            continue
        score = 2 * overlap + 2 * len(named) + len(said & context)
        if best is None or score > best[0]:
            best = (score, Evidence(rule, tuple(seen[:3]), tuple(named)))
    return None if best is None else best[1]


def policy_rules(system_prompt: str) -> list[str]:
    """The rules of a policy: its bullet lines, and the sentences of its other lines
    (headings ending in ``:`` left out)."""
    rules = []
    for line in system_prompt.splitlines():
        line = line.strip()
        if line.startswith(("- ", "* ")):
            rules.append(line[2:].strip())
        elif line and not line.endswith(":"):
            rules.extend(sentences(line))
    return rules


def _observations(plan: Plan, context: set[str]) -> list[Observation]:
    """What the plan's reads showed. When some records (objects) of the results are
    about the request (their text shares words with it), only those count: the
    scarf's order line, not the serum's nor the order's item count."""
    records = [r for call in plan.calls if call.kind == "read" for r in _records(call.value, "")]
    about = [r for r in records if _text_stems(r[1]) & context]
    out: list[Observation] = []
    for label, record in about or records:
        for key, value in record.items():
            shows = _shows(key, value)
            if shows and value != label:
                out.append(Observation(label, key, value, frozenset(shows)))
    return out


def _records(value: Any, label: str):
    """Every object in a JSON value, outermost first, each with its label (a name-like
    value of its own, else its id-like one)."""
    if isinstance(value, dict):
        own = _label(value) or label
        yield own, value
        for item in value.values():
            yield from _records(item, own)
    elif isinstance(value, list):
        for item in value:
            yield from _records(item, label)


def _label(record: dict[str, Any]) -> str:
    for key in ("name", "title", "product", "description"):
        if isinstance(record.get(key), str) and record[key].strip():
            return record[key].strip()
    ids = [v for k, v in record.items() if k.endswith("id") and isinstance(v, str)]
    return ids[0] if ids else ""


def _text_stems(record: dict[str, Any]) -> set[str]:
    return set().union(
        *(stems(v) for v in record.values() if isinstance(v, str) and not is_id_like(v))
    )


def _shows(key: str, value: Any) -> set[str]:
    """The stems an observed value shows: a string's words (not an id's), a true flag's
    or a nonzero number's key, the strings of a list."""
    if key.endswith(("_id", "_ids")) or key in ("id", "ids"):
        return set()
    if isinstance(value, bool):
        return stems(humanize(key)) if value else set()
    if isinstance(value, (int, float)):
        return stems(humanize(key)) if value else set()
    if isinstance(value, str):
        return set() if is_id_like(value) else stems(value.replace("_", " "))
    if isinstance(value, list) and value and all(isinstance(v, str) for v in value):
        return set().union(*(stems(v.replace("-", " ")) for v in value if not is_id_like(v)))
    return set()


def summary(value: Any) -> str:
    """A JSON result said in one line: ``status cancelled, fee $50.00``."""
    if not isinstance(value, dict):
        return fmt("", value)
    parts = []
    for key, v in value.items():
        if isinstance(v, list):
            items = [summary(x) for x in v]
            parts.append(f"{humanize(key)}: " + ("; ".join(items) if items else "none"))
        elif isinstance(v, dict):
            parts.append(f"{humanize(key)}: ({summary(v)})")
        elif v is not None:
            label = key[: -len("_cents")] if key.endswith("_cents") and isinstance(v, int) else key
            parts.append(f"{humanize(label)} {fmt(key, v)}")
    return ", ".join(parts)


def fmt(key: str, value: Any) -> str:
    """One value said aloud: yes/no, cents as dollars, snake_case words as words."""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if key.endswith("_cents") and isinstance(value, int):
        return f"${value / 100:,.2f}"
    if isinstance(value, str) and "_" in value and not any(ch.isdigit() for ch in value):
        return value.replace("_", " ")
    if isinstance(value, list):
        return ", ".join(fmt("", v) for v in value) or "none"
    return str(value)
