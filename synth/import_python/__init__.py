"""`gem-env import-python`: a stateful Python class as a toolkit@1, by a syntax-tree rewrite.

Modules: `convert` (the conversion of one class), `unit` (what it gives, and naming),
`class_facts` (what is read of the class and an instance), `members` (which members
convert, emitting them), `assemble` (one or several classes as one toolkit), `rewrite`
with `rewrite_calls`, `rewrite_names` and `rewrite_support` (the rewrite of one method),
`helper_classes` and `objects` (instances of the module's other classes, in a heap in
the state), `prelude` (helpers converted code calls), `schemas` (tool schemas from a
function-doc file or the signatures), `values` (state values and constants), `syntax`
(shared tree queries), `agreement` (`--check N`: the class and its toolkit side by
side), `command` (the CLI), `problems` (what is reported).
"""

from synth.import_python.convert import ClassUnit, assemble, convert_class, snake_case
from synth.import_python.problems import ImportProblem, ImportPythonError

__all__ = [
    "ClassUnit",
    "ImportProblem",
    "ImportPythonError",
    "assemble",
    "convert_class",
    "snake_case",
]
