"""Compile a toolkit's `source` and expressions under the sandbox policy.

`compile_module` checks the module's shape (only functions and constants at module
level; one function per tool whose parameters match the tool's JSON Schema: names,
required without default, optional with a default; no extra public functions), that
every name the code reads is defined (in the source or among the sandbox's builtins:
`toolkits.sandbox.free_names`), then applies the policy of `toolkits.sandbox.policy`
and compiles to a code object. Every problem is collected and raised together as one
`CompileError`. `expression_name_problems` gives the same name check for expressions
over a toolkit's state (invariants).
"""

from __future__ import annotations

import ast
import functools
import threading
from dataclasses import dataclass
from types import CodeType

from toolkits.errors import CompileError, Problem
from toolkits.sandbox.builtins import BUILTIN_NAMES
from toolkits.sandbox.free_names import module_names, undefined_names
from toolkits.sandbox.source import parse_source, restrict
from toolkits.spec import ToolkitSpec

SOURCE_FILENAME = "<toolkit>"
# CPython 3.11 keeps AST conversion depth in interpreter-wide state: two threads parsing
# or compiling at once can fail with "AST constructor recursion depth mismatch".
_AST_LOCK = threading.RLock()


@dataclass(frozen=True)
class CompiledModule:
    """The compiled tool module.

    Attributes:
        code: module code object; executing it defines the tool functions.
        reusable: True when the module holds no mutable module-level values (constants
            only, immutable defaults), so its namespace can be reused across calls;
            otherwise it is re-executed before every call so nothing leaks.
        names: the names the module defines at top level (functions, constants,
            imports), which expressions over the state may read too.
    """

    code: CodeType
    reusable: bool
    names: frozenset[str] = frozenset()


def compile_module(spec: ToolkitSpec) -> CompiledModule:
    """Compile `spec.source`; raise `CompileError` listing every problem."""
    with _AST_LOCK:
        return _compile_module(spec)


@functools.lru_cache(maxsize=1024)
def compile_expression(expr: str, name: str, path: str = "expr") -> CodeType:
    """Compile a Python expression over `state` into module code defining `name(state)`.

    Used for invariants and goal assertions; the expression runs in the sandbox with
    the toolkit's helpers in scope. Raises `CompileError` (problems located at `path`).
    """
    with _AST_LOCK:
        return _compile_expression(expr, name, path)


def _compile_module(spec: ToolkitSpec) -> CompiledModule:
    tree, problems = parse_source(spec.source, SOURCE_FILENAME)
    if tree is None:
        raise CompileError(problems)
    assert isinstance(tree, ast.Module)
    problems = _shape_problems(tree, spec)
    reusable = _is_reusable(tree)
    names = module_names(tree)
    problems.extend(_name_problems(tree, BUILTIN_NAMES, "source"))
    restricted, policy_problems = restrict(tree)
    problems.extend(policy_problems)
    if problems:
        raise CompileError(sorted(problems, key=lambda p: (p.line or 0, p.col or 0)))
    try:
        code = compile(restricted, SOURCE_FILENAME, "exec")
    except (SyntaxError, ValueError, RecursionError) as exc:
        raise CompileError([Problem(path="source", message=f"cannot compile: {exc}")]) from None
    return CompiledModule(code=code, reusable=reusable, names=names)


def expression_name_problems(expr: str, defined: frozenset[str], path: str) -> list[Problem]:
    """Problems for the names `expr` reads that are neither in `defined` nor builtins.

    Args:
        expr: a Python expression (already known to parse).
        defined: the names the expression may read besides builtins (``state`` and
            the toolkit module's names, for an invariant).
        path: where the expression is (``invariants[0].expr``).
    """
    with _AST_LOCK:
        tree, problems = parse_source(expr, f"<{path}>", mode="eval")
        if tree is None:
            return [p.model_copy(update={"path": path}) for p in problems]
        return _name_problems(tree, BUILTIN_NAMES | defined, path)


def _name_problems(tree: ast.AST, known: frozenset[str], path: str) -> list[Problem]:
    try:
        return undefined_names(tree, known, path)
    except RecursionError:
        return [Problem(path=path, message="source is nested too deeply to check")]


def _compile_expression(expr: str, name: str, path: str) -> CodeType:
    tree, problems = parse_source(expr, f"<{path}>", mode="eval")
    if tree is None:
        raise CompileError([p.model_copy(update={"path": path}) for p in problems])
    assert isinstance(tree, ast.Expression)
    restricted, policy_problems = restrict(tree)
    if policy_problems:
        raise CompileError([p.model_copy(update={"path": path}) for p in policy_problems])
    assert isinstance(restricted, ast.Expression)
    func = ast.FunctionDef(
        name=name,
        args=ast.arguments(
            posonlyargs=[], args=[ast.arg(arg="state")], kwonlyargs=[], kw_defaults=[], defaults=[]
        ),
        body=[ast.Return(value=restricted.body)],
        decorator_list=[],
        returns=None,
        type_params=[],
    )
    module = ast.Module(body=[func], type_ignores=[])
    ast.fix_missing_locations(module)
    return compile(module, f"<{path}>", "exec")


def _shape_problems(tree: ast.Module, spec: ToolkitSpec) -> list[Problem]:
    problems: list[Problem] = []
    functions: dict[str, ast.FunctionDef] = {}
    tool_names = set(spec.tool_names)
    for stmt in tree.body:
        if isinstance(stmt, ast.FunctionDef):
            if stmt.name in functions:
                problems.append(_p(stmt, f"function '{stmt.name}' is defined twice", "FunctionDef"))
            functions[stmt.name] = stmt
            if not stmt.name.startswith("_") and stmt.name not in tool_names:
                problems.append(
                    _p(
                        stmt,
                        f"public function '{stmt.name}' is not a tool; "
                        f"rename it '_{stmt.name}' if it is a helper",
                        "FunctionDef",
                    )
                )
        elif isinstance(stmt, (ast.Assign, ast.AnnAssign)):
            targets = stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target]
            for target in targets:
                for name in ast.walk(target):
                    if isinstance(name, ast.Name) and name.id in tool_names:
                        problems.append(
                            _p(stmt, f"'{name.id}' is a tool name; define it with def", "Assign")
                        )
                    elif (
                        isinstance(name, ast.Name)
                        and isinstance(stmt.value, ast.Lambda)
                        and not name.id.startswith("_")
                    ):
                        problems.append(
                            _p(
                                stmt,
                                f"public function '{name.id}' is not a tool; "
                                f"rename it '_{name.id}' if it is a helper",
                                "Lambda",
                            )
                        )
        elif isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Constant):
            continue  # a docstring
        elif isinstance(stmt, (ast.Import, ast.ImportFrom, ast.ClassDef)):
            continue  # reported by the policy with its reason
        else:
            problems.append(
                _p(
                    stmt,
                    "module level may only define functions and constants",
                    type(stmt).__name__,
                )
            )
    for i, tool in enumerate(spec.tools):
        name = tool.function.name
        func = functions.get(name)
        if func is None:
            problems.append(
                Problem(
                    path=f"tools[{i}]",
                    message=f"no function 'def {name}(state, ...)' in source for this tool",
                    offending=name,
                )
            )
            continue
        problems.extend(_signature_problems(func, tool.function.parameters))
    return problems


def _signature_problems(func: ast.FunctionDef, schema: dict) -> list[Problem]:
    args = func.args
    problems: list[Problem] = []
    where = f"tool '{func.name}'"
    if args.vararg or args.kwarg:
        problems.append(
            _p(func, f"{where}: *args/**kwargs are not allowed; list each parameter", "arguments")
        )
    positional = [*args.posonlyargs, *args.args]
    if not positional or positional[0].arg != "state":
        problems.append(_p(func, f"{where}: the first parameter must be 'state'", "arguments"))
        return problems
    n_pos = len(positional)
    defaults = [None] * (n_pos - len(args.defaults)) + list(args.defaults)
    params = {a.arg: d is not None for a, d in zip(positional[1:], defaults[1:])}
    params.update({a.arg: d is not None for a, d in zip(args.kwonlyargs, args.kw_defaults)})
    if args.posonlyargs and len(args.posonlyargs) > 1:
        problems.append(
            _p(func, f"{where}: parameters after 'state' must accept keywords", "arguments")
        )
    props = schema.get("properties") or {}
    required = set(schema.get("required") or [])
    for name in props:
        if name not in params:
            problems.append(
                _p(func, f"{where}: schema property '{name}' has no parameter", "arguments")
            )
        elif name in required and params[name]:
            problems.append(
                _p(
                    func,
                    f"{where}: '{name}' is required in the schema but has a default",
                    "arguments",
                )
            )
        elif name not in required and not params[name]:
            problems.append(
                _p(
                    func,
                    f"{where}: '{name}' is optional in the schema; give it a default "
                    f"(e.g. {name}=None)",
                    "arguments",
                )
            )
    for name in params:
        if name not in props:
            problems.append(
                _p(
                    func,
                    f"{where}: parameter '{name}' is not in the schema's properties",
                    "arguments",
                )
            )
    return problems


def _is_reusable(tree: ast.Module) -> bool:
    """True when no module-level value or default argument is mutable."""
    for stmt in tree.body:
        if isinstance(stmt, ast.FunctionDef):
            defaults = [*stmt.args.defaults, *(d for d in stmt.args.kw_defaults if d is not None)]
            if not all(_immutable(d) for d in defaults):
                return False
        elif (
            isinstance(stmt, (ast.Assign, ast.AnnAssign))
            and stmt.value is not None
            and not _immutable(stmt.value)
        ):
            return False
    return True


def _immutable(node: ast.AST) -> bool:
    if isinstance(node, ast.Constant):
        return True
    if isinstance(node, ast.Tuple):
        return all(_immutable(e) for e in node.elts)
    if isinstance(node, ast.UnaryOp):
        return _immutable(node.operand)
    if isinstance(node, ast.BinOp):
        return _immutable(node.left) and _immutable(node.right)
    return False


def _p(node: ast.AST, message: str, offending: str) -> Problem:
    return Problem(
        path="source",
        message=message,
        line=getattr(node, "lineno", None),
        col=getattr(node, "col_offset", None),
        offending=offending,
    )
