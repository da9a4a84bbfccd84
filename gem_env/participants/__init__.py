"""Agents and simulated users that implement the protocols of `gem_env.protocols`.

- scripted (`ScriptedAgent`, `ScriptedUser`): replay fixed turns; test doubles.
- oracle (`OracleAgent`): deterministic, no model, *privileged*: it reads the whole
  scenario and plans on a private toolkit copy (`gem_env.participants.planner`); its
  closing words come from what its calls returned (`gem_env.participants.explain`).
  The embedded default agent, named ``oracle`` everywhere (`HeuristicAgent` is its old
  name, kept as an alias).
- heuristic (`HeuristicUser`): a deterministic simulated user, the embedded default.
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
from gem_env.participants.oracle import OracleAgent, OracleAgentError
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
    "OracleAgent",
    "OracleAgentError",
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
