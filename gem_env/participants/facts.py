"""Facts: the values the heuristic agent may legitimately put into tool arguments.

A `Fact` is a fact the user knows (revealed when asked), an id-like token of the
user's opening message or of the system prompt, or a leaf of an earlier tool result,
with the name it came under and the words around it (used for ranking).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from gem_env.participants._text import (
    STOPWORDS,
    concepts,
    id_tokens,
    is_id_like,
    key_concepts,
    key_head,
    sentences,
    stems,
    words,
)


@dataclass(frozen=True)
class Fact:
    """A value the agent may use in an argument, with where it came from.

    Attributes:
        value: the JSON value (a leaf; dicts and lists only for user facts).
        key: the name it came under (known_info key or result key), if any.
        source: "user" (known_info, revealed when asked), "opening" (the user's first
            message), "system" (the system prompt) or "result" (a tool result).
        user_key: the known_info key a user fact belongs to.
        context: stems of the words around the value (its result row, or its key).
        order: discovery order, for stable ranking.
    """

    value: Any
    key: str | None
    source: str
    user_key: str | None = None
    context: frozenset[str] = frozenset()
    order: int = 0


def user_facts(known_info: dict[str, Any]) -> list[Fact]:
    """Facts of the user's known_info: each top-level value and every nested leaf."""
    facts: list[Fact] = []
    for key, value in known_info.items():
        facts.append(Fact(value, key, "user", key, frozenset(stems(key)), len(facts)))
        if isinstance(value, dict):
            for sub, leaf in value.items():
                if not isinstance(leaf, (dict, list)):
                    facts.append(Fact(leaf, sub, "user", key, frozenset(stems(sub)), len(facts)))
    return facts


def text_facts(text: str, source: str, start: int = 0) -> list[Fact]:
    """Id-like tokens of a text (the opening message, the system prompt) as facts."""
    return [
        Fact(tok, None, source, None, frozenset(), start + i)
        for i, tok in enumerate(id_tokens(text))
    ]


def result_facts(value: Any, start: int = 0) -> list[Fact]:
    """Leaves of a tool result as facts, each with the words of its enclosing row."""
    out: list[Fact] = []

    def walk(node: Any, key: str | None, row: frozenset[str]) -> None:
        if isinstance(node, dict):
            here = frozenset(
                s for v in node.values() if isinstance(v, str) and len(v) <= 200 for s in stems(v)
            )
            for k, v in node.items():
                walk(v, k, here)
        elif isinstance(node, list):
            for item in node:
                walk(item, key, row)
        elif node is not None and not (isinstance(node, str) and len(node) > 200):
            out.append(Fact(node, key, "result", None, row, start + len(out)))

    walk(value, None, frozenset())
    return out


def key_matches(key: str | None, names: tuple[str, ...]) -> bool:
    """Whether a fact key names this parameter (equal, or one is a ``_``-suffix of the
    other: ``return_reason`` ~ ``reason``, ``new_slot_id`` ~ ``slot_id``)."""
    if not key:
        return False
    k = key.lower()
    return any(k == n or k.endswith("_" + n) or n.endswith("_" + k) for n in names if n)


def parameter_slots(tools: list[dict[str, Any]]) -> list[tuple[str, str]]:
    """``(name, description)`` of every parameter of OpenAI function tools, nested ones
    (object properties, array items) included, in order, each pair once."""
    out: list[tuple[str, str]] = []

    def walk(schema: Any) -> None:
        if not isinstance(schema, dict):
            return
        props = schema.get("properties")
        for name, sub in (props if isinstance(props, dict) else {}).items():
            described = sub.get("description") if isinstance(sub, dict) else None
            slot = (str(name), described if isinstance(described, str) else "")
            if slot not in out:
                out.append(slot)
            walk(sub)
        walk(schema.get("items"))

    for tool in tools:
        function = tool.get("function") if isinstance(tool, dict) else None
        if isinstance(function, dict):
            walk(function.get("parameters"))
    return out


def feeds(key: str, name: str, description: str = "") -> bool:
    """Whether the fact under `key` is a value for the parameter `name` described by
    `description`: the names match (`key_matches`, or the same concepts:
    ``badge_last_4`` ~ ``badge_last4``), or the description's lead (up to a comma or
    "e.g.") says the key (``customer_email`` ~ "Customer email address") or opens with
    the key's curated concept as its noun (``return_address`` ~ "Address the parcel
    ships from"; not ``order_id`` ~ "Order line id")."""
    want = key_concepts(key)
    if not want:
        return False
    if key_matches(key, (name.lower(),)) or want == key_concepts(name):
        return True
    lead = re.split(r",|;|\be\.g\.|\(", description or "")[0]
    if lead.strip() and want == key_concepts(lead):
        return True
    head = key_head(key)
    said = words(lead)
    return (
        head is not None
        and bool(said)
        and concepts(said[0]) == stems(head)
        and (len(said) == 1 or said[1] in _NOUN_FOLLOWERS)
    )


# Words after a noun that end its phrase ("Address *the* parcel ships from").
_NOUN_FOLLOWERS = frozenset(
    [
        "the",
        "a",
        "an",
        "to",
        "of",
        "for",
        "that",
        "which",
        "where",
        "at",
        "on",
        "in",
        "from",
        "we",
        "you",
        "it",
        "used",
    ]
)


_THIRD_PERSON = [
    (r"\bI'm\b|\bI am\b", "caller is"),
    (r"\bI've\b|\bI have\b", "caller has"),
    (r"\bI'd\b", "caller would"),
    (r"\bI'll\b", "caller will"),
    (r"\bI (need|want|bought|paid|got)\b", r"caller \1"),
    (r"\bI\b", "caller"),
    (r"\bmyself\b", "themselves"),
    (r"\bmy\b", "their"),
    (r"\bme\b", "them"),
]


def free_text(goal: str) -> str:
    """A short request description from the goal, as a note about the caller: its first
    sentence in the third person, without id-like tokens (free text is never grounded, so
    it carries no ids or numbers)."""
    first = (sentences(goal) or [goal or "Customer request"])[0]
    kept = [w for w in first.split() if not is_id_like(w.strip(".,;:!?()"))]
    text = " ".join(kept).strip().rstrip(".,;:!?") or "Customer request"
    for pattern, repl in _THIRD_PERSON:
        text = re.sub(pattern, repl, text, flags=re.IGNORECASE)
    text = re.sub(r"\b(needs|wants) (caller|them)\b", r"\1", text)
    text = re.sub(r"\bcaller (need|want)\b", r"caller \1s", text)
    return text[0].upper() + text[1:]


def keywords(goal: str, limit: int = 8) -> list[str]:
    """Content words of the goal (four letters or more, no stopwords), in order."""
    out: list[str] = []
    for w in words(goal):
        if len(w) >= 4 and w.isalpha() and w not in STOPWORDS and w not in out:
            out.append(w)
    return out[:limit]
