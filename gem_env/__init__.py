"""gem_env: messages, scenarios, trajectories, the gymnasium env, agents, rollouts, metrics.

Imports only `toolkits` from this project (DESIGN.md section 2).
"""

from gem_env import registration as _registration  # registers gem_env/ToolUse-v0 with gymnasium

del _registration
