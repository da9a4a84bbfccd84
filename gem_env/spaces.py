"""Gymnasium spaces of the tool-use env and the decoding of actions (owns both).

- `ConversationSpace`: JSON text of a list of OpenAI chat messages (the observation).
  `gem_env.registration` registers it with gymnasium's shared-memory functions, so
  `AsyncVectorEnv` works
  with its default ``shared_memory=True``: a string travels as UTF-8 bytes (one copy),
  and the parent reads a live view (gymnasium reads shared memory once, at start; a
  plain `Text` space would stay frozen at that first read).
- `AssistantActionSpace`: an assistant turn. `contains` validates it: it parses, calls
  only declared tools, with arguments valid against their JSON Schema. `sample` draws one
  schema-valid tool call from the space's own RNG (deterministic given `space.seed`).
- `decode_action`: an action (JSON text of a message, raw model text, a dict or a
  `Message`) -> `ParsedAction`; shared by the env and `contains`.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
from gymnasium.spaces import Space
from pydantic import TypeAdapter, ValidationError

from gem_env.errors import InvalidActionError
from gem_env.messages import Message
from gem_env.parsing import ParsedAction, parse_action
from gem_env.schema_sampler import SchemaSampler, UnsupportedSchemaError, known_values
from toolkits.arguments import compile_validator, parse_arguments
from toolkits.canonical import canonical_json

__all__ = [
    "DEFAULT_MAX_ACTION_CHARS",
    "DEFAULT_MAX_OBSERVATION_CHARS",
    "AssistantActionSpace",
    "ConversationSpace",
    "decode_action",
]

DEFAULT_MAX_OBSERVATION_CHARS = 1 << 19
DEFAULT_MAX_ACTION_CHARS = 1 << 16
_TRIES = 16  # draws per tool before trying another tool
_MESSAGES: TypeAdapter[list[Message]] = TypeAdapter(list[Message])
_MESSAGE_KEYS = frozenset({"role", "content", "tool_calls"})
_WORDS = ("please", "order", "account", "help", "today", "check", "status", "thanks")


def decode_action(action: Any, *, call_id_prefix: str = "call") -> ParsedAction:
    """Turn an action into the assistant message to record, and what could not be parsed.

    A string is model output: JSON of an assistant message (``{"role": "assistant",
    "content": ..., "tool_calls": [...]}``), a bare JSON tool call (``{"name": ...,
    "arguments": {...}}`` or a list of them), or raw text (Hermes ``<tool_call>`` blocks
    and fenced JSON calls are read by `gem_env.parsing.parse_action`).

    Raises:
        InvalidActionError: the action is not a str, dict or `Message`, or a dict or
            `Message` whose role is not ``assistant`` (developer errors; model errors are
            findings, never raised).
    """
    if isinstance(action, Message | dict):
        role = action.role if isinstance(action, Message) else action.get("role", "assistant")
        if role != "assistant":
            raise InvalidActionError(f"an action is an assistant message, not a {role!r} one")
        return parse_action(action, call_id_prefix=call_id_prefix)
    if action is None or isinstance(action, str):
        data = _json_or_none(action) if action else None
        if isinstance(data, dict) and data.get("role", "assistant") == "assistant":
            if "name" in data and not _MESSAGE_KEYS & data.keys():
                return parse_action(
                    f"<tool_call>{action}</tool_call>", call_id_prefix=call_id_prefix
                )
            if _MESSAGE_KEYS & data.keys():
                return parse_action(data, call_id_prefix=call_id_prefix)
        if (
            isinstance(data, list)
            and data
            and all(isinstance(d, dict) and "name" in d for d in data)
        ):
            return parse_action(f"<tool_call>{action}</tool_call>", call_id_prefix=call_id_prefix)
        return parse_action(action, call_id_prefix=call_id_prefix)
    raise InvalidActionError(
        "an action is an assistant message: JSON text, raw model text, a dict or a "
        f"gem_env.messages.Message; got {type(action).__name__}"
    )


def _json_or_none(text: str) -> Any:
    if text.lstrip()[:1] not in ("{", "["):
        return None
    try:
        return json.loads(text)
    except ValueError:
        return None


class ConversationSpace(Space[str]):
    """JSON text of a list of OpenAI chat messages, at most `max_length` characters.

    Args:
        max_length: the longest observation, in characters (the env ends an episode whose
            conversation no longer fits). Shared memory takes ``4 * max_length`` bytes per env.
        seed: seed of `sample`.
    """

    def __init__(self, max_length: int = DEFAULT_MAX_OBSERVATION_CHARS, seed: int | None = None):
        if max_length < 2:
            raise ValueError(f"max_length must be at least 2, not {max_length}")
        self.max_length = int(max_length)
        super().__init__(dtype=str, seed=seed)

    @property
    def is_np_flattenable(self) -> bool:
        """Text is not flattened to a Box."""
        return False

    @property
    def buffer_size(self) -> int:
        """Bytes of shared memory per env: a length prefix and UTF-8 of `max_length` chars."""
        return 8 + 4 * self.max_length  # 8-byte length prefix

    def contains(self, x: Any) -> bool:
        """A str of at most `max_length` characters that is a JSON list of chat messages."""
        if not isinstance(x, str) or len(x) > self.max_length:
            return False
        try:
            _MESSAGES.validate_json(x)
        except ValidationError:
            return False
        return True

    def sample(self, mask: Any = None, probability: Any = None) -> str:
        """A short conversation (a system and a user message) of random words."""
        _no_mask(mask, probability)
        rng = self.np_random

        def text() -> str:
            return " ".join(_WORDS[int(i)] for i in rng.integers(len(_WORDS), size=4))

        messages = [{"role": "system", "content": text()}, {"role": "user", "content": text()}]
        return json.dumps(messages)[: self.max_length]

    def __eq__(self, other: object) -> bool:
        return isinstance(other, ConversationSpace) and other.max_length == self.max_length

    def __repr__(self) -> str:
        return f"ConversationSpace(max_length={self.max_length})"


class AssistantActionSpace(Space[str]):
    """Assistant turns against a set of OpenAI function tools.

    An element is an assistant message (JSON text, dict or `Message`; raw model text with
    Hermes or fenced tool calls too) that parses without findings, calls only declared
    tools and passes each tool's `parameters` schema (as the runtime validates it). The env
    also accepts turns outside the space: they become error observations, never raises.

    Args:
        tools: OpenAI function tools; names may repeat across toolkits (a call is valid
            when any tool of that name accepts its arguments).
        known: per tool, ids and numbers to reuse when sampling (from the initial state),
            so that sampled calls reach records that exist.
        max_length: the longest action string, in characters.
        seed: seed of `sample`.
    """

    def __init__(
        self,
        tools: Sequence[dict[str, Any]],
        known: Sequence[Sequence[str | int]] | None = None,
        max_length: int = DEFAULT_MAX_ACTION_CHARS,
        seed: int | None = None,
    ):
        self.tools = [json.loads(canonical_json(t)) for t in tools]
        self.known = [list(k) for k in known] if known is not None else [[] for _ in tools]
        if len(self.known) != len(self.tools):
            raise ValueError("known must hold one list per tool")
        self.max_length = int(max_length)
        self._key = canonical_json([self.max_length, self.tools])
        self._validators: dict[int, Callable[[Any], str | None]] = {}
        super().__init__(dtype=str, seed=seed)

    @property
    def is_np_flattenable(self) -> bool:
        """Text is not flattened to a Box."""
        return False

    @property
    def tool_names(self) -> list[str]:
        """Names of the declared tools (unique, in order)."""
        return list(dict.fromkeys(t["function"]["name"] for t in self.tools))

    def contains(self, x: Any) -> bool:
        """Whether `x` is a well-formed assistant turn (see the class docstring)."""
        if isinstance(x, str) and len(x) > self.max_length:
            return False
        try:
            parsed = decode_action(x)
        except InvalidActionError:
            return False
        return not self.problems(parsed)

    def problems(self, action: Any) -> list[str]:
        """What makes `action` (or a `ParsedAction`) invalid; empty when it is valid.

        Raises:
            InvalidActionError: the action is not an assistant message at all.
        """
        parsed = action if isinstance(action, ParsedAction) else decode_action(action)
        found = [f"{f.code}: {f.detail}" for f in parsed.findings]
        for call in parsed.tool_calls:
            name = call.function.name
            indexes = [i for i, t in enumerate(self.tools) if t["function"]["name"] == name]
            if not indexes:
                found.append(f"unknown tool {name!r}")
                continue
            args, problem = parse_arguments(call.function.arguments)
            if problem is not None:
                found.append(f"{name}: {problem}")
                continue
            errors = [self._validator(i)(args) for i in indexes]
            if all(e is not None for e in errors):
                found.append(f"{name}: {errors[0]}")
        return found

    def sample(self, mask: Any = None, probability: Any = None) -> str:
        """JSON text of an assistant message with one schema-valid tool call.

        A tool is drawn uniformly; its arguments come from its schema (known ids of the
        initial state about two times in three). A toolkit without tools, or whose schemas
        cannot be drawn from, gives a text message to the user instead.
        """
        _no_mask(mask, probability)
        rng = self.np_random
        for index in rng.permutation(len(self.tools)):
            tool = self.tools[int(index)]
            params = tool["function"].get("parameters") or {"type": "object"}
            sampler = SchemaSampler(rng, params, self.known[int(index)])
            for _ in range(_TRIES):
                try:
                    args = sampler.value(params)
                except UnsupportedSchemaError:
                    break
                if isinstance(args, dict) and self._validator(int(index))(args) is None:
                    text = _tool_call_text(tool["function"]["name"], args, rng)
                    if len(text) <= self.max_length:
                        return text
        return json.dumps({"role": "assistant", "content": "How can I help you?"})

    def _validator(self, index: int) -> Callable[[Any], str | None]:
        validator = self._validators.get(index)
        if validator is None:
            params = self.tools[index]["function"].get("parameters") or {"type": "object"}
            validator = self._validators[index] = compile_validator(params)
        return validator

    def __getstate__(self) -> dict[str, Any]:
        state = dict(self.__dict__)
        state["_validators"] = {}  # rebuilt lazily: cheaper than pickling compiled schemas
        return state

    def __eq__(self, other: object) -> bool:
        return isinstance(other, AssistantActionSpace) and other._key == self._key

    def __repr__(self) -> str:
        return f"AssistantActionSpace(tools={self.tool_names}, max_length={self.max_length})"

    @classmethod
    def for_toolkits(
        cls,
        toolkits: Sequence[tuple[list[dict[str, Any]], Sequence[dict[str, Any]]]],
        max_length: int = DEFAULT_MAX_ACTION_CHARS,
    ) -> AssistantActionSpace:
        """The space of several toolkits: ``[(openai tools, states to take ids from)]``."""
        tools: list[dict[str, Any]] = []
        known: list[list[str | int]] = []
        for toolkit_tools, states in toolkits:
            values = known_values(list(states))
            tools.extend(toolkit_tools)
            known.extend(values for _ in toolkit_tools)
        return cls(tools, known, max_length=max_length)


def _tool_call_text(name: str, args: dict[str, Any], rng: np.random.Generator) -> str:
    call_id = f"call_{int(rng.integers(16**8)):08x}"
    call = {
        "id": call_id,
        "type": "function",
        "function": {"name": name, "arguments": json.dumps(args, ensure_ascii=False)},
    }
    return json.dumps({"role": "assistant", "content": None, "tool_calls": [call]})


def _no_mask(mask: Any, probability: Any) -> None:
    if mask is not None or probability is not None:
        raise ValueError("this space does not support sampling masks or probabilities")
