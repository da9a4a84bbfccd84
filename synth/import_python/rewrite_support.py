"""What the syntax-tree rewrite shares (`synth.import_python.rewrite`): what it knows of
the class (`ClassFacts`) and gives per function (`Rewritten`), names of the things it
rewrites, small node builders, problem constructors and value tests."""

from __future__ import annotations

import ast
import copy
import datetime as _dt
import enum
import inspect
import time as _time
import types
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from synth.import_python.problems import ImportProblem
from toolkits.sandbox.builtins import SAFE_EXCEPTIONS

CLOCK = {
    _dt.datetime.now: "datetime",
    _dt.datetime.today: "datetime",
    _dt.datetime.utcnow: "datetime",
    _dt.date.today: "date",
    _time.time: "seconds",
}


DECORATORS = ("staticmethod", "classmethod", "property")


UUIDS = (uuid.uuid4,)


DICT_KEY_METHODS = ("get", "pop", "setdefault")


BUILTIN_METHODS = frozenset(dir(dict)) | frozenset(dir(list)) | frozenset(dir(str))


SET_METHODS = {
    "add": "_set_add",
    "discard": "_set_discard",
    "remove": "_set_remove",
    "update": "_set_update",
}


def decorator_kind(node: ast.FunctionDef) -> str | None:
    """``staticmethod``, ``classmethod`` or ``property`` when `node` has that decorator."""
    for deco in node.decorator_list:
        if isinstance(deco, ast.Name) and deco.id in DECORATORS:
            return deco.id
    return None


def renamed_local(node: ast.FunctionDef, old: str, new: str) -> ast.FunctionDef:
    node = copy.deepcopy(node)
    for sub in ast.walk(node):
        if isinstance(sub, ast.Name) and sub.id == old:
            sub.id = new
        elif isinstance(sub, ast.arg) and sub.arg == old:
            sub.arg = new
    return node


def bound_names(node: ast.FunctionDef) -> set[str]:
    """Every name bound anywhere in the function (parameters, assignments, loop and
    comprehension targets, ``except ... as``, nested definitions): its locals."""
    names: set[str] = set()
    for sub in ast.walk(node):
        if isinstance(sub, ast.Name) and isinstance(sub.ctx, (ast.Store, ast.Del)):
            names.add(sub.id)
        elif isinstance(sub, ast.arg):
            names.add(sub.arg)
        elif (isinstance(sub, (ast.FunctionDef, ast.AsyncFunctionDef)) and sub is not node) or (
            isinstance(sub, ast.ExceptHandler) and sub.name
        ):
            names.add(sub.name)
        elif isinstance(sub, (ast.Import, ast.ImportFrom)):
            names.update((a.asname or a.name).split(".")[0] for a in sub.names)
    return names


def problem_at(
    severity: str, node: Any, member: str, construct: str, message: str
) -> ImportProblem:
    line = getattr(node, "lineno", None)
    return ImportProblem(
        severity=severity,
        line=line,
        member=member,
        found=construct,
        message=message,  # type: ignore[arg-type]
    )


def error_at(node: Any, member: str, construct: str, message: str) -> ImportProblem:
    return problem_at("error", node, member, construct, message)


def warning_at(node: Any, member: str, construct: str, message: str) -> ImportProblem:
    return problem_at("warning", node, member, construct, message)


def call_named(name: str, *args: ast.expr) -> ast.Call:
    return ast.Call(func=ast.Name(id=name, ctx=ast.Load()), args=list(args), keywords=[])


def str_of(node: ast.expr) -> ast.Call:
    return call_named("str", node)


MISSING: Any = object()


def is_utf8_encode(node: ast.expr) -> bool:
    """Whether `node` is ``x.encode()`` or ``x.encode("utf-8")`` (bytes are not available:
    ``len`` of it becomes `_utf8_length`)."""
    if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)):
        return False
    if node.func.attr != "encode" or node.keywords or len(node.args) > 1:
        return False
    if not node.args:
        return True
    arg = node.args[0]
    return isinstance(arg, ast.Constant) and str(arg.value).lower() in ("utf-8", "utf8")


def safe_base(cls: type) -> str:
    """The nearest class of `cls`'s MRO that the sandbox offers (Exception at worst)."""
    return next(
        (
            c.__name__
            for c in cls.__mro__
            if c.__name__ in SAFE_EXCEPTIONS and SAFE_EXCEPTIONS[c.__name__] is c
        ),
        "Exception",
    )


def is_enum_class(value: Any) -> bool:
    return inspect.isclass(value) and issubclass(value, enum.Enum)


def enum_values(cls: Any) -> ast.Tuple:
    return ast.Tuple(elts=[ast.Constant(m.value) for m in cls], ctx=ast.Load())


def hashable(value: Any) -> bool:
    try:
        hash(value)
    except TypeError:
        return False
    return True


def is_literal(value: Any) -> bool:
    literal = (bool, int, float, str, list, tuple, dict, set, frozenset, _dt.date, _dt.timedelta)
    return value is None or isinstance(value, (*literal, enum.Enum))


@dataclass
class ClassFacts:
    """What the rewrite knows of the class and its module.

    Attributes:
        name: the class's name.
        module: the user's module (names the bodies read are resolved in it).
        methods: the class's methods by name (helpers and tools alike).
        constants: class-level constants by name.
        randoms: instance attributes holding a `random.Random`.
        int_keyed: instance attributes holding a dict with int keys.
        sets: instance attributes holding a set (kept as a sorted list).
        imports: module-level import bindings: name -> (module, imported name or None).
        emitted: the name a member (method, constant, function) gets in the toolkit.
        object_classes: the module's helper classes whose instances live in the heap
            (`synth.import_python.objects`), by name; object_methods their methods;
            object_attributes every attribute name they have.
        dropped: per class name ("" for the class itself), attributes written but never
            read whose values are not JSON: their assignments are dropped.
    """

    name: str
    module: types.ModuleType
    methods: dict[str, ast.FunctionDef]
    constants: dict[str, Any]
    randoms: set[str]
    int_keyed: set[str]
    sets: set[str]
    imports: dict[str, tuple[str, str | None]]
    emitted: Callable[[str, str], str]
    object_classes: dict[str, type] = field(default_factory=dict)
    object_methods: dict[str, dict[str, ast.FunctionDef]] = field(default_factory=dict)
    object_attributes: set[str] = field(default_factory=set)
    dropped: dict[str, set[str]] = field(default_factory=dict)

    def method_owners(self, name: str) -> list[str]:
        """The helper classes that define method `name`."""
        return sorted(c for c, methods in self.object_methods.items() if name in methods)


@dataclass
class Rewritten:
    """One converted function: its source and what it needs."""

    source: str
    methods_called: set[str] = field(default_factory=set)
    functions_called: set[str] = field(default_factory=set)
    constants: set[str] = field(default_factory=set)  # module constants read
    class_constants: set[str] = field(default_factory=set)
    imports: set[str] = field(default_factory=set)  # import statements
    prelude: set[str] = field(default_factory=set)  # prelude helpers used
    state_keys: set[str] = field(default_factory=set)  # synthetic state keys needed
    attributes: set[str] = field(default_factory=set)  # instance attributes read or written
    problems: list[ImportProblem] = field(default_factory=list)
