"""A state a caller gives a toolkit, turned into a validated JSON copy (owns the checks).

`validated_copy` copies the state through JSON and refuses, with the path of each
problem, what JSON would silently change or cannot hold: non-string dict keys, lone
surrogates, values that are not JSON, a state that is not an object, one that breaks
the toolkit's state schema or nests deeper than the limit.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from toolkits.canonical import canonical_json, json_copy
from toolkits.errors import Problem, StateError
from toolkits.sandbox.journal import ContainerIndex, index_containers
from toolkits.sandbox.keys import key_message, non_string_keys


def validated_copy(
    source: Any,
    root: str,
    schema_problems: Callable[[Any], list[Problem]],
    max_depth: int,
) -> tuple[dict[str, Any], ContainerIndex]:
    """A JSON copy of `source` and its container index, or `StateError`.

    Args:
        source: the state as the caller gave it.
        root: how paths in messages start (``"state"`` or ``"initial_state"``).
        schema_problems: the toolkit's state-schema check.
        max_depth: the deepest nesting allowed (`Limits.max_state_depth`).

    Raises:
        StateError: every problem found, each with its path.
    """
    try:
        copy = json_copy(source)
        canonical_json(copy).encode("utf-8")
        converted = copy != source  # json turned something into JSON (keys, tuples)
    except UnicodeEncodeError:
        raise StateError(
            [Problem(path="state", message="a string holds a lone surrogate: not valid UTF-8 JSON")]
        ) from None
    except RecursionError:
        raise StateError([Problem(path="state", message="nested too deeply")]) from None
    except (TypeError, ValueError) as exc:
        raise StateError([Problem(path="state", message=f"not JSON: {exc}")]) from None
    if converted:
        bad = non_string_keys(source, root)
        if bad:
            raise StateError([Problem(path=path, message=key_message(k)) for path, k in bad])
    if not isinstance(copy, dict):
        raise StateError([Problem(path="state", message="the state must be a JSON object")])
    errors = schema_problems(copy)
    if errors:
        raise StateError(errors)
    index = index_containers(copy)
    if index[1] > max_depth:
        message = f"nested {index[1]} levels deep; the limit is max_state_depth={max_depth}"
        raise StateError([Problem(path="state", message=message)])
    return copy, index
