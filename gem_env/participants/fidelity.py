"""The user-fidelity guard: flag user turns that state facts the scenario never gave.

A simulated user must only say what its scenario lets it know (goal, persona,
known_info); an LLM playing the user tends to invent order numbers, emails, dates or
names, which makes a trajectory unreplayable as a task. `check_user_turn` finds the
specific facts of a user turn (emails, dates, ids, numbers other than 0 and 1,
capitalized names inside a sentence) and reports each one that appears nowhere in the
allowed text. Text the user has seen (e.g. the agent's messages) can be allowed too.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any, Literal

from pydantic import BaseModel, Field

from gem_env.participants._text import STOP_MARKER
from gem_env.scenario import Scenario

__all__ = ["FidelityFinding", "check_user_turn"]

_EMAIL = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}")
_ISO_DATE = re.compile(r"\b\d{4}-\d{2}-\d{2}(?:T\d{2}:\d{2})?\b")
_MONTHS = [
    "january", "february", "march", "april", "may", "june", "july", "august",
    "september", "october", "november", "december",
]  # fmt: skip
_MONTH_DATE = re.compile(
    r"\b(" + "|".join(m.capitalize() for m in _MONTHS) + r")\s+(\d{1,2})(?:st|nd|rd|th)?\b"
)
_ID = re.compile(
    r"\b(?=[A-Za-z0-9_-]*\d)(?=[A-Za-z0-9_-]*[A-Za-z])[A-Za-z0-9]+(?:[-_][A-Za-z0-9]+)*\b"
    r"|\b\d+(?:-\d+)+\b"
)
_NUMBER = re.compile(r"(?<![\w.])\$?(\d{1,3}(?:,\d{3})+|\d+)(?:\.(\d+))?(?![\w])")
_NAME = re.compile(r"\b[A-Z][a-z]+(?:[-'][A-Z]?[a-z]+)?\b")
_SENTENCE_START = re.compile(r"(^|[.!?:;]\s+|\n\s*(?:[-*]\s+)?|[\"(]\s*)$")
_COMMON = {
    "i", "i'm", "i've", "i'd", "i'll", "hi", "hello", "hey", "thanks", "thank", "ok", "okay",
    "yes", "no", "sure", "please", "dr", "mr", "mrs", "ms", "sir", "madam",
    "monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday",
    "today", "tomorrow", "yesterday", "morning", "afternoon", "evening", "am", "pm",
    *_MONTHS,
}  # fmt: skip


class FidelityFinding(BaseModel):
    """A fact stated by a user turn that the scenario does not give the user."""

    code: Literal["user_invented_fact"] = "user_invented_fact"
    kind: Literal["email", "date", "id", "number", "name"]
    value: str = Field(description="The fact as written in the turn.")
    detail: str


def check_user_turn(
    text: str, scenario: Scenario, *, context: Iterable[str] = ()
) -> list[FidelityFinding]:
    """Facts in a user turn absent from the scenario's goal, persona and known_info.

    Args:
        text: the user turn.
        scenario: gives what the user may know.
        context: more allowed text, e.g. the agent's earlier messages (a user may repeat
            what it was told).
    """
    allowed = "\n".join(
        [scenario.user.goal, scenario.user.persona, *_flatten(scenario.user.known_info), *context]
    )
    low = allowed.lower()
    allowed_words = set(re.findall(r"[a-z0-9']+", low))
    allowed_numbers = _numbers(allowed, scenario.user.known_info)
    work = (text or "").replace(STOP_MARKER, " ")
    findings: list[FidelityFinding] = []

    def flag(kind: str, value: str) -> None:
        if all(f.value != value for f in findings):
            findings.append(
                FidelityFinding(
                    kind=kind,  # type: ignore[arg-type]
                    value=value,
                    detail=f"{kind} {value!r} is not in the scenario's goal, persona or known_info",
                )
            )

    def mask(match: re.Match[str]) -> str:
        return " " * len(match.group(0))

    for m in _EMAIL.finditer(work):
        if m.group(0).lower() not in low:
            flag("email", m.group(0))
    work = _EMAIL.sub(mask, work)
    for m in _ISO_DATE.finditer(work):
        if m.group(0).lower() not in low:
            flag("date", m.group(0))
    work = _ISO_DATE.sub(mask, work)
    for m in _MONTH_DATE.finditer(work):
        month = _MONTHS.index(m.group(1).lower()) + 1
        iso = f"-{month:02d}-{int(m.group(2)):02d}"
        if m.group(0).lower() not in low and iso not in low:
            flag("date", m.group(0))
    work = _MONTH_DATE.sub(mask, work)
    for m in _ID.finditer(work):
        if not re.search(r"(?<![\w-])" + re.escape(m.group(0).lower()) + r"(?![\w-])", low):
            flag("id", m.group(0))
    work = _ID.sub(mask, work)
    for m in _NUMBER.finditer(work):
        value = float(m.group(1).replace(",", "") + ("." + m.group(2) if m.group(2) else ""))
        if value not in (0, 1) and value not in allowed_numbers:
            flag("number", m.group(0))
    work = _NUMBER.sub(mask, work)
    for m in _NAME.finditer(work):
        word = m.group(0)
        if word.lower() in _COMMON or word.lower() in allowed_words:
            continue
        if _SENTENCE_START.search(work[: m.start()]):
            continue  # a capital at the start of a sentence says nothing
        flag("name", word)
    return findings


def _flatten(value: Any, key: str = "") -> list[str]:
    if isinstance(value, dict):
        return [t for k, v in value.items() for t in [str(k), *_flatten(v, str(k))]]
    if isinstance(value, (list, tuple)):
        return [t for v in value for t in _flatten(v, key)]
    return [str(value)]


def _numbers(text: str, known_info: dict[str, Any]) -> set[float]:
    out = {
        float(m.group(1).replace(",", "") + ("." + m.group(2) if m.group(2) else ""))
        for m in _NUMBER.finditer(text)
    }
    out |= {float(x) for x in re.findall(r"\d+", text)}

    def cents(v: Any, key: str = "") -> None:
        if isinstance(v, dict):
            for k, x in v.items():
                cents(x, str(k))
        elif isinstance(v, int) and not isinstance(v, bool) and key.endswith("_cents"):
            out.add(v / 100)

    cents(known_info)
    return out
