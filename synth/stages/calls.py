"""One structured model call of a stage, with attempts, accounting and raw outputs."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any, TypeVar

from pydantic import BaseModel

from synth.backends.errors import BackendError, BackendUnavailableError
from synth.stages.answers import answer_schema
from synth.stages.base import StageContext
from synth.stages.parse import AnswerError, message_text, parse_answer

__all__ = ["UNAVAILABLE", "Asked", "ask_model"]

# The reason of an attempt the backend could not serve (after its retries): the
# pipeline leaves such a document uncommitted, so a rerun retries it.
UNAVAILABLE = "model_unavailable"

T = TypeVar("T", bound=BaseModel)


@dataclass
class Asked:
    """The answer of a model call (None when every attempt failed), the raw text of each
    attempt, and why the last one failed (`reason`: ``malformed_output`` or
    ``model_error``; `error`: the detail)."""

    answer: Any = None
    raws: list[str] = field(default_factory=list)
    reason: str = ""
    error: str = ""


async def ask_model(
    ctx: StageContext,
    stage: str,
    messages: list[dict[str, Any]],
    model: type[T],
    *,
    tag: str | None = None,
) -> Asked:
    """Ask the backend of `stage` for a `model` answer, up to the stage's attempts (each
    attempt with its own seed, so a retry is not the cached answer again). `tag` is the
    stage name the backend is told (default `stage`; ``repair`` for a repair round)."""
    settings = ctx.config.stage(stage)
    backend = ctx.backends[stage]
    asked = Asked()
    for attempt in range(settings.attempts):
        started = time.perf_counter()
        before = (backend.usage.prompt_tokens, backend.usage.completion_tokens)
        try:
            message = await backend.complete(
                messages,
                temperature=settings.temperature,
                seed=ctx.config.seed + attempt,
                max_tokens=settings.max_tokens,
                response_format=answer_schema(model),
                stage=tag or stage,
            )
        except BackendUnavailableError as exc:  # transient: the document is not committed
            asked.reason, asked.error = UNAVAILABLE, str(exc)
            asked.raws.append("")
            return asked
        except BackendError as exc:  # refused: a recorded outcome
            asked.reason, asked.error = "model_error", str(exc)
            asked.raws.append("")
            continue
        finally:
            ctx.count(stage, "model_calls")
            ctx.count(stage, "model_wall_s", time.perf_counter() - started)
            ctx.count(stage, "prompt_tokens", backend.usage.prompt_tokens - before[0])
            ctx.count(stage, "completion_tokens", backend.usage.completion_tokens - before[1])
        text = message_text(message)
        asked.raws.append(text)
        try:
            asked.answer = parse_answer(text, model)
        except AnswerError as exc:
            asked.reason, asked.error = "malformed_output", str(exc)
            continue
        asked.reason = asked.error = ""
        return asked
    return asked
