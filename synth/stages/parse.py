"""Reading a stage's answer out of a model message: JSON (fenced or not), then the
stage's pydantic model. A failure says precisely what is wrong (``malformed_output``)."""

from __future__ import annotations

import json
import re
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

__all__ = ["AnswerError", "message_text", "parse_answer"]

T = TypeVar("T", bound=BaseModel)
_FENCE = re.compile(r"```(?:json)?\s*\n(.*?)\n```", re.S)


class AnswerError(ValueError):
    """A model's answer is not the JSON object the stage asked for."""


def message_text(message: Any) -> str:
    """The text of an assistant message dict ("" when it has none)."""
    if not isinstance(message, dict):
        return ""
    content = message.get("content")
    return content if isinstance(content, str) else ""


def parse_answer(text: str, model: type[T]) -> T:
    """The answer in `text` as `model`.

    Raises:
        AnswerError: no JSON object in the text, or one that does not fit `model`
            (the message lists the fields at fault).
    """
    value = _json_object(text)
    try:
        return model.model_validate(value)
    except ValidationError as exc:
        problems = [
            f"{'.'.join(str(p) for p in e['loc']) or 'answer'}: {e['msg']}" for e in exc.errors()
        ]
        raise AnswerError(
            f"the answer does not fit {model.__name__}: " + "; ".join(problems[:10])
        ) from None


def _json_object(text: str) -> Any:
    stripped = text.strip()
    if not stripped:
        raise AnswerError("the answer is empty")
    candidates = [stripped, *(m.group(1) for m in _FENCE.finditer(text))]
    start, end = stripped.find("{"), stripped.rfind("}")
    if 0 <= start < end:
        candidates.append(stripped[start : end + 1])
    error = None
    for candidate in candidates:
        try:
            value = json.loads(candidate)
        except (json.JSONDecodeError, RecursionError) as exc:
            error = exc
            continue
        if isinstance(value, dict):
            return value
    detail = f": {error.msg} at line {error.lineno} column {error.colno}" if error else ""
    raise AnswerError(f"the answer is not a JSON object{detail}")
