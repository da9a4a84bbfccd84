"""Compiled JSON Schema validators of toolkit values (owns validation against a schema).

One validator type serves every check of a value against a toolkit's schema: tool
arguments before a call, the state after one, the initial state at load time, the
values drawn by property tests. It runs on jsonschema-rs, compiled once per schema by
`toolkits.schema_engine`:

- linear time: every `pattern` and `patternProperties` key runs on the Rust `regex`
  crate (``pattern_options=RegexOptions()``: finite automata, no backtracking) with
  ECMA-262 meaning (``\\d`` is ``[0-9]``, ``$`` is the end of the text only);
- no I/O: the retriever refuses every URI, so no `$ref` or `$schema` can open a
  connection or a file (`toolkits.schema_safety` also rejects them at load time);
- no injection: a JSON Schema ``default`` is an annotation, the value is never changed;
- bounded: for a recursive schema (a tree of `$ref`s) the nesting of the value is
  checked before the engine walks it, so no value can exhaust the native stack.

Messages read like Python's jsonschema (`toolkits.schema_messages`): ``'x' is not of
type 'integer'``, with the path of the offending value (``['items'][0]['qty']``).
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from typing import Any, NamedTuple

from toolkits.errors import SpecError
from toolkits.limits import Limits
from toolkits.schema_engine import engine_validator
from toolkits.schema_messages import render
from toolkits.schema_safety import analyze

__all__ = ["SchemaProblem", "SchemaValidator", "compile_validator"]

DEFAULT_MAX_DEPTH: int = Limits.model_fields["max_state_depth"].default
"""Deepest value a recursive schema validates by default (`Limits.max_state_depth`)."""

_NATIVE_DEPTH_CAP = 128  # deeper recursion could exhaust a small thread's native stack
_MAX_ERRORS = 50  # problems listed for one value
_WEAK = frozenset({"anyOf", "oneOf"})


class SchemaProblem(NamedTuple):
    """One reason a value is invalid: where in the value (keys and indexes) and why."""

    path: tuple[str | int, ...]
    message: str


class SchemaValidator:
    """A compiled schema. Calling it gives None for a valid value, else the first problem.

    Args:
        schema: a JSON Schema; `toolkits.schema_safety` checks it here too (a spec
            may skip `load_toolkit`).
        max_depth: the deepest value a *recursive* schema validates; a deeper value
            is invalid (capped at 128 levels).

    Raises:
        SpecError: the schema is unsafe (`toolkits.schema_safety`: a reference outside
            it, a cycle that consumes no input, ...) or the engine cannot compile it.
    """

    __slots__ = ("_depth", "_engine", "_is_valid", "max_depth", "schema")

    def __init__(self, schema: dict[str, Any] | bool, *, max_depth: int = DEFAULT_MAX_DEPTH):
        facts = analyze("", schema, check_patterns=False)  # the engine compiles patterns
        if facts.problems:  # a schema that did not come through load_toolkit
            raise SpecError(facts.problems)
        self.schema = schema
        self.max_depth = max_depth
        self._engine = engine_validator(schema)
        self._is_valid = self._engine.is_valid
        self._depth = min(max_depth, _NATIVE_DEPTH_CAP) if facts.recursive else None

    def __reduce__(self) -> tuple[Any, ...]:  # picklable: rebuilt from the schema
        return (_rebuild, (self.schema, self.max_depth))

    def __call__(self, value: Any) -> str | None:
        """None when `value` is valid, else its most relevant problem as text."""
        if self._depth is None:  # the hot path: one engine call
            try:
                if self._is_valid(value):
                    return None
            except Exception:
                pass
        elif self.is_valid(value):
            return None
        problems = self.problems(value)
        if not problems:
            return "the value does not match the schema"
        path, message = problems[0]
        where = format_path(path)
        return f"{where}: {message}" if where else message

    def is_valid(self, value: Any) -> bool:
        """Whether `value` is valid (never raises: a value the engine cannot read is not)."""
        if self._depth is not None and _deeper_than(value, self._depth):
            return False
        try:
            return self._is_valid(value)
        except Exception:  # not JSON: non-string keys, lone surrogates, other types
            return False

    def problems(self, value: Any) -> list[SchemaProblem]:
        """Every problem of `value` (at most 50), the most relevant first; [] when valid."""
        if self._depth is not None and _deeper_than(value, self._depth):
            return [
                SchemaProblem(
                    (),
                    f"nested more than {self._depth} levels deep (the limit of this "
                    "recursive schema)",
                )
            ]
        try:
            if self._is_valid(value):
                return []
            errors = list(itertools.islice(self._engine.iter_errors(value), _MAX_ERRORS))
        except Exception as exc:
            return [SchemaProblem((), f"not JSON: {_first_line(exc)}")]
        ranked = sorted(
            errors, key=lambda e: (len(e.instance_path), e.kind.name in _WEAK)
        )  # shallow and specific first, like jsonschema's best_match; stable otherwise
        return [SchemaProblem(tuple(e.instance_path), render(e)) for e in ranked]


def _rebuild(schema: dict[str, Any] | bool, max_depth: int) -> SchemaValidator:
    return SchemaValidator(schema, max_depth=max_depth)


def compile_validator(
    schema: dict[str, Any] | bool, *, max_depth: int = DEFAULT_MAX_DEPTH
) -> SchemaValidator:
    """Return the compiled validator of `schema` (see `SchemaValidator`).

    Raises:
        SpecError: the schema is unsafe or the engine cannot compile it.
    """
    return SchemaValidator(schema, max_depth=max_depth)


def format_path(path: Sequence[str | int]) -> str:
    """``['items'][0]['qty']``: the path of a value as Python subscripts."""
    return "".join(f"[{p!r}]" for p in path)


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def _deeper_than(value: Any, limit: int) -> bool:
    """Whether containers nest more than `limit` levels in `value` (``{}`` is 1)."""
    if not isinstance(value, (dict, list)):
        return False
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        node, depth = stack.pop()
        if depth > limit:
            return True
        children = node.values() if isinstance(node, dict) else node
        stack.extend((c, depth + 1) for c in children if isinstance(c, (dict, list, tuple)))
    return False
