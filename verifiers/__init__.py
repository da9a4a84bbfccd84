"""verifiers: checks, reports and reward over gem-env trajectories.

Imports `toolkits` and gem_env's data modules only (DESIGN.md section 2).
"""
