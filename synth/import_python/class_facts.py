"""What a conversion reads of the user's class: its syntax tree, a live instance (the
initial state), its constants, defaults and imports."""

from __future__ import annotations

import ast
import copy
import inspect
from typing import Any

from synth.import_python.objects import HeapEncoder
from synth.import_python.problems import ImportProblem, ImportPythonError
from synth.import_python.syntax import attribute_assignments, class_level_names
from synth.import_python.values import NotJSONError


def class_node_of(tree: ast.Module, name: str) -> ast.ClassDef:
    for node in tree.body:
        if isinstance(node, ast.ClassDef) and node.name == name:
            return node
    raise ImportPythonError(f"no top-level 'class {name}' in the module's source")


def class_description(cls: type) -> str:
    doc = inspect.getdoc(cls) or ""
    first = " ".join(doc.strip().split("\n\n")[0].split())
    return first or f"The tools of {cls.__qualname__}, imported from {cls.__module__}."


def make_instance(
    cls: type, loader: str | None, config: dict[str, Any] | None, kwargs: dict[str, Any] | None
) -> Any:
    try:
        instance = cls()
    except Exception as exc:
        raise ImportPythonError(
            f"{cls.__name__}() failed ({type(exc).__name__}: {exc}); the initial state "
            "comes from an instance made with no arguments"
        ) from None
    if loader is not None:
        method = getattr(instance, loader, None)
        if not callable(method):
            raise ImportPythonError(f"{cls.__name__} has no method {loader} (--state-from)")
        try:
            method(copy.deepcopy(config or {}), **(kwargs or {}))
        except Exception as exc:
            raise ImportPythonError(
                f"{cls.__name__}.{loader}(config) failed: {type(exc).__name__}: {exc}"
            ) from None
    return instance


def initial_state(
    instance: Any,
    encoder: HeapEncoder,
    problems: list[ImportProblem],
    *,
    lines: dict[str, int] | None = None,
    defaults: dict[str, Any] | None = None,
) -> tuple[dict[str, Any], set[str]]:
    """The JSON state of `instance` (and of the class-level `defaults` it does not hold
    yet), and the attributes with no JSON form, each reported in `problems` at its line
    (`lines`)."""
    state: dict[str, Any] = {}
    bad: set[str] = set()
    lines = lines or {}
    held = vars(instance)
    values = {**{k: v for k, v in (defaults or {}).items() if k not in held}, **held}
    for attr, value in values.items():
        if attr in encoder.dropped.get("", set()):
            continue  # private, and never read
        if isinstance(value, dict) and type(value) is not dict:
            problems.append(
                ImportProblem(
                    severity="warning",
                    line=lines.get(attr),
                    member=attr,
                    found=f"self.{attr} ({type(value).__name__})",
                    message=f"a {type(value).__name__} is stored as a plain dict: what it "
                    "adds (a default for missing keys, an order) is not kept",
                )
            )
        try:
            state[attr] = encoder.encode(value, attr)
        except NotJSONError as exc:
            bad.add(attr)
            problems.append(
                ImportProblem(
                    line=lines.get(attr),
                    member=attr,
                    found=f"self.{attr}",
                    message=f"{exc}; the methods that use it are left out",
                )
            )
            continue
    if encoder.objects:
        state.update(encoder.heap())
    return state, bad


def assignment_lines(class_node: ast.ClassDef) -> dict[str, int]:
    return attribute_assignments(class_node)


def class_defaults(class_node: ast.ClassDef, cls: type, instance: Any) -> dict[str, Any]:
    """Class-level values the methods assign through ``self`` that the instance does not
    hold yet (``count = 0`` ... ``self.count += 1``): their initial state values."""
    assigned = set(assignment_lines(class_node))
    return {
        name: getattr(cls, name)
        for name in class_level_names(class_node)
        if name in assigned and name not in vars(instance) and hasattr(cls, name)
    }


def int_keyed_annotations(class_node: ast.ClassDef) -> set[str]:
    """Attributes annotated ``Dict[int, ...]`` (or ``dict[int, ...]``)."""
    found: set[str] = set()
    for node in ast.walk(class_node):
        if isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Attribute):
            ann = node.annotation
            if isinstance(ann, ast.Subscript) and ast.unparse(ann.value) in (
                "Dict",
                "dict",
                "typing.Dict",
            ):
                key = ann.slice.elts[0] if isinstance(ann.slice, ast.Tuple) else None
                if isinstance(key, ast.Name) and key.id == "int":
                    found.add(node.target.attr)
    return found


def random_attributes(class_node: ast.ClassDef) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(class_node):
        if (
            isinstance(node, ast.Assign)
            and isinstance(node.value, ast.Call)
            and ast.unparse(node.value.func) in ("random.Random", "Random")
        ):
            found.update(t.attr for t in node.targets if isinstance(t, ast.Attribute))
    return found


def class_constants(class_node: ast.ClassDef, cls: type, instance: Any) -> dict[str, Any]:
    """Class-level names that no instance holds or assigns (a class-level default that
    ``self.count += 1`` changes is an instance attribute, in the state)."""
    instance_names = set(vars(instance)) | set(assignment_lines(class_node))
    return {
        name: getattr(cls, name)
        for name in class_level_names(class_node)
        if hasattr(cls, name) and name not in instance_names
    }


def import_bindings(tree: ast.Module) -> dict[str, tuple[str, str | None]]:
    bindings: dict[str, tuple[str, str | None]] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.asname:
                    bindings[alias.asname] = (alias.name, None)
                else:
                    top = alias.name.split(".")[0]
                    bindings[top] = (top, None)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            for alias in node.names:
                bindings[alias.asname or alias.name] = (node.module, alias.name)
    return bindings
