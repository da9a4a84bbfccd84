"""The one configuration of the JSON Schema engine, jsonschema-rs (owns engine options).

Every schema of a toolkit, and every lone pattern, is compiled here, so all of them
share the same guarantees:

- ``pattern_options=RegexOptions()``: patterns run on Rust's `regex` crate (finite
  automata, linear time in the text), with ECMA-262 syntax and meaning;
- ``retriever`` refuses every URI: no `$ref` or `$schema` can open a connection or a
  file, whatever got past `toolkits.schema_safety`;
- ``validate_formats=True``: `format` is asserted (dates, emails, ...), as tools expect;
- jsonschema-rs never writes a schema's `default` into the value it validates.
"""

from __future__ import annotations

from typing import Any

import jsonschema_rs

from toolkits.errors import Problem, SpecError

__all__ = ["engine_validator"]


def _refuse(uri: str) -> Any:
    raise ValueError(f"{uri!r} is not fetched: only references inside the schema resolve")


def engine_validator(schema: dict[str, Any] | bool) -> Any:
    """Compile `schema` with jsonschema-rs: linear-time patterns, formats, no retrieval.

    Raises:
        SpecError: the engine cannot compile the schema (one problem, path ``""``).
    """
    try:
        return jsonschema_rs.validator_for(
            schema,
            validate_formats=True,
            pattern_options=jsonschema_rs.RegexOptions(),
            retriever=_refuse,
        )
    except Exception as exc:  # ValidationError, ReferencingError, ValueError (too deep)
        text = getattr(exc, "message", None) or str(exc)
        raise SpecError(
            [Problem(message=f"the schema cannot be compiled: {text.splitlines()[0]}")]
        ) from None
