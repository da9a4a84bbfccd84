"""The sandbox: compile-time policy, runtime guards, step budget, journaled state.

Modules: `policy` (the RestrictedPython transformer), `context` (step budget, depth,
aborts), `guards` (attributes, sizes, arithmetic), `builtins` (the safe builtins),
`journal` (atomic state without copies), `oset` (deterministic sets), `output`
(bounded JSON results), `watchdog` (wall-clock and memory safety net).
"""
