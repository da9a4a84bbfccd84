"""The module's other classes a class uses (BFCL's ``File`` and ``Directory``).

`find_helper_classes` picks the classes of the user's module that the class names or
holds instances of (and those they name in turn); their methods convert like the
class's own, with ``self`` an object reference of the state's heap
(`synth.import_python.objects`), and `helper_definitions` emits them with a constructor
``_new_<Class>(state, ...)`` each. An attribute that is written but never read anywhere
in the module and is private (``File._last_modified``, a datetime) is not kept in the
state: `write_only` finds those.
"""

from __future__ import annotations

import ast
import dataclasses
import enum
import inspect
from dataclasses import dataclass, field
from typing import Any

from synth.import_python.members import reachable
from synth.import_python.rewrite import ClassFacts, Rewritten, rewrite_function
from synth.import_python.syntax import attribute_assignments
from synth.import_python.values import literal_source

__all__ = ["HelperClasses", "find_helper_classes", "helper_definitions", "write_only"]


@dataclass
class HelperClasses:
    """The helper classes of one conversion."""

    classes: dict[str, type] = field(default_factory=dict)
    nodes: dict[str, ast.ClassDef] = field(default_factory=dict)
    methods: dict[str, dict[str, ast.FunctionDef]] = field(default_factory=dict)
    attributes: set[str] = field(default_factory=set)


def find_helper_classes(
    tree: ast.Module, module: Any, main: ast.ClassDef, instance: Any
) -> HelperClasses:
    """The module classes `main` names or the instance holds, and those they name."""
    defined = {
        n.name: n
        for n in tree.body
        if isinstance(n, ast.ClassDef)
        and n.name != main.name
        and inspect.isclass(vars(module).get(n.name))
        and not issubclass(vars(module)[n.name], (BaseException, enum.Enum))  # map to values
    }
    wanted = _names(main) & set(defined)
    wanted |= {type(v).__name__ for v in _walk(vars(instance)) if type(v).__name__ in defined}
    found = HelperClasses()
    for name in sorted(reachable(wanted, lambda n: _names(defined[n]) & set(defined))):
        node = defined[name]
        found.classes[name] = vars(module)[name]
        found.nodes[name] = node
        found.methods[name] = {
            f.name: f
            for f in node.body
            if isinstance(f, ast.FunctionDef)
            and (
                f.name in ("__init__", "__post_init__")
                or not (f.name.startswith("__") and f.name.endswith("__"))
            )
        }
        found.attributes |= _assigned_attributes(node)
        if dataclasses.is_dataclass(found.classes[name]):
            found.attributes |= {f.name for f in dataclasses.fields(found.classes[name])}
    return found


def write_only(tree: ast.Module, node: ast.ClassDef) -> set[str]:
    """Private attributes `node`'s methods assign that nothing in the module reads."""
    read = {
        n.attr
        for n in ast.walk(tree)
        if isinstance(n, ast.Attribute) and isinstance(n.ctx, ast.Load)
    }
    read |= {  # getattr(x, "name") and hasattr read too
        a.value
        for n in ast.walk(tree)
        if isinstance(n, ast.Call)
        for a in n.args[1:2]
        if isinstance(a, ast.Constant) and isinstance(a.value, str)
    }
    return {a for a in _assigned_attributes(node) if a.startswith("_") and a not in read}


def helper_definitions(
    helpers: HelperClasses, facts: ClassFacts
) -> tuple[list[tuple[str, str, int | None]], list[Rewritten]]:
    """Each helper method converted, and each class's constructor, as definitions."""
    definitions: list[tuple[str, str, int | None]] = []
    parts: list[Rewritten] = []
    for class_name in sorted(helpers.classes):
        for method_name, node in helpers.methods[class_name].items():
            member = f"{class_name}.{method_name}"
            done = rewrite_function(
                node, facts, facts.emitted("object_method", member), member, owner=class_name
            )
            parts.append(done)
            definitions.append((member, done.source, node.lineno))
        constructor = Rewritten(source="", prelude={"_alloc", "_obj"})
        parts.append(constructor)
        definitions.append(
            (
                f"{class_name}()",
                _constructor(class_name, helpers, facts),
                helpers.nodes[class_name].lineno,
            )
        )
    return definitions, parts


def _constructor(class_name: str, helpers: HelperClasses, facts: ClassFacts) -> str:
    new = facts.emitted("object_new", class_name)
    init = helpers.methods[class_name].get("__init__")
    if init is None and dataclasses.is_dataclass(helpers.classes[class_name]):
        return _dataclass_constructor(class_name, helpers, facts)
    if init is None:
        return f"def {new}(state):\n    return _alloc(state, {class_name!r})"
    args = ast.parse(ast.unparse(init)).body[0].args  # type: ignore[attr-defined]
    args.args = args.args[1:]  # after self
    for arg in args.args:
        arg.annotation = None
    params = ast.unparse(args)
    passed = ", ".join(a.arg for a in args.args)
    init_name = facts.emitted("object_method", f"{class_name}.__init__")
    return (
        f"def {new}(state{', ' if params else ''}{params}):\n"
        f"    ref = _alloc(state, {class_name!r})\n"
        f"    {init_name}(state, ref{', ' if passed else ''}{passed})\n"
        f"    return ref"
    )


_UNSET = "\x1funset"  # a parameter left to its field's default_factory


def _dataclass_constructor(class_name: str, helpers: HelperClasses, facts: ClassFacts) -> str:
    """``_new_Item(state, name, qty=0, tags=UNSET)`` for a dataclass: its fields in order,
    defaults as literals, a default_factory's value built anew per object."""
    params, body = [], [f"    ref = _alloc(state, {class_name!r})"]
    for f in dataclasses.fields(helpers.classes[class_name]):
        value = f.name
        if f.default is not dataclasses.MISSING:
            default = literal_source(f.default, f.name)[0]
        elif f.default_factory is not dataclasses.MISSING:
            fresh = literal_source(f.default_factory(), f.name)[0]
            default, value = repr(_UNSET), f"({fresh} if {f.name} == {_UNSET!r} else {f.name})"
        else:
            default = None
        if not f.init:
            value = default if f.default_factory is dataclasses.MISSING else fresh
        else:
            params.append(f.name if default is None else f"{f.name}={default}")
        body.append(f"    _obj(state, ref)[{f.name!r}] = {value}")
    post = helpers.methods[class_name].get("__post_init__")
    if post is not None:
        body.append(
            f"    {facts.emitted('object_method', f'{class_name}.__post_init__')}(state, ref)"
        )
    head = f"def {facts.emitted('object_new', class_name)}(state{', ' if params else ''}"
    return head + ", ".join(params) + "):\n" + "\n".join([*body, "    return ref"])


def _names(node: ast.AST) -> set[str]:
    return {n.id for n in ast.walk(node) if isinstance(n, ast.Name)}


def _assigned_attributes(node: ast.ClassDef) -> set[str]:
    return set(attribute_assignments(node))


def _walk(value: Any, seen: set[int] | None = None) -> Any:
    """Every value reachable from `value` (containers and objects' attributes)."""
    seen = set() if seen is None else seen
    stack = [value]
    while stack:
        item = stack.pop()
        if id(item) in seen:
            continue
        seen.add(id(item))
        yield item
        if isinstance(item, dict):
            stack.extend(item.values())
        elif isinstance(item, (list, tuple, set, frozenset)):
            stack.extend(item)
        elif hasattr(item, "__dict__") and not inspect.isclass(item) and not callable(item):
            stack.extend(vars(item).values())
