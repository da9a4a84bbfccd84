"""Toolkits: the `gem-env/toolkit@1` format, the sandbox, the compiler and the runtime.

This package imports nothing else of the project. Public API::

    spec = load_toolkit("toolkit.json")          # SpecError lists every problem
    toolkit = compile_toolkit(spec)              # CompileError with line numbers
    result = toolkit.call("borrow_book", {"card_number": "C1001", "book_id": "B-9"})
    result.ok, result.content, toolkit.state_hash()
    toolkit.replay([("borrow_book", {...}), ...])  # a batch: one round trip when isolated
    report = check_toolkit(spec)                 # compile + property tests
"""

from toolkits.canonical import canonical_json, json_copy, state_hash
from toolkits.compiler import compile_expression
from toolkits.errors import (
    CompileError,
    Problem,
    SpecError,
    StateError,
    ToolkitError,
    UnknownExampleError,
)
from toolkits.limits import Limits
from toolkits.protocol import CallReplay, CompiledToolkit
from toolkits.result import NONDETERMINISTIC_KINDS, ErrorKind, ToolResult
from toolkits.runtime import Toolkit, compile_toolkit
from toolkits.sandbox.builtins import ToolError
from toolkits.spec import (
    TOOLKIT_FORMAT,
    FunctionSpec,
    InvariantSpec,
    Provenance,
    ToolkitSpec,
    ToolSpec,
    dump_toolkit,
    load_toolkit,
    validate_spec,
)
from toolkits.trust import Isolation, resolve_isolation


def __getattr__(name: str):  # lazy: the checker pulls in hypothesis
    if name in ("check_toolkit", "CheckReport", "CheckFinding"):
        from toolkits import check

        return getattr(check, name)
    raise AttributeError(f"module 'toolkits' has no attribute {name!r}")


__all__ = [
    "NONDETERMINISTIC_KINDS",
    "TOOLKIT_FORMAT",
    "CallReplay",
    "CheckFinding",
    "CheckReport",
    "CompileError",
    "CompiledToolkit",
    "ErrorKind",
    "FunctionSpec",
    "InvariantSpec",
    "Isolation",
    "Limits",
    "Problem",
    "Provenance",
    "SpecError",
    "StateError",
    "ToolError",
    "ToolResult",
    "ToolSpec",
    "Toolkit",
    "ToolkitError",
    "ToolkitSpec",
    "UnknownExampleError",
    "canonical_json",
    "check_toolkit",
    "compile_expression",
    "compile_toolkit",
    "dump_toolkit",
    "json_copy",
    "load_toolkit",
    "resolve_isolation",
    "state_hash",
    "validate_spec",
]
