"""gem_env: messages, scenarios, trajectories, the gymnasium env, agents, rollouts, metrics.

Imports only `toolkits` from this project (DESIGN.md section 2).
"""
