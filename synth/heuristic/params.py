"""Parameters of a step: the values the step names, as typed tool parameters.

- a choice among listed options ("select WPA2, WPA3 or WEP from the Security menu")
  is an enum parameter named after the menu;
- a quoted value after an entry verb (``type "ipconfig"``, ``set the name to "Lab"``)
  is a string parameter whose value the text gives;
- "set the timeout to 30 minutes" is an integer parameter with the text's value;
- a field being filled ("enter your email address", "in the Password field") is a
  string parameter named after the field (values synthesized by `values`);
- "log in with your username and password" names both credentials.
Click/tap targets and quoted UI labels are no parameters. A parameter is named for the
field's noun, without a relative clause ("the amount you want" -> ``amount``) or an
aside; amounts and counts are integers; a value the text gives ("e.g. "INV 2291"") is
taken without "e.g.", quotes or trailing punctuation.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from synth.heuristic.lexicon import (
    CHOICE_VERBS,
    CREDENTIALS,
    ENTRY_VERBS,
    FIELD_NAMES,
    FILLERS,
    NUMBER_WORDS,
    UI_NOUNS,
    UNITS,
    VALUE_NOUNS,
)
from synth.heuristic.spans import words
from synth.heuristic.steps import Step

__all__ = ["Param", "clean_value", "kind_of", "params_of", "snake"]

_QUOTED = re.compile(r"[\"“`]([^\"”`\n]{1,60})[\"”`]|(?<![\w])'([^'\n]{1,40})'(?![\w])")
_OPTION = r"[A-Za-z0-9][\w.+/%'\u2019-]*(?: [A-Za-z0-9][\w.+/%'\u2019-]*){0,2}"
_OPTIONS = re.compile(rf"({_OPTION}(?:,\s*{_OPTION})*,?\s+or\s+{_OPTION})")
_MENU = re.compile(
    r"\b(?:from|in|under|on)\s+(?:the\s+)?([\w -]{2,30}?)\s+(?:menu|list|dropdown|drop-down|"
    r"section|options|field|box|setting)\b|\bunder\s+([A-Z][\w -]{1,30})|"
    r"\b(?:as|for)\s+(?:the\s+|your\s+)?"
    r"([a-z][\w -]{2,25}?)\b(?=[,.]|$)",
    re.I,
)
_LISTED = re.compile(
    r"^(?P<head>[^:(]{2,40})[:(]\s*(?P<items>[^.;)]{3,200}?\bor\b[^.;)]{1,60})\)?\s*(?:[.;]|$)"
)
_VALUE_FIRST = re.compile(
    r"^(\S*\d\S*)\s+(?:(?:if|when)\s+asked\s+)?(?:as|for|in|into|when asked for)\s+"
    r"(?:the\s+|a\s+|an\s+|your\s+)?([a-z][\w -]{1,30}?)(?:\s+(?:field|box))?\s*$",
    re.I,
)
_SET_TO = re.compile(
    r"^(?:the\s+|your\s+)?([\w -]{2,40}?)\s+to\s+(\d+(?:\.\d+)?)\s*([a-zA-Z%]+)?", re.I
)
_FIELD_IN = re.compile(
    r"\b(?:in|into)\s+(?:the\s+)?[*_\"\u201c'`]*([\w -]{1,30}?)[*_\"\u201d'`]*\s+"
    r"(?:field|box|text box)\b",
    re.I,
)
_STOP = re.compile(
    r"\b(?:in|into|on|under|from|for|at|and|then|with|to|using|via|if|when|so)\b|[,.;:(]"
)
_COUNTED = frozenset(
    [
        "amount",
        "quantity",
        "count",
        "price",
        "total",
        "limit",
        "age",
        "minutes",
        "days",
        "hours",
        "cost",
        "fee",
        "budget",
        "sum",
    ]
)
_EXAMPLE = re.compile(
    r"^\W*(?:e\.?\s?g\.?|i\.?\s?e\.?|for example|for instance|such as|like|say|"
    r"something like|e\.g)[\s,:]*",
    re.I,
)
_EXAMPLE_BEFORE = re.compile(r"\b(?:e\.\s?g|for example|for instance|such as)\b", re.I)
_SHAPE = re.compile(
    r"\b(\d{1,2}|one|two|three|four|five|six|seven|eight|nine|ten|twelve)[- ]"
    r"(digit|character|char|letter)s?\b",
    re.I,
)
# A relative clause or aside after a field's noun: "the amount you want", "the code the
# authenticator shows", "a password you will remember".
_RELATIVE = re.compile(
    r"\s+(?:you|you'?d|you'?ll|you'?re|we|they|it|she|he|that|which|who|whose|where|"
    r"(?:the|a|an|your|their|our)\s+\w+\s+(?:shows?|sends?|gives?|gave|sent|displays?|"
    r"texts?|emails?|sees?|will|wants?))\b.*$",
    re.I,
)


@dataclass
class Param:
    """One parameter of a step's tool.

    Attributes:
        name: snake_case name (also the user's known_info key that feeds it).
        kind: ``string``, ``integer`` or ``enum``.
        description: what the parameter is, from the step's words.
        options: the members of an enum.
        value: the value the text gives, if any.
        bounds: ``minLength``/``maxLength``/``minimum``/``maximum`` the text's rules set.
        rule: the text of the rule that sets the bounds.
        shape: what the step says the value looks like (``digits:6``, ``chars:6``).
    """

    name: str
    kind: str
    description: str
    options: list[str] = field(default_factory=list)
    value: Any = None
    bounds: dict[str, int] = field(default_factory=dict)
    rule: str = ""
    shape: str = ""


def snake(text: str, limit: int = 3, keep_ui: bool = False) -> str:
    """A snake_case name of the content words of `text` (at most `limit` words; trailing
    UI nouns dropped unless `keep_ui` or nothing else is left)."""
    ws = [w.replace("'", "").replace("\u2019", "") for w in words(text)]
    ws = [re.sub(r"[^a-z0-9]+", "_", w).strip("_") for w in ws]
    ws = [
        w
        for i, w in enumerate(ws)
        if w
        and not any(c.isdigit() for c in w)
        and (w not in FILLERS or (w == "of" and 0 < i < len(ws) - 1))
    ]
    while ws and ws[0] == "of":
        ws.pop(0)
    while ws and ws[-1] in UI_NOUNS and not keep_ui:
        ws.pop()
    name = "_".join(ws[:limit])
    if name and name[0].isdigit():
        name = "n_" + name
    return name[:40].strip("_")


def clean_value(text: str) -> str:
    """A value as the text gives it, without "e.g."/"for example", markup, unbalanced
    quotes or trailing punctuation."""
    value = _EXAMPLE.sub("", text.strip())
    value = value.strip(" \t*_`'\"\u201c\u201d\u2018\u2019()[]")
    value = value.rstrip(" .,;:!?")
    return value.strip(" *_`'\"\u201c\u201d")


def _phrase(phrase: str) -> str:
    """A field's noun phrase: no markup, no relative clause, no "how many"/"how to"."""
    phrase = re.sub(r"[*_`\"\u201c\u201d]+", " ", phrase)
    phrase = re.sub(r"\([^)]*\)?", " ", phrase)
    phrase = _SHAPE.sub(" ", phrase)
    phrase = re.sub(r"(\w)['\u2019]s\b", r"\1", phrase)
    phrase = " ".join(phrase.split())
    phrase = _RELATIVE.sub("", phrase)
    phrase = re.sub(r"\s+\w{3,}est\s+(?:to|for)\b.*$", "", phrase)  # "the category closest to"
    # "the dates if you chose ...", "a role for each person"
    phrase = re.sub(
        r"\s+(?:if|when|unless|so|because|then|once|being|(?:for|per)\s+(?:each|every|all))\b.*$",
        "",
        phrase,
        flags=re.I,
    )
    return phrase


def _field_name(phrase: str) -> str:
    low = " " + " ".join(words(phrase)) + " "
    for said, name in FIELD_NAMES:
        if f" {said} " in low:
            return name
    if re.match(r"^\W*how\s+(?:many|much)\b", phrase, re.I):
        return "quantity" if "much" not in phrase.lower().split()[1:2] else "amount"
    how = re.match(
        r"^\W*how\s+(?:you(?:'|\u2019)?d\s+like\s+to|you\s+(?:want|wish|would like)\s+to|"
        r"to)\s+(\w+)",
        phrase,
        re.I,
    )
    if how:
        return f"{how.group(1).lower()}_method"
    phrase = _phrase(phrase)
    ws = [w for w in words(phrase) if w not in FILLERS]
    for i, w in enumerate(ws):  # the noun that names a value ends the phrase
        if w in VALUE_NOUNS and i + 1 < len(ws) and ws[i + 1] not in VALUE_NOUNS | {"of"}:
            return snake(" ".join(ws[: i + 1]))
    return snake(phrase)


def _shape(phrase: str) -> str:
    m = _SHAPE.search(phrase)
    if not m:
        return ""
    n = m.group(1).lower()
    size = int(n) if n.isdigit() else NUMBER_WORDS[n]
    return f"{'digits' if m.group(2).lower() == 'digit' else 'chars'}:{size}"


def kind_of(name: str) -> str:
    """``integer`` for a parameter that counts or costs something, else ``string``."""
    last = name.split("_")[-1]
    return "integer" if last in _COUNTED or name.startswith("number_of") else "string"


def _object(body: str) -> str:
    """The object phrase of a step: its words up to a preposition or punctuation."""
    m = _STOP.search(body)
    phrase = body[: m.start()] if m else body
    return phrase.strip()


def params_of(step: Step) -> list[Param]:
    """The parameters the step names (see the module docstring)."""
    verb, body = step.verb, step.body
    if step.physical or not body:
        return []
    text = step.span.text
    out: list[Param] = []
    offered = [clean_value(q.group(1) or q.group(2)) for q in _QUOTED.finditer(body)]
    offered = [o for o in dict.fromkeys(offered) if 0 < len(o) <= 40]
    if verb in CHOICE_VERBS and len(offered) >= 3 and not _EXAMPLE_BEFORE.search(body):
        # 'Pick the category closest to your problem — "Laptop", "Email" or "Access"'
        label = body[: body.find(next(_QUOTED.finditer(body)).group(0))].strip(" :-\u2013\u2014")
        name = _field_name(label) if len(words(label)) >= 2 else ""
        if name:
            choice = f"Choice of {_phrase(label)}: {', '.join(offered)}"
            return [Param(name, "enum", choice[:200], offered, offered[0])]
    if verb in CHOICE_VERBS or (verb in ("set", "change") and " or " in body):
        m = _LISTED.search(body) or _OPTIONS.search(body)
        if m:
            listed = m.group("items") if "items" in m.groupdict() else m.group(1)
            options = [o.strip() for o in re.split(r",\s*(?:or\s+)?|\s+or\s+", listed) if o.strip()]
            if m.re is _OPTIONS:
                options = [_STOP.split(o)[0].strip() for o in options]
            options = [clean_value(o) for o in options]
            options = [o for o in dict.fromkeys(options) if 0 < len(o) <= 40]
            acts = {"tap", "click", "press", "hit", "select", "choose", "type", "enter", "go"}
            if any((words(o)[:1] or [""])[0] in acts for o in options):
                options = []  # "type a code or tap **Generate**": actions, not options
            if 2 <= len(options) <= 12:
                rest = body[m.start() :]
                menu = _MENU.search(rest) or _MENU.search(body[: m.start()])
                label = next((g for g in (menu.groups() if menu else ()) if g), "") if menu else ""
                if m.re is _LISTED:
                    label = m.group("head")
                if not label:
                    label = body[: m.start()].strip(" :(")
                name = _field_name(label) or snake(label) or "option"
                return [
                    Param(
                        name,
                        "enum",
                        f"Choice of {label or 'option'}: {', '.join(options)}",
                        options,
                        options[0],
                    )
                ]
    if verb in ("log in", "sign in"):
        said = words(body)
        prefix = "admin_" if "admin" in said or "administrator" in said else ""
        for cred in CREDENTIALS:
            if cred in said or (cred == "email" and "e-mail" in said):
                name = "api_token" if cred == "token" and "api" in said else prefix + cred
                out.append(Param(name, "string", f"Your {name.replace('_', ' ')} to sign in"))
        return out
    labels = {clean_value(m.group(1)).lower() for m in _FIELD_IN.finditer(text)}
    quoted = [clean_value(m.group(1) or m.group(2)) for m in _QUOTED.finditer(text)]
    quoted = [q for q in quoted if q and q.lower() not in labels]
    entry = re.sub(r"^(in|out)\s+", "", body, flags=re.I)
    several = verb in ENTRY_VERBS and len(_phrases(entry)) > 1
    if verb in ENTRY_VERBS | {"run", "execute", "search"} and quoted and not several:
        value = quoted[-1] if verb in ("set", "change", "rename", "update") else quoted[0]
        place = _FIELD_IN.search(body) or _FIELD_IN.search(text)
        m = re.match(r"^(?:the\s+|your\s+)?([\w -]{2,30}?)\s+to\b", body, re.I)
        if place:
            name = _field_name(place.group(1))
        elif m and verb in ("set", "change", "update"):
            name = _field_name(m.group(1))
        elif verb in ("run", "execute") or "command" in body.lower():
            name = "command"
        elif verb == "search":
            name = "query"
        elif verb in ("rename", "name"):
            name = "new_name"
        else:
            obj = _object(re.sub(_QUOTED, "", entry))
            name = _field_name(obj) or "text"
        name = name or "text"
        if kind_of(name) == "integer" and re.fullmatch(r"\d+", value):
            return [Param(name, "integer", f"Value to {verb}: {value}", value=int(value))]
        if kind_of(name) == "integer":
            return [Param(name, "integer", f"Value to {verb}: {name.replace('_', ' ')}")]
        return [Param(name, "string", f"Value to {verb}: {value}", value=value)]
    if verb in ("set", "change", "update", "adjust"):
        m = _SET_TO.match(body)
        if m:
            unit = (m.group(3) or "").lower()
            name = _field_name(m.group(1))
            if unit in UNITS and unit.rstrip("s") not in name:
                name = f"{name}_{'percent' if unit in ('%', 'percent') else unit.rstrip('s') + 's'}"
            number = float(m.group(2))
            if name and number.is_integer():
                return [Param(name, "integer", f"New {m.group(1).strip()}", value=int(number))]
    timed = (
        verb in CHOICE_VERBS
        and words(_object(body))[-1:] in (["date"], ["time"], ["day"])
        and not re.match(r"^\W*(?:the\s+)?[*\"\u201c'`]", body)  # a button: "**Copy day**"
    )
    if verb not in ENTRY_VERBS and not timed:
        return []
    body = re.sub(r"^(in|out)\s+", "", body, flags=re.I)  # "fill in", "type in"
    # "Enter 0000 as the PIN", "type 8080 in the **Port** box"
    first = _VALUE_FIRST.match(re.sub(r"[*_`]+", "", body))
    if first and verb not in CHOICE_VERBS:
        name = _field_name(first.group(2)) or "value"
        value = clean_value(first.group(1))
        return [Param(name, "string", f"{first.group(2).strip()} ({verb})", value=value)]
    place = _FIELD_IN.search(body) or _FIELD_IN.search(text)
    obj = _object(body)
    head = words(obj)[-1] if words(obj) else ""
    valued = head in VALUE_NOUNS or any(s in " ".join(words(obj)) for s, _ in FIELD_NAMES)
    editing = verb in ("set", "change", "update", "add", "rename", "name", "search")
    if editing and not place and not valued:
        return []
    if place and head in _COUNTED and place.group(1).lower() not in _COUNTED:
        # "type the amount in the **Shipping** field": the shipping amount, a number
        name = f"{_field_name(place.group(1))}_{head}".strip("_")
        return [Param(name, "integer", f"{place.group(1).strip()} {head} ({verb})"[:100])]
    phrases = [place.group(1)] if place else (_phrases(body) or [obj])
    for phrase in phrases[:4]:
        name = _field_name(phrase)
        if verb in ("rename", "name") and name and not name.endswith("name"):
            name = f"{name}_name"
        if name and len(name) >= 2 and name not in [q.name for q in out]:
            kind = kind_of(name)
            out.append(Param(name, kind, f"{phrase.strip()} ({verb})"[:100], shape=_shape(phrase)))
    strings = [q for q in out if q.kind == "string"]
    examples = [
        clean_value(m.group(1) or m.group(2))
        for m in _QUOTED.finditer(text)
        if re.search(r"(?:e\.\s?g\.?|example|instance|such as|like|say)\W*$", text[: m.start()])
    ]
    if (
        len(out) > 1 and examples and strings
    ):  # "type the amount and a reference, such as "INV 2291""
        strings[-1].value = examples[-1]
    return out


def _phrases(body: str) -> list[str]:
    """The noun phrases an entry step names ("the name, the date and the time"), up to
    a preposition; no alternative action ("or press **Me**")."""
    m = re.search(
        r"\b(?:in|into|on|under|from|for|at|with|using|via|if|when|so|exactly|as|to|that|"
        r"which|such|like|e\.g)\b|[.;:(\u2014\u2013]|\s-\s",
        body,
    )
    phrases = [
        p
        for p in re.split(r",\s*(?:and\s+)?|\s+and\s+", body[: m.start()] if m else body)
        if p.strip()
    ]
    phrases = [
        p
        for p in phrases
        if not re.match(r"^\W*(?:or|either|then)\b", p, re.I)
        and (words(p)[:1] or [""])[0] not in CHOICE_VERBS | {"press", "tap", "click", "hit"}
    ]
    if len(phrases) > 1:
        phrases = [p for p in phrases if len(words(_phrase(p))) <= 4] or phrases[:1]
    return phrases
