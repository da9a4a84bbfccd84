"""gem_env: messages, scenarios, trajectories, the gymnasium env, agents, rollouts, metrics.

Imports only `toolkits` from this project (DESIGN.md section 2). `gem_env.check_scenario`
(`gem_env.scenario_check`) is loaded on first use.
"""

from typing import Any

from gem_env import registration as _registration  # registers gem_env/ToolUse-v0 with gymnasium

del _registration

__all__ = ["check_scenario"]


def __getattr__(name: str) -> Any:
    if name == "check_scenario":  # lazy: it needs the planner, which imports much of gem_env
        from gem_env.scenario_check import check_scenario

        return check_scenario
    raise AttributeError(f"module 'gem_env' has no attribute {name!r}")
