"""Responders of the stand-in server: functions from a request body to an assistant turn.

- `scripted(turns)`: the i-th assistant turn of each conversation is ``turns[i]`` (the
  turn is counted from the request's messages, so concurrent conversations each walk
  the script); past the end the last turn repeats.
- `agent_responder(make_agent, scenarios)`: plays a `gem_env` agent (e.g. the
  heuristic agent) behind the API: the scenario is found by the conversation's system
  prompt, a fresh agent is reset and asked for the next turn.
- `stage_responder(answers)`: answers each pipeline stage (``relevance``,
  ``extraction``, ...) from its own list or function; the stage is read from the
  request (`stage_of`).
"""

from __future__ import annotations

import asyncio
import json
import re
import threading
from collections.abc import Callable, Mapping, Sequence
from typing import Any

__all__ = ["Responder", "agent_responder", "scripted", "stage_of", "stage_responder"]

Responder = Callable[[dict[str, Any]], dict[str, Any] | str]

# the answer model a stage's response_format names -> the stage (synth.stages.answers)
SCHEMA_STAGES = {"RelevanceAnswer": "relevance", "ExtractionAnswer": "extraction"}
_STAGE_LINE = re.compile(r"^\s*stage:\s*([\w-]+)\s*$", re.MULTILINE)
_SCHEMA_NAME = re.compile(r"\b(" + "|".join(SCHEMA_STAGES) + r")\b")


def scripted(turns: Sequence[dict[str, Any] | str]) -> Responder:
    """A responder whose i-th assistant turn in every conversation is ``turns[i]``.

    A turn is an assistant message dict (``content`` and/or ``tool_calls``; ``role`` and
    call ids are filled in) or plain text.
    """
    if not turns:
        raise ValueError("scripted() needs at least one turn")
    script = list(turns)

    def respond(body: dict[str, Any]) -> dict[str, Any] | str:
        done = sum(1 for m in body.get("messages", []) if m.get("role") == "assistant")
        return script[min(done, len(script) - 1)]

    return respond


def agent_responder(make_agent: Callable[[], Any], scenarios: Sequence[Any]) -> Responder:
    """Serve a `gem_env` agent: find the scenario by system prompt, reset, act.

    The agent must decide from the conversation (a fresh agent answers each request),
    which holds for the heuristic agent. `scenarios` are `gem_env.scenario.Scenario`s.
    """
    by_prompt = {s.system_prompt: s for s in scenarios}

    def respond(body: dict[str, Any]) -> dict[str, Any] | str:
        from gem_env.messages import Message
        from gem_env.protocols import reset_agent

        messages = [Message.model_validate(m) for m in body.get("messages", [])]
        system = next((m.content for m in messages if m.role == "system"), None)
        scenario = by_prompt.get(system or "")
        if scenario is None:
            return "I cannot help with that."
        tools = body.get("tools") or []
        agent = make_agent()
        opening = next((m.content or "" for m in messages if m.role == "user"), "")
        reset_agent(agent, scenario, tools, opening, body.get("seed"))
        turn = asyncio.run(agent.act(messages, tools))
        if isinstance(turn, Message):
            return turn.to_openai()
        return turn

    return respond


def stage_of(body: dict[str, Any]) -> str | None:
    """The pipeline stage a request comes from, or None when it names none.

    Read from ``response_format.json_schema.name`` (``RelevanceAnswer`` -> ``relevance``,
    ``ExtractionAnswer`` -> ``extraction``, another name as is) or, without a
    response_format, from a line ``stage: <name>`` in the system message, else from an
    answer model's name there (the schema a backend wrote into the prompt when the
    server refused response_format).
    """
    response_format = body.get("response_format")
    if isinstance(response_format, dict):
        name = (response_format.get("json_schema") or {}).get("name")
        if isinstance(name, str) and name:
            return SCHEMA_STAGES.get(name, name)
    for message in body.get("messages") or []:
        content = message.get("content") if isinstance(message, dict) else None
        if message.get("role") == "system" and isinstance(content, str):
            found = _STAGE_LINE.search(content)
            if found:
                return found.group(1)
            named = _SCHEMA_NAME.search(content)
            if named:
                return SCHEMA_STAGES[named.group(1)]
    return None


StageAnswers = Sequence[dict[str, Any] | str] | Callable[[dict[str, Any]], dict[str, Any] | str]


def stage_responder(answers: Mapping[str, StageAnswers]) -> Responder:
    """A responder answering each stage from ``answers[stage]`` (see `stage_of`).

    Args:
        answers: stage -> a list of answers consumed in order across requests (the last
            repeats), or a function of the request body. An answer is an assistant
            message dict, text, or any other JSON value (sent as its JSON text, so a
            stage's answer can be written as a dict of its fields under ``"json"``:
            ``{"json": {...}}``).

    A request whose stage is unknown or has no answers fails (a 500 naming the stages
    served), so a test sees it at once.
    """
    queues = {stage: (a if callable(a) else list(a)) for stage, a in answers.items()}
    for stage, queue in queues.items():
        if not callable(queue) and not queue:
            raise ValueError(f"stage_responder(): stage {stage!r} has no answers")
    served = {stage: 0 for stage in queues}
    lock = threading.Lock()

    def respond(body: dict[str, Any]) -> dict[str, Any] | str:
        stage = stage_of(body)
        queue = queues.get(stage or "")
        if queue is None:
            raise LookupError(
                f"no answers for stage {stage!r}; the stand-in answers {sorted(queues)}"
            )
        if callable(queue):
            answer = queue(body)
        else:
            with lock:
                answer = queue[min(served[stage], len(queue) - 1)]
                served[stage] += 1
        if isinstance(answer, dict) and set(answer) == {"json"}:
            return json.dumps(answer["json"])
        return answer

    return respond
