"""`gem-env import-python`: a stateful Python class as a toolkit@1, by a syntax-tree rewrite.

Modules: `convert` (which members convert; assembling one or several classes),
`rewrite` (the rewrite of one method), `prelude` (helpers converted code calls),
`schemas` (tool schemas from a function-doc file or the signatures), `values` (state
values and constants), `agreement` (`--check N`: the class and its toolkit side by
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
