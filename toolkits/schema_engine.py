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
from toolkits.schema_messages import render

__all__ = ["engine_validator"]


def _refuse(uri: str) -> Any:
    raise ValueError(f"{uri!r} is not fetched: only references inside the schema resolve")


def engine_validator(schema: dict[str, Any] | bool) -> Any:
    """Compile `schema` with jsonschema-rs: linear-time patterns, formats, no retrieval.

    The engine first checks the schema against its draft's meta-schema (local copies).

    Raises:
        SpecError: the schema breaks its meta-schema (the problem's path is the place in
            the schema, e.g. ``properties.n.type``) or the engine cannot compile it
            (path ``""``).
    """
    try:
        return jsonschema_rs.validator_for(
            schema,
            validate_formats=True,
            pattern_options=jsonschema_rs.RegexOptions(),
            retriever=_refuse,
        )
    except jsonschema_rs.ValidationError as exc:  # the schema breaks its meta-schema
        where = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in exc.instance_path)
        raise SpecError(
            [Problem(path=where.lstrip("."), message=f"invalid JSON Schema: {render(exc)}")]
        ) from None
    except Exception as exc:  # ReferencingError, ValueError (too deep to convert)
        text = getattr(exc, "message", None) or str(exc) or type(exc).__name__
        raise SpecError(
            [Problem(message=f"the schema cannot be compiled: {text.splitlines()[0]}")]
        ) from None
