"""The sandbox: compile-time policy, runtime guards, step budget, journaled state.

Modules:
- compile time: `source` (parse, then restrict), `policy` and `policy_sizes` (the
  RestrictedPython transformer and its size guards), `rejections` (constructs refused,
  and the import policy), `free_names` (names neither defined nor builtin);
- run time: `context` (step budget, depth, aborts), `guards`, `sizes` and `text`
  (attributes, sizes, arithmetic, bounded text), `formatter` (`str.format`),
  `builtins` (the safe builtins), `classes` (what `type()` gives, unbound methods),
  `modules` (the importable pure modules: datetime, math, re, json, ...);
- state: `journal`, `journal_methods` and `moves` (atomic state without copies;
  containers moved, never copied), `keys` (JSON dict keys), `oset` (deterministic
  sets), `output` (bounded JSON results), `watchdog` (wall-clock and memory net).
"""
