"""Agents and simulated users that implement the protocols of `gem_env.protocols`.

- scripted (`ScriptedAgent`, `ScriptedUser`): replay fixed turns; test doubles.
- heuristic (`HeuristicAgent`, `HeuristicUser`): deterministic, no model; the agent is
  a privileged planner that solves the bundled scenarios from the toolkit and the
  scenario (see `gem_env.participants.planner`). The embedded default.
- llm (`LLMAgent`, `LLMUser`): a `ChatModel` plays the agent (OpenAI tools API) or the
  user (hidden goal, persona, facts revealed only when asked, ``###STOP###``).
- fidelity (`check_user_turn`): flags user turns that state facts the scenario does
  not give the user.

The bundled example scenarios are in `gem_env.scenarios` (`bundled_scenarios()`).
"""

from gem_env.participants._text import STOP_MARKER
from gem_env.participants.fidelity import FidelityFinding, check_user_turn
from gem_env.participants.heuristic import HeuristicAgent, HeuristicAgentError, HeuristicUser
from gem_env.participants.llm import LLMAgent, LLMUser, run_sync, user_system_prompt
from gem_env.participants.planner import Plan, PlannedCall, Planner
from gem_env.participants.scripted import ScriptedAgent, ScriptedUser
from gem_env.scenarios import bundled_scenarios

__all__ = [
    "STOP_MARKER",
    "FidelityFinding",
    "HeuristicAgent",
    "HeuristicAgentError",
    "HeuristicUser",
    "LLMAgent",
    "LLMUser",
    "Plan",
    "PlannedCall",
    "Planner",
    "ScriptedAgent",
    "ScriptedUser",
    "bundled_scenarios",
    "check_user_turn",
    "run_sync",
    "user_system_prompt",
]
