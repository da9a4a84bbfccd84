"""Structured outputs across backends: the schema a ``response_format`` asks for, and the
plain-text fallback (the schema written into the system message) for a server that
refuses ``response_format``.
"""

from __future__ import annotations

import json
from typing import Any

__all__ = [
    "is_response_format_refusal",
    "json_object_format",
    "schema_name",
    "schema_of",
    "with_schema_instruction",
]

# words of a 400/422 that refuses the structured-output request itself
_REFUSAL_WORDS = (
    "response_format",
    "response format",
    "json_schema",
    "json schema",
    "grammar",
    "guided",
    "structured output",
    "unsupported parameter",
    "unsupported_parameter",
    "unrecognized request argument",
)


def schema_of(response_format: dict[str, Any] | None) -> dict[str, Any] | None:
    """The JSON Schema of an OpenAI ``response_format`` (``json_schema.schema``), ``{}``
    for ``{"type": "json_object"}`` (any JSON object), None when there is none."""
    if not response_format:
        return None
    if response_format.get("type") == "json_object":
        return dict(response_format.get("schema") or {})
    schema = (response_format.get("json_schema") or {}).get("schema")
    return dict(schema) if isinstance(schema, dict) else {}


def schema_name(response_format: dict[str, Any]) -> str:
    """The answer's name (``json_schema.name``), ``"answer"`` when unnamed."""
    return str((response_format.get("json_schema") or {}).get("name") or "answer")


def is_response_format_refusal(status: int | None, message: str) -> bool:
    """Whether a refused request (`status`, the server's `message`) refused the
    structured-output request: a 400 or 422 about response_format, JSON Schema, a
    grammar, or an unsupported parameter; or a 500 whose message is a validation error
    of the response_format field (llama-cpp-python's server answers a ``json_schema``
    format so: "loc: body, response_format, type ... Input should be 'text' or
    'json_object'")."""
    lowered = message.lower()
    if status in (400, 422):
        return any(word in lowered for word in _REFUSAL_WORDS)
    return status == 500 and "response_format" in lowered and "validation" in lowered


def json_object_format(response_format: dict[str, Any]) -> dict[str, Any]:
    """The same schema as ``{"type": "json_object", "schema": ...}``: the form
    llama.cpp's server (and vLLM's) constrain decoding with when they refuse
    ``json_schema``."""
    return {"type": "json_object", "schema": schema_of(response_format) or {}}


def with_schema_instruction(
    messages: list[dict[str, Any]], response_format: dict[str, Any]
) -> list[dict[str, Any]]:
    """`messages` with an instruction to answer with one JSON object matching the
    schema (its JSON included) appended to the system message (a new one first when
    there is none). The input list and its dicts are not changed."""
    schema = schema_of(response_format) or {}
    instruction = (
        f"Answer with exactly one JSON object (the {schema_name(response_format)}) and "
        "nothing else: no prose, no code fence. It must match this JSON Schema:\n"
        + json.dumps(schema, sort_keys=True)
    )
    out = [dict(m) for m in messages]
    for message in out:
        if message.get("role") == "system":
            content = message.get("content")
            text = content if isinstance(content, str) else ""
            message["content"] = f"{text}\n\n{instruction}" if text else instruction
            return out
    return [{"role": "system", "content": instruction}, *out]
