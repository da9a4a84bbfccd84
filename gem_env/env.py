"""The gymnasium tool-use environment (owns `ToolUseEnv` and the fallback user).

One episode: the scenario's system prompt and the user's opening, then one `step` per
assistant turn. Tool calls run in the compiled toolkit (a failure is a tool message with
``{"error": ...}``, never an exception); a text turn goes to the user simulator, whose
reply comes back. Unreadable turns are answered by a user message named ``gem_env`` (see
`FEEDBACK_NAME`) and recorded as findings. The reward is paid once, at the end.
"""

from __future__ import annotations

import bisect
import inspect
import json
from typing import Any

import gymnasium
from gymnasium import spaces

from gem_env.errors import EnvConfigError, ResetNeededError, ScenarioError, UnknownScenarioError
from gem_env.messages import FEEDBACK_NAME, Message
from gem_env.protocols import RewardFunction, UserReply, UserSimulator
from gem_env.registration import (
    Catalog,
    ScenariosSource,
    ToolkitSource,
    close_ids,
    resolve_catalog,
    scenario_problems,
)
from gem_env.rewards import GoalReward
from gem_env.scenario import Scenario
from gem_env.spaces import (
    DEFAULT_MAX_ACTION_CHARS,
    DEFAULT_MAX_OBSERVATION_CHARS,
    AssistantActionSpace,
    ConversationSpace,
    decode_action,
)
from gem_env.tool_reveals import offered_tools, tool_reveals
from gem_env.trajectory import Termination, Trajectory, TrajectoryProvenance
from toolkits import (
    CompiledToolkit,
    Isolation,
    Limits,
    compile_toolkit,
    dump_toolkit,
    json_copy,
    resolve_isolation,
)

__all__ = ["AGENT_STOP_MARKER", "FEEDBACK_NAME", "GoalOnceUser", "ToolUseEnv", "default_user"]

#: An assistant text turn containing this marker ends the episode (``agent_stop``).
AGENT_STOP_MARKER = "###STOP###"


class GoalOnceUser:
    """The minimal user: opens with its goal and ends the conversation at its first reply.

    Used when `gem_env.participants.heuristic` is not installed.
    """

    name = "goal-once"

    def reset(self, scenario: Scenario, seed: int | None) -> str:
        """Return the goal as the opening message."""
        return scenario.user.goal

    def reply(self, messages: list[Message]) -> UserReply:
        """Thank the agent and stop."""
        return UserReply(content="Thank you, that is all. ###STOP###", stop=True)


def default_user() -> UserSimulator:
    """`HeuristicUser` when `gem_env.participants.heuristic` exists, else `GoalOnceUser`."""
    try:
        from gem_env.participants.heuristic import HeuristicUser  # type: ignore[import-not-found]
    except ModuleNotFoundError as exc:
        if exc.name not in ("gem_env.participants", "gem_env.participants.heuristic"):
            raise
        return GoalOnceUser()
    return HeuristicUser()  # type: ignore[no-any-return]


class ToolUseEnv(gymnasium.Env[dict[str, str], str]):
    """A tool-use conversation as a gymnasium environment.

    Observation: ``{"messages": JSON text of the OpenAI chat messages so far}``
    (`ConversationSpace`). Action: one assistant turn (`AssistantActionSpace`): JSON text
    of an assistant message, raw model text, a dict or a `Message`. Reward: the reward
    function's, at the end (0.0 before). ``terminated``: the user stopped (``user_stop``)
    or the agent said `AGENT_STOP_MARKER` (``agent_stop``). ``truncated``: the scenario's
    ``max_turns`` was reached (``max_turns``), or the conversation outgrew the
    observation space (``error``). `trajectory()` gives the ``gem-env/trajectory@1`` record.

    Args:
        toolkit: a compiled `Toolkit` (used as is: give each env its own), a `ToolkitSpec`,
            a dict, a path, JSON text or the name of a bundled example; None: each
            scenario's ``toolkit`` names an example (compiled on first use, then reused).
        scenarios: scenarios (objects, dicts, a path); None: the bundled scenarios.
        user: the user simulator (default: `default_user()`).
        reward: the reward function; one taking a ``toolkit=`` keyword gets the live
            toolkit in the final state (default: `GoalReward()`).
        render_mode: None or ``"ansi"`` (`render` returns the transcript).
        isolation: ``"auto"`` (the default: the bundled examples run in-process, a
            toolkit from a file or a document in a worker process), ``"none"`` or
            ``"process"`` (see `toolkits.compile_toolkit`).
        limits: resource limits of tool calls (default `toolkits.Limits()`).
        max_observation_chars: the longest observation.
        max_action_chars: the longest action the action space contains.

    Raises:
        NoScenariosError, ScenarioError, SpecError, CompileError: at construction, before
            any episode (see `gem_env.registration.resolve_catalog`).
    """

    metadata = {"render_modes": ["ansi"], "render_fps": 1}

    def __init__(
        self,
        toolkit: ToolkitSource | None = None,
        scenarios: ScenariosSource | None = None,
        user: UserSimulator | None = None,
        reward: RewardFunction | None = None,
        render_mode: str | None = None,
        isolation: Isolation = "auto",
        limits: Limits | None = None,
        max_observation_chars: int = DEFAULT_MAX_OBSERVATION_CHARS,
        max_action_chars: int = DEFAULT_MAX_ACTION_CHARS,
    ):
        if render_mode not in (None, *self.metadata["render_modes"]):
            raise EnvConfigError(f"render_mode is None or 'ansi', not {render_mode!r}")
        if isolation not in ("none", "process", "auto"):
            raise EnvConfigError(f"isolation is 'auto', 'none' or 'process', not {isolation!r}")
        self.render_mode = render_mode
        self._catalog: Catalog = resolve_catalog(toolkit, scenarios)
        self._isolation, self._limits = isolation, limits
        self._toolkits: dict[str, CompiledToolkit] = dict(self._catalog.compiled)
        self._dumps: dict[str, dict[str, Any]] = {}
        if self._catalog.fixed is not None:
            self._compiled(self._catalog.fixed)  # a bad toolkit fails here, not mid-run
        self._user: UserSimulator = user if user is not None else default_user()
        self._reward: RewardFunction = reward if reward is not None else GoalReward()
        self._reward_takes_toolkit = _takes_keyword(self._reward, "toolkit")
        self._max_chars = max_observation_chars
        self.observation_space = spaces.Dict({"messages": ConversationSpace(max_observation_chars)})
        self.action_space = AssistantActionSpace.for_toolkits(
            [
                (
                    self._catalog.specs[key].openai_tools(),
                    [self._catalog.specs[key].initial_state]
                    + [s.initial_state for s in served if s.initial_state is not None],
                )
                for key, served in self._catalog.by_key()
            ],
            max_length=max_action_chars,
        )
        self._scenario: Scenario | None = None
        self._key = ""
        self._toolkit: CompiledToolkit | None = None
        self._messages: list[Message] = []
        self._parts: list[str] = []  # JSON of each message, joined into the observation
        self._ends: list[int] = []  # length of "[" + the parts so far, joined by ","
        self._call_ids: set[str] = set()
        self._findings: list[dict[str, Any]] = []
        self._turn = 0
        self._seed: int | None = None
        self._reveals: dict[str, int] = {}
        self._user_messages = 0
        self._termination: Termination | None = None

    # -- gymnasium API ---------------------------------------------------------------

    def reset(
        self, *, seed: int | None = None, options: dict[str, Any] | None = None
    ) -> tuple[dict[str, str], dict[str, Any]]:
        """Start an episode: ``options={"scenario": id | Scenario | dict}``, else drawn.

        The user simulator is reset with `seed` (or, without one, with a seed drawn from
        `np_random`, recorded in the trajectory): ``(scenario, seed)`` reproduces an episode.
        """
        super().reset(seed=seed)
        self._scenario = self._toolkit = None  # a failed reset leaves no episode to step
        options = dict(options or {})
        unknown = sorted(set(options) - {"scenario"})
        if unknown:
            raise EnvConfigError(f"unknown reset option(s) {unknown}; the only one is 'scenario'")
        scenario = self._choose(options.get("scenario"))
        episode_seed = seed if seed is not None else int(self.np_random.integers(2**31 - 1))
        self._key = self._catalog.toolkit_key(scenario)
        self._toolkit = self._compiled(self._key)
        self._toolkit.reset(scenario.initial_state)
        self._scenario, self._seed = scenario, episode_seed
        self._messages, self._parts, self._ends = [], [], []
        self._call_ids, self._findings = set(), []
        self._turn, self._termination = 0, None
        self._reveals, self._user_messages = tool_reveals(scenario), 1
        use_tools = getattr(self._user, "use_tools", None)
        if callable(use_tools):  # a user that listens for the parameters its facts feed
            use_tools(self._toolkit.tools)
        opening = self._user.reset(scenario, episode_seed)
        self._append(Message.system(scenario.system_prompt))
        self._append(Message.user(opening))
        text = self._text(len(self._parts))
        if len(text) > self._max_chars:
            raise EnvConfigError(
                f"the opening of scenario {scenario.id!r} ({len(text)} characters) exceeds "
                "max_observation_chars; raise it"
            )
        info = {
            "scenario_id": scenario.id,
            "toolkit": self._toolkit.spec.name,
            "tools": self._offered(),
            "seed": episode_seed,
        }
        return {"messages": text}, info

    def step(self, action: Any) -> tuple[dict[str, str], float, bool, bool, dict[str, Any]]:
        """Play one assistant turn; see the class docstring for the outcome."""
        if self._scenario is None or self._toolkit is None:
            raise ResetNeededError("call reset() before step()")
        if self._termination is not None:
            raise ResetNeededError(f"the episode ended ({self._termination}); call reset()")
        self._turn += 1
        parsed = decode_action(action, call_id_prefix=f"call_{self._turn}")
        message = self._with_unique_ids(parsed.message)
        index = len(self._messages)
        self._append(message)
        findings = [
            {"code": f.code, "message_index": index, "detail": f.detail, "raw": f.raw}
            for f in parsed.findings
        ]
        self._findings.extend(findings)
        results = []
        end: Termination | None = None
        for call in message.tool_calls or []:
            result = self._toolkit.call(call.function.name, call.function.arguments)
            data = {"role": "tool", "content": result.content, "tool_call_id": call.id}
            self._append(Message.model_construct(**data), data)
            kind = None if result.error_kind is None else str(result.error_kind)
            results.append(
                {"id": call.id, "name": call.function.name, "ok": result.ok, "error_kind": kind}
            )
        if findings:
            self._append(_feedback(findings))
        elif not message.tool_calls:
            if AGENT_STOP_MARKER in (message.content or ""):
                end = Termination.agent_stop
            else:
                reply = self._user.reply(list(self._messages))
                self._append(Message.user(reply.content))
                self._user_messages += 1
                end = Termination.user_stop if reply.stop else None
        if end is None and self._turn >= self._scenario.max_turns:
            end = Termination.max_turns
        info: dict[str, Any] = {
            "scenario_id": self._scenario.id,
            "turn": self._turn,
            "findings": findings,
            "tool_results": results,
            "tools": self._offered(),
        }
        count = bisect.bisect_right(self._ends, self._max_chars - 1)  # what fits the space
        if count < len(self._parts) and end is None:
            end = Termination.error
            info["error"] = f"the conversation exceeds max_observation_chars={self._max_chars}"
        reward = 0.0
        if end is not None:
            self._termination = end
            reward = self._pay(info)
        info["termination"] = None if end is None else end.value
        terminated = end in (Termination.user_stop, Termination.agent_stop)
        truncated = end in (Termination.max_turns, Termination.error)
        return {"messages": self._text(count)}, reward, terminated, truncated, info

    def _offered(self) -> list[dict[str, Any]]:
        """The tools on offer now (`gem_env.tool_reveals`)."""
        assert self._toolkit is not None
        return offered_tools(self._toolkit.tools, self._reveals, self._user_messages)

    def render(self) -> str | None:  # type: ignore[override]
        """The transcript of the episode (``render_mode="ansi"``), else None."""
        if self.render_mode != "ansi":
            return None
        lines = []
        for m in self._messages:
            head = f"[{m.role}{' ' + m.tool_call_id if m.tool_call_id else ''}]"
            calls = [f"-> {c.function.name}({c.function.arguments})" for c in m.tool_calls or []]
            lines.append(" ".join([head, m.content or "", *calls]).rstrip())
        return "\n".join(lines) + "\n"

    def close(self) -> None:
        """Close toolkits that hold resources (process isolation); idempotent."""
        for toolkit in self._toolkits.values():
            toolkit.close()
        super().close()

    # -- episode record --------------------------------------------------------------

    def trajectory(self) -> Trajectory:
        """The ``gem-env/trajectory@1`` record of the current episode.

        An episode still running is recorded as cut off (``max_turns``), as a `TimeLimit`
        wrapper would end it. Findings of unreadable turns are in the extra field
        ``parse_findings`` (``{"code", "message_index", "detail", "raw"}``), when any.
        """
        if self._scenario is None or self._toolkit is None:
            raise ResetNeededError("call reset() before trajectory()")
        extra = {"parse_findings": json_copy(self._findings)} if self._findings else {}
        return Trajectory(
            id=f"{self._scenario.id}-{self._seed}",
            seed=self._seed,
            toolkit=json_copy(self._dump(self._key)),
            scenario=self._scenario,
            messages=list(self._messages),
            termination=self._termination or Termination.max_turns,
            final_state_hash=self._toolkit.state_hash(),
            provenance=TrajectoryProvenance(
                created_by="grounding",
                models={"user": str(getattr(self._user, "name", type(self._user).__name__))},
            ),
            **extra,
        )

    @property
    def scenario(self) -> Scenario | None:
        """The scenario of the current episode (None before the first reset)."""
        return self._scenario

    @property
    def messages(self) -> list[Message]:
        """The conversation so far (a new list)."""
        return list(self._messages)

    @property
    def scenarios(self) -> list[Scenario]:
        """The scenarios this env serves."""
        return list(self._catalog.scenarios)

    @property
    def toolkit(self) -> CompiledToolkit | None:
        """The compiled toolkit of the current episode, in its current state."""
        return self._toolkit

    # -- internals -------------------------------------------------------------------

    def _choose(self, wanted: Any) -> Scenario:
        served = self._catalog.scenarios
        if wanted is None:
            return served[int(self.np_random.integers(len(served)))]
        if isinstance(wanted, str):
            for scenario in served:
                if scenario.id == wanted:
                    return scenario
            raise UnknownScenarioError(f"no scenario {wanted!r}; {close_ids(wanted, served)}")
        if isinstance(wanted, dict):
            wanted = Scenario.model_validate(wanted)
        if not isinstance(wanted, Scenario):
            raise EnvConfigError(
                f"options['scenario'] is an id, a Scenario or a dict, not {type(wanted).__name__}"
            )
        if not any(s is wanted or s == wanted for s in served):
            spec = self._catalog.specs[self._catalog.toolkit_key(wanted)]
            problems = scenario_problems(wanted, spec, wanted.id)
            if problems:
                raise ScenarioError(problems)
        return wanted

    def _compiled(self, key: str) -> CompiledToolkit:
        toolkit = self._toolkits.get(key)
        if toolkit is None:
            spec = self._catalog.specs[key]
            isolation = resolve_isolation(spec, self._isolation)
            toolkit = compile_toolkit(spec, limits=self._limits, isolation=isolation)
            self._toolkits[key] = toolkit
        return toolkit

    def _dump(self, key: str) -> dict[str, Any]:
        if key not in self._dumps:
            self._dumps[key] = dump_toolkit(self._catalog.specs[key])
        return self._dumps[key]

    def _append(self, message: Message, data: dict[str, Any] | None = None) -> None:
        part = json.dumps(message.to_openai() if data is None else data, ensure_ascii=False)
        self._messages.append(message)
        self._parts.append(part)
        self._ends.append((self._ends[-1] + 1 if self._ends else 1) + len(part))

    def _text(self, count: int) -> str:
        parts = self._parts if count == len(self._parts) else self._parts[:count]
        return "[" + ",".join(parts) + "]"

    def _with_unique_ids(self, message: Message) -> Message:
        if not message.tool_calls:
            return message
        calls, changed = [], False
        for i, call in enumerate(message.tool_calls):
            call_id = call.id
            if not call_id or call_id in self._call_ids:
                call_id, n = f"call_{self._turn}_{i}", 0
                while call_id in self._call_ids:
                    n += 1
                    call_id = f"call_{self._turn}_{i}_{n}"
                call, changed = call.model_copy(update={"id": call_id}), True
            self._call_ids.add(call_id)
            calls.append(call)
        return message.model_copy(update={"tool_calls": calls}) if changed else message

    def _pay(self, info: dict[str, Any]) -> float:
        trajectory = self.trajectory()
        if self._reward_takes_toolkit:
            result = self._reward(trajectory, toolkit=self._toolkit)  # type: ignore[call-arg]
        else:
            result = self._reward(trajectory)
        info["reward_info"] = json_copy(result.info)
        info["final_state_hash"] = trajectory.final_state_hash
        return float(result.reward)


def _feedback(findings: list[dict[str, Any]]) -> Message:
    details = "; ".join(f"{f['code']}: {f['detail']}" for f in findings)
    text = (
        f"[{FEEDBACK_NAME}] Your last message could not be read ({details}). To call a tool, "
        'use the tools API or write <tool_call>{"name": "<tool>", "arguments": {...}}'
        "</tool_call>; otherwise write your message to the user."
    )
    return Message(role="user", content=text, name=FEEDBACK_NAME)


def _takes_keyword(func: Any, name: str) -> bool:
    try:
        parameters = inspect.signature(func).parameters
    except (TypeError, ValueError):
        return False
    return name in parameters
