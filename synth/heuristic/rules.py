"""Rules of a procedure: the conditions a text states, classified by how they can be
made executable.

- ``length``: "the password must be at least 12 characters" bounds a string parameter;
- ``number``: "between 1 and 10", "no more than 5 devices" bounds an integer parameter;
- ``order``: "you must verify your email before ..." is a dependency between steps;
- ``state``: any other condition ("only pending orders can be cancelled", "if the
  order is still pending", "make sure the printer is on") is a flag of the state that
  a tool checks before it acts.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from synth.heuristic.params import snake
from synth.heuristic.spans import Span, split_sentences, units, words

__all__ = ["Rule", "condition_rule", "extract_rules"]

_RULE = re.compile(
    r"\b(must|must not|need to|needs to|have to|has to|required|requires|cannot|can't|"
    r"only\b.{0,60}\b(?:can|may|be|are|is|if|when|after|before|for|while|within)|^only|"
    r"can not|not allowed|at least|at most|no more than|no fewer than|no longer than|up to|"
    r"minimum|maximum|between \d+ and \d+|make sure|ensure|be sure|unless|before you|"
    r"you'll need|you will need|should be|has to be|is required|are required|never)\b",
    re.I,
)
_MIN_LEN = re.compile(
    r"\b(?:at least|minimum of|min(?:imum)?\.?|no fewer than|no shorter than)\s+(\d{1,3})\s*"
    r"(?:characters|chars|letters|digits|symbols)",
    re.I,
)
_MAX_LEN = re.compile(
    r"\b(?:at most|up to|no more than|maximum of|max(?:imum)?\.?|no longer than|fewer than)\s+"
    r"(\d{1,4})\s*(?:characters|chars|letters|digits|symbols)",
    re.I,
)
_EXACT_LEN = re.compile(
    r"\b(?:exactly|must be)\s+(\d{1,3})\s*(?:characters|chars|letters|digits|numbers)\b", re.I
)
_RANGE = re.compile(r"\bbetween\s+(\d{1,6})\s+and\s+(\d{1,6})\b", re.I)
_MAX_NUM = re.compile(
    r"\b(?:at most|up to|no more than|maximum of|a maximum of)\s+(\d{1,6})\b", re.I
)
_MIN_NUM = re.compile(r"\b(?:at least|minimum of|a minimum of|no fewer than)\s+(\d{1,6})\b", re.I)
_ORDER = re.compile(r"\b(before|first|after|until|prior to)\b", re.I)
_NOT_RULE = re.compile(
    r"^\W*(you can|you may|optionally|alternatively|if you want|if you'd like)\b", re.I
)


@dataclass
class Rule:
    """One condition of the text.

    Attributes:
        span: where the text says it.
        kind: ``length``, ``number``, ``order`` or ``state``.
        bounds: for length and number rules: ``minLength``/``maxLength`` or
            ``minimum``/``maximum``.
        flag: for state rules, the state flag's key (snake_case of its words).
        words: content words of the rule, to find the step it belongs to.
        step: the index of the step whose condition it is (None: stated apart).
    """

    span: Span
    kind: str
    bounds: dict[str, int]
    flag: str
    words: set[str]
    step: int | None = None


def _classify(span: Span) -> Rule | None:
    text = span.text
    if (
        len(text) > 300
        or text.rstrip().endswith("?")
        or _NOT_RULE.match(text)
        or not _RULE.search(text)
    ):
        return None
    ws = set(words(text))
    bounds: dict[str, int] = {}
    if m := _MIN_LEN.search(text):
        bounds["minLength"] = int(m.group(1))
    if m := _MAX_LEN.search(text):
        bounds["maxLength"] = int(m.group(1))
    if m := _EXACT_LEN.search(text):
        bounds["minLength"] = bounds["maxLength"] = int(m.group(1))
    if bounds:
        if bounds.get("minLength", 0) > bounds.get("maxLength", 10_000):
            return None
        return Rule(span, "length", bounds, "", ws)
    if m := _RANGE.search(text):
        lo, hi = int(m.group(1)), int(m.group(2))
        if lo <= hi:
            return Rule(span, "number", {"minimum": lo, "maximum": hi}, "", ws)
    if m := _MAX_NUM.search(text):
        return Rule(span, "number", {"maximum": int(m.group(1))}, "", ws)
    if m := _MIN_NUM.search(text):
        return Rule(span, "number", {"minimum": int(m.group(1))}, "", ws)
    flag = snake(re.sub(_RULE, " ", text), 4) or "condition"
    kind = "order" if _ORDER.search(text) else "state"
    return Rule(span, kind, {}, flag, ws)


def condition_rule(document: str, step: Span, condition: str, index: int) -> Rule:
    """The rule of a step's own condition ("If the order is still pending, ...")."""
    at = document.find(condition, step.start, step.end)
    start = at if at >= 0 else step.start
    end = start + len(condition) if at >= 0 else step.end
    span = Span(start, end, document[start:end], "sentence")
    stripped = re.sub(r"^(if|unless|in case|only if)\s+", "", condition, flags=re.I)
    flag = snake(stripped, 4) or "condition"
    return Rule(span, "state", {}, flag, set(words(condition)), index)


def extract_rules(document: str, step_spans: list[Span], limit: int = 8) -> list[Rule]:
    """The rules of a document, in order, without duplicates (at most `limit`).

    Sentences that are steps count only for their conditions (the caller adds those);
    a sentence that holds a step and states a rule ("Click Save; you must be signed
    in") counts too.
    """
    rules: list[Rule] = []
    seen: set[str] = set()
    covered = {(s.start, s.end) for s in step_spans}
    for unit in units(document):
        if unit.kind == "heading":
            continue
        pieces = (
            split_sentences(document, unit.start, unit.end)
            if unit.kind == "item"
            else [(unit.start, unit.end)]
        )
        for s, e in pieces:
            if (s, e) in covered:
                continue
            span = Span(s, e, document[s:e], "sentence")
            rule = _classify(span)
            key = " ".join(words(span.text))
            if rule is not None and key not in seen:
                seen.add(key)
                rules.append(rule)
            if len(rules) >= limit:
                return rules
    return rules
