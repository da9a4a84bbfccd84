"""ECMA-262 regular expressions of JSON Schemas on a linear-time engine (owns patterns).

JSON Schema's `pattern` and `patternProperties` keys are ECMA-262 regular expressions.
They all run on jsonschema-rs's engine for the Rust `regex` crate (finite automata:
linear time in the text, so no pattern can hang a call, whatever the text), which
reads ECMA-262 syntax with its meaning: ``\\d`` is ``[0-9]`` (not every Unicode digit),
``\\w`` is ASCII, ``\\s`` is ECMA white space, ``$`` matches only at the very end (not
before a trailing newline, as Python's `re` does), ``\\uXXXX`` and ``\\cJ`` escapes work.

Constructs that need a backtracking engine (backreferences, lookaround) are rejected
by `pattern_problem` with what to write instead. `pattern_matcher` is the one way the
project matches a schema pattern against a string outside a validator (the values the
samplers reuse); `generation_pattern` rewrites a pattern for Python's regex *parser*,
which the value generators use to draw strings (parsing, never matching).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from typing import NamedTuple

from toolkits.errors import SpecError, ToolkitError
from toolkits.schema_engine import engine_validator

__all__ = ["PatternProblem", "UnsupportedPatternError", "pattern_matcher", "pattern_problem"]

_LOOKAROUND = (
    ("(?<=", "lookbehind '(?<=...)'"),
    ("(?<!", "negative lookbehind '(?<!...)'"),
    ("(?=", "lookahead '(?=...)'"),
    ("(?!", "negative lookahead '(?!...)'"),
)
_LOOKAROUND_HINT = (
    "the linear-time regex engine has no lookaround: match the text itself with "
    "alternatives and character classes (e.g. '^(?!admin$)[a-z]+$' -> an 'enum' or 'not' "
    "schema, '^(?=.*[0-9]).{8,}$' -> 'minLength' plus a check in the tool that raises "
    "ToolError)"
)
_BACKREF_HINT = (
    "the linear-time regex engine has no backreferences: repeat the group's pattern "
    "instead (e.g. '^([a-z]+)-\\1$' -> '^[a-z]+-[a-z]+$') and compare the parts in the "
    "tool code, raising ToolError when they differ"
)


class PatternProblem(NamedTuple):
    """Why a pattern cannot run: the construct, and what to write instead."""

    construct: str
    message: str


class UnsupportedPatternError(ToolkitError, ValueError):
    """The pattern cannot run on the linear-time engine; the message says what to write."""


def pattern_problem(pattern: str) -> PatternProblem | None:
    """None when the engine runs `pattern` as ECMA-262, else the construct and a fix."""
    found = _backtracking_construct(pattern)
    if found is not None:
        return found
    try:
        engine_validator({"pattern": pattern})
    except SpecError:
        return PatternProblem(
            "regex",
            f"{pattern!r} is not a regular expression the linear-time engine runs "
            "(ECMA-262 syntax without backreferences or lookaround, within the engine's "
            "size limit): fix its syntax or simplify it",
        )
    return None


@functools.lru_cache(maxsize=1024)
def pattern_matcher(pattern: str) -> Callable[[str], bool]:
    """Return ``search(text) -> bool``: whether `pattern` matches somewhere in `text`.

    ECMA-262 semantics on the linear-time engine, exactly as schema validation uses.
    A text the engine cannot read (a lone surrogate) does not match.

    Raises:
        UnsupportedPatternError: the engine cannot run `pattern` (see `pattern_problem`).
    """
    problem = pattern_problem(pattern)
    if problem is not None:
        raise UnsupportedPatternError(f"pattern {pattern!r}: {problem.message}")
    is_valid = engine_validator({"type": "string", "pattern": pattern}).is_valid

    def search(text: str) -> bool:
        if not isinstance(text, str):
            return False
        try:
            return bool(is_valid(text))
        except Exception:
            return False

    return search


_NAMED_GROUP = re.compile(r"\(\?<(?![=!])")


def generation_pattern(pattern: str) -> str:
    """`pattern` for Python's regex parser, to draw strings from (never to match with).

    ECMA's named groups ``(?<name>...)`` become Python's ``(?P<name>...)``.
    """
    return _NAMED_GROUP.sub("(?P<", pattern)


def _backtracking_construct(pattern: str) -> PatternProblem | None:
    """The first backreference or lookaround outside a character class, if any."""
    i, in_class, n = 0, False, len(pattern)
    while i < n:
        c = pattern[i]
        if c == "\\":
            nxt = pattern[i + 1 : i + 2]
            if not in_class and nxt and nxt in "123456789":
                j = i + 1
                while j < n and pattern[j].isdigit():
                    j += 1
                return PatternProblem(f"backreference {pattern[i:j]!r}", _BACKREF_HINT)
            if not in_class and pattern.startswith("k<", i + 1):
                end = pattern.find(">", i)
                token = pattern[i : end + 1] if end > 0 else pattern[i : i + 3]
                return PatternProblem(f"backreference {token!r}", _BACKREF_HINT)
            i += 2
            continue
        if in_class:
            in_class = c != "]"
        elif c == "[":  # ECMA: the first unescaped ']' ends the class, even right after '['
            in_class = True
        elif c == "(":
            for prefix, construct in _LOOKAROUND:
                if pattern.startswith(prefix, i):
                    return PatternProblem(construct, _LOOKAROUND_HINT)
        i += 1
    return None
