"""A stateful Python class as a toolkit@1: which members convert, and the assembly.

`convert_class` reads the class's module source, rewrites each method
(`synth.import_python.rewrite`), takes the initial state from an instance (fresh, or
after its loader ran on a config) and keeps every public method whose conversion, and
that of everything it calls, is free of errors; the others are left out, each with the
`ImportProblem` that explains why. `assemble` turns one `ClassUnit` into a toolkit, or
several into one composed toolkit whose state holds each class's state under its name
(``state["TicketAPI"]``), its tools calling each class's functions with that part.
"""

from __future__ import annotations

import ast
import copy
import datetime as _dt
import inspect
import random
import re
import sys
from dataclasses import dataclass, field
from typing import Any

from synth.import_python.helper_classes import find_helper_classes, helper_definitions, write_only
from synth.import_python.objects import HeapEncoder
from synth.import_python.prelude import helper_source
from synth.import_python.problems import ImportProblem, ImportPythonError
from synth.import_python.rewrite import ClassFacts, Rewritten, rewrite_function
from synth.import_python.schemas import signature_tool, tool_from_doc
from synth.import_python.syntax import attribute_assignments, class_level_names
from synth.import_python.values import NotJSONError, literal_source, random_state

__all__ = ["ClassUnit", "assemble", "class_state", "convert_class", "snake_case"]

_JSON_TYPE = {bool: "boolean", int: "integer", float: "number", str: "string"}
_JSON_TYPE |= {list: "array", dict: "object"}


@dataclass
class ClassUnit:
    """One converted class: its tools, functions, initial state and problems.

    Attributes:
        class_name: the class's name (the state's key in a composed toolkit).
        namespace: the prefix of its function names when composed, or None.
        tools: the OpenAI tools of the methods that converted.
        wrappers: for a composed toolkit, tool name -> the wrapper's parameter list
            source and the implementing function's name.
        definitions: ``(member, source, line)`` of each function and constant, in order.
        imports: the import statements the definitions need.
        prelude: the prelude helpers (`synth.import_python.prelude`) they call.
        state: the initial state.
        problems: every error and warning, in source order.
        left_out: public methods that did not convert (their problems say why).
    """

    class_name: str
    namespace: str | None
    description: str
    tools: list[dict[str, Any]] = field(default_factory=list)
    wrappers: dict[str, tuple[str, str]] = field(default_factory=dict)
    definitions: list[tuple[str, str, int | None]] = field(default_factory=list)
    imports: set[str] = field(default_factory=set)
    prelude: set[str] = field(default_factory=set)
    helper_classes: dict[str, type] = field(default_factory=dict)
    dropped: dict[str, set[str]] = field(default_factory=dict)
    state: dict[str, Any] = field(default_factory=dict)
    problems: list[ImportProblem] = field(default_factory=list)
    left_out: list[str] = field(default_factory=list)


def snake_case(name: str) -> str:
    """``TicketAPI`` -> ``ticket_api``, ``GorillaFileSystem`` -> ``gorilla_file_system``."""
    text = re.sub(r"([A-Z]+)([A-Z][a-z])", r"\1_\2", name)
    text = re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", text)
    return re.sub(r"\W+", "_", text).strip("_").lower() or "toolkit"


def convert_class(
    cls: type,
    *,
    docs: dict[str, dict[str, Any]] | None = None,
    loader: str | None = None,
    config: dict[str, Any] | None = None,
    loader_kwargs: dict[str, Any] | None = None,
    namespace: str | None = None,
    now: _dt.datetime | None = None,
    overrides: str | None = None,
) -> ClassUnit:
    """Convert `cls` (see the module docstring).

    Args:
        docs: function docs by name (their schemas replace the signatures').
        loader: a method that loads a configuration into a fresh instance
            (BFCL's ``_load_scenario``), called with a deep copy of `config`.
        namespace: set when the class is one part of a composed toolkit.
        now: the time a converted clock read gives (default: now).
        overrides: Python source of methods (``def name(self, ...)``) that replace the
            class's own before conversion, for methods that do not convert as written
            (they may use the class module's names); each replacement is a warning.

    Raises:
        ImportPythonError: no source, no instance, a loader that fails, or no public
            method at all.
    """
    module = sys.modules.get(cls.__module__)
    if module is None:
        raise ImportPythonError(f"the module of {cls.__qualname__} is not imported")
    try:
        tree = ast.parse(inspect.getsource(module))
    except (OSError, TypeError, SyntaxError) as exc:
        raise ImportPythonError(f"cannot read the source of {module.__name__}: {exc}") from None
    class_node = _class_node(tree, cls.__name__)
    unit = ClassUnit(cls.__name__, namespace, _description(cls))
    naming = _Naming(namespace)
    methods = {
        n.name: n
        for n in class_node.body
        if isinstance(n, ast.FunctionDef)
        and not (n.name.startswith("__") and n.name.endswith("__"))
    }
    if overrides:
        methods.update(_overrides(overrides, methods, unit.problems))
    if class_node.bases and not all(ast.unparse(b) == "object" for b in class_node.bases):
        unit.problems.append(
            ImportProblem(
                severity="warning",
                line=class_node.lineno,
                member=cls.__name__,
                found=f"base classes {', '.join(ast.unparse(b) for b in class_node.bases)}",
                message="inherited methods are not converted; only the class's own",
            )
        )
    instance = _instance(cls, loader, config, loader_kwargs)
    helpers = find_helper_classes(tree, module, class_node, instance)
    dropped = {"": write_only(tree, class_node)}
    dropped |= {c: write_only(tree, helpers.nodes[c]) for c in helpers.classes}
    unit.helper_classes, unit.dropped = helpers.classes, dropped
    for owner, names in sorted(dropped.items()):
        for attr in sorted(names):
            unit.problems.append(
                ImportProblem(
                    severity="warning",
                    member=f"{owner or cls.__name__}.{attr}",
                    found=f"self.{attr} (never read)",
                    message="a private attribute nothing reads is not kept in the state",
                )
            )
    int_keyed = _int_keyed_annotations(class_node)
    sets: set[str] = set()
    encoder = HeapEncoder(set(helpers.classes.values()), dropped, int_keyed, sets)
    state, bad_attributes = _initial_state(instance, class_node, encoder, unit.problems)
    for name, value in _class_defaults(class_node, cls, instance).items():
        try:
            state[name] = encoder.encode(value, name)
        except NotJSONError as exc:
            bad_attributes.add(name)
            unit.problems.append(
                ImportProblem(
                    member=name,
                    found=f"{cls.__name__}.{name}",
                    message=f"{exc}; the methods that use it are left out",
                )
            )
    randoms = {k for k, v in vars(instance).items() if isinstance(v, random.Random)}
    randoms |= _random_attributes(class_node)
    facts = ClassFacts(
        name=cls.__name__,
        module=module,
        methods=methods,
        constants=_class_constants(class_node, cls, instance),
        randoms=randoms,
        int_keyed=int_keyed,
        sets=sets,
        imports=_import_bindings(tree),
        emitted=naming.emitted,
        object_classes=helpers.classes,
        object_methods=helpers.methods,
        object_attributes=helpers.attributes,
        dropped=dropped,
    )
    rewritten = {
        m: rewrite_function(node, facts, naming.emitted("method", m), m)
        for m, node in methods.items()
    }
    helper_defs, helper_parts = helper_definitions(helpers, facts)
    for part in helper_parts:
        unit.problems.extend(part.problems)
    functions = _module_functions(tree, module, facts, rewritten, naming)
    constant_sources = _constants(
        facts, [*rewritten.values(), *helper_parts], functions, unit.problems, naming
    )
    public = [m for m in methods if not m.startswith("_")]
    if not public:
        raise ImportPythonError(f"{cls.__name__} has no public method to make a tool of")
    problems_before = list(unit.problems)
    for _attempt in range(_COMPILE_ATTEMPTS):
        unit.problems, unit.left_out = list(problems_before), []
        unit.definitions, unit.imports, unit.prelude, unit.wrappers = [], set(), set(), {}
        included = _included(public, rewritten, functions, bad_attributes, constant_sources, unit)
        unit.problems = _relevant(unit.problems, public, rewritten)
        _emit(
            unit,
            facts,
            rewritten,
            functions,
            constant_sources,
            included,
            naming,
            (helper_defs, helper_parts),
        )
        for key in sorted({k for m in included for k in rewritten[m].state_keys}):
            if key == "_now" and key not in state:
                state[key] = (now or _dt.datetime.now()).replace(microsecond=0).isoformat()
            elif key == "_random" and key not in state:
                state[key] = random_state(random.Random(0))
        unit.state = state
        unit.tools = [
            _tool(m, methods[m], getattr(cls, m), docs, unit.problems)
            for m in public
            if m in included
        ]
        failed = _compile_failures(unit, set(methods))
        if not failed:
            break
        for member, messages in failed.items():  # leave it out, and say why, then again
            rewritten[member].problems.append(
                ImportProblem(
                    line=methods[member].lineno,
                    member=member,
                    found="the sandbox's compiler",
                    message="; ".join(messages),
                )
            )
    if docs:
        for name in sorted(set(docs) - set(methods)):
            unit.problems.append(
                ImportProblem(
                    severity="warning",
                    member=name,
                    found="function doc",
                    message=f"{cls.__name__} has no method {name}; the doc is unused",
                )
            )
    unit.problems = _deduplicated(unit.problems)
    return unit


_COMPILE_ATTEMPTS = 4


def _compile_failures(unit: ClassUnit, fixable: set[str]) -> dict[str, list[str]]:
    """The methods (of `fixable`) whose converted code the sandbox refuses, with its
    messages (empty when the unit's toolkit compiles).

    Raises:
        ImportPythonError: a refusal in code that is no method of the class (a helper
            class, the prelude), which leaving a tool out cannot fix.
    """
    from toolkits import compile_toolkit
    from toolkits.errors import ToolkitError

    if not unit.tools:
        return {}
    spec = assemble([unit], name="conversion_check", description="check")
    try:
        compile_toolkit(spec).close()
    except ToolkitError as exc:
        problems = getattr(exc, "problems", [])
    else:
        return {}
    owners = _definition_owners(unit, spec["source"])
    failed: dict[str, list[str]] = {}
    for problem in problems:
        member = owners.get(problem.line or -1)
        match = re.match(r"tools\[(\d+)\]", problem.path or "")
        if member is None and match and int(match.group(1)) < len(spec["tools"]):
            member = spec["tools"][int(match.group(1))]["function"]["name"]
        if member not in fixable:
            raise ImportPythonError(f"the converted code does not compile: {problem}")
        failed.setdefault(member, []).append(problem.message)
    return failed


def _definition_owners(unit: ClassUnit, source: str) -> dict[int, str]:
    """Line of the assembled source -> the member whose definition it is in."""
    emitted = {}
    for member, text, _ in unit.definitions:
        first = text.lstrip().split("(", 1)[0].split("=", 1)[0]
        emitted[first.removeprefix("def ").strip()] = member
    for tool, (_, impl) in unit.wrappers.items():
        emitted[tool] = tool
        emitted.setdefault(impl, tool)
    owners: dict[int, str] = {}
    for node in ast.parse(source).body:
        name = node.name if isinstance(node, ast.FunctionDef) else None
        if isinstance(node, ast.Assign) and isinstance(node.targets[0], ast.Name):
            name = node.targets[0].id
        if name in emitted:
            for line in range(node.lineno, (node.end_lineno or node.lineno) + 1):
                owners[line] = emitted[name]
    return owners


def _overrides(
    source: str, methods: dict[str, ast.FunctionDef], problems: list[ImportProblem]
) -> dict[str, ast.FunctionDef]:
    """The methods `source` replaces (``def`` statements named as the class's methods).

    Raises:
        ImportPythonError: the source does not parse, or replaces no method.
    """
    try:
        tree = ast.parse(source)
    except SyntaxError as exc:
        raise ImportPythonError(
            f"the overrides do not parse: line {exc.lineno}: {exc.msg}"
        ) from None
    found = {n.name: n for n in tree.body if isinstance(n, ast.FunctionDef)}
    unknown = sorted(n for n in set(found) - set(methods) if not n.startswith("_"))
    if unknown or not found:
        raise ImportPythonError(
            f"the overrides must define methods of the class; unknown: {', '.join(unknown)}"
            if unknown
            else "the overrides define no function"
        )
    for name, node in sorted(found.items()):
        if name not in methods:
            continue  # a new helper the replacements call
        problems.append(
            ImportProblem(
                severity="warning",
                line=methods[name].lineno,
                member=name,
                found="override",
                message=f"replaced by the override's def {name} (its line {node.lineno})",
            )
        )
    return found


def _relevant(
    problems: list[ImportProblem], public: list[str], rewritten: dict[str, Rewritten]
) -> list[ImportProblem]:
    """The problems of members a tool needs (a loader no tool calls does not matter),
    and of the constants those members read."""
    needed, pending = set(public), list(public)
    while pending:
        for called in rewritten[pending.pop()].methods_called:
            if called not in needed:
                needed.add(called)
                pending.append(called)
    unneeded = set(rewritten) - needed
    read = {c for m in needed for c in rewritten[m].class_constants | rewritten[m].constants}
    kept = []
    for problem in problems:
        if problem.member in unneeded:
            continue
        if problem.found.startswith("constant ") and problem.member not in read:
            continue
        kept.append(problem)
    return kept


def _deduplicated(problems: list[ImportProblem]) -> list[ImportProblem]:
    """Source order; a warning repeated in several members is kept once (its first)."""
    seen: set[tuple[str, str]] = set()
    kept = []
    for problem in sorted(problems, key=lambda p: (p.line or 0, p.severity)):
        key = (problem.found, problem.message)
        if problem.severity == "warning" and key in seen:
            continue
        seen.add(key)
        kept.append(problem)
    return kept


def assemble(
    units: list[ClassUnit],
    *,
    name: str,
    description: str,
    domain: str = "imported",
    exclude: frozenset[str] | set[str] = frozenset(),
) -> dict[str, Any]:
    """The toolkit@1 of one unit, or the composed toolkit of several (namespaced);
    the tools named in `exclude` are left out (a composed toolkit keeps their code)."""
    if exclude and len(units) == 1 and not units[0].namespace:
        raise ImportPythonError("exclude tools of a composed (namespaced) toolkit only")
    imports: set[str] = set()
    chunks: list[str] = []
    tools: list[dict[str, Any]] = []
    seen: set[str] = set()
    composed = len(units) > 1 or any(u.namespace for u in units)
    for unit in units:
        imports |= unit.imports
        chunks.extend(source for _, source, _ in unit.definitions)
        for tool in unit.tools:
            tool_name = tool["function"]["name"]
            if tool_name in exclude:
                continue
            if tool_name in seen:
                raise ImportPythonError(
                    f"two classes define the tool {tool_name}; compose them separately"
                )
            seen.add(tool_name)
            tools.append(tool)
            if composed:
                params, impl = unit.wrappers[tool_name]
                call = ", ".join([f"state[{unit.class_name!r}]", *_param_names(params)])
                chunks.append(
                    f"def {tool_name}(state{', ' if params else ''}{params}):\n"
                    f"    return {impl}({call})"
                )
    prelude, prelude_imports = helper_source({h for u in units for h in u.prelude})
    imports |= prelude_imports
    source = "\n".join(sorted(imports)) + "\n\n\n" + "\n\n\n".join([*prelude, *chunks]) + "\n"
    if composed:
        state = {u.class_name: u.state for u in units}
        state_schema: dict[str, Any] = {
            "type": "object",
            "properties": {u.class_name: _state_schema(u.state) for u in units},
            "required": [u.class_name for u in units],
        }
    else:
        state, state_schema = units[0].state, _state_schema(units[0].state)
    return {
        "format": "gem-env/toolkit@1",
        "name": name,
        "description": description,
        "domain": domain,
        "tools": tools,
        "state_schema": state_schema,
        "initial_state": state,
        "source": source,
        "provenance": {
            "document_id": "python:" + "+".join(u.class_name for u in units),
            "model": "import-python",
        },
    }


# -- naming ---------------------------------------------------------------------------


class _Naming:
    """The name each member gets in the toolkit (prefixed when composed)."""

    def __init__(self, namespace: str | None):
        self.namespace = namespace

    def emitted(self, kind: str, name: str) -> str:
        ns = self.namespace
        if kind == "method":
            if ns is None:
                return name
            return f"_{ns}_p_{name.lstrip('_')}" if name.startswith("_") else f"_{ns}_m_{name}"
        if kind == "constant":
            return f"_C_{name}" if ns is None else f"_{ns}_c_{name}"
        if kind == "module_constant":
            return name if ns is None else f"_{ns}_k_{name}"
        if kind == "object_method":  # "Class.method"
            owner, _, method = name.partition(".")
            stem = f"{owner}_m_{method.strip('_')}"
            return f"_{stem}" if ns is None else f"_{ns}_{stem}"
        if kind == "object_new":
            return f"_new_{name}" if ns is None else f"_{ns}_new_{name}"
        if kind == "function":
            return (
                (name if name.startswith("_") else f"_{name}")
                if ns is None
                else (f"_{ns}_f_{name}")
            )
        raise ValueError(kind)


def _param_names(params: str) -> list[str]:
    if not params:
        return []
    args = ast.parse(f"def f({params}): pass").body[0].args  # type: ignore[attr-defined]
    return [f"{a.arg}={a.arg}" for a in [*args.args, *args.kwonlyargs]]


# -- the class and its instance ---------------------------------------------------------


def _class_node(tree: ast.Module, name: str) -> ast.ClassDef:
    for node in tree.body:
        if isinstance(node, ast.ClassDef) and node.name == name:
            return node
    raise ImportPythonError(f"no top-level 'class {name}' in the module's source")


def _description(cls: type) -> str:
    doc = inspect.getdoc(cls) or ""
    first = " ".join(doc.strip().split("\n\n")[0].split())
    return first or f"The tools of {cls.__qualname__}, imported from {cls.__module__}."


def _instance(
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


def _initial_state(
    instance: Any,
    class_node: ast.ClassDef,
    encoder: HeapEncoder,
    problems: list[ImportProblem],
) -> tuple[dict[str, Any], set[str]]:
    state: dict[str, Any] = {}
    bad: set[str] = set()
    lines = _assignment_lines(class_node)
    for attr, value in vars(instance).items():
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


def _assignment_lines(class_node: ast.ClassDef) -> dict[str, int]:
    return attribute_assignments(class_node)


def _class_defaults(class_node: ast.ClassDef, cls: type, instance: Any) -> dict[str, Any]:
    """Class-level values the methods assign through ``self`` that the instance does not
    hold yet (``count = 0`` ... ``self.count += 1``): their initial state values."""
    assigned = set(_assignment_lines(class_node))
    return {
        name: getattr(cls, name)
        for name in class_level_names(class_node)
        if name in assigned and name not in vars(instance) and hasattr(cls, name)
    }


def _int_keyed_annotations(class_node: ast.ClassDef) -> set[str]:
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


def _random_attributes(class_node: ast.ClassDef) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(class_node):
        if (
            isinstance(node, ast.Assign)
            and isinstance(node.value, ast.Call)
            and ast.unparse(node.value.func) in ("random.Random", "Random")
        ):
            found.update(t.attr for t in node.targets if isinstance(t, ast.Attribute))
    return found


def _class_constants(class_node: ast.ClassDef, cls: type, instance: Any) -> dict[str, Any]:
    """Class-level names that no instance holds or assigns (a class-level default that
    ``self.count += 1`` changes is an instance attribute, in the state)."""
    instance_names = set(vars(instance)) | set(_assignment_lines(class_node))
    return {
        name: getattr(cls, name)
        for name in class_level_names(class_node)
        if hasattr(cls, name) and name not in instance_names
    }


def _import_bindings(tree: ast.Module) -> dict[str, tuple[str, str | None]]:
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


# -- members ---------------------------------------------------------------------------


def _module_functions(
    tree: ast.Module,
    module: Any,
    facts: ClassFacts,
    rewritten: dict[str, Rewritten],
    naming: _Naming,
) -> dict[str, Rewritten]:
    """The module functions the methods call (and those they call), rewritten."""
    nodes = {n.name: n for n in tree.body if isinstance(n, ast.FunctionDef)}
    functions: dict[str, Rewritten] = {}
    pending = sorted({f for r in rewritten.values() for f in r.functions_called})
    while pending:
        name = pending.pop()
        if name in functions:
            continue
        if name not in nodes:
            functions[name] = Rewritten(
                source="",
                problems=[
                    ImportProblem(
                        member=name,
                        found=f"function {name}",
                        message="its source is not in the module; define it there",
                    )
                ],
            )
            continue
        done = rewrite_function(
            nodes[name], facts, naming.emitted("function", name), name, is_method=False
        )
        functions[name] = done
        pending.extend(sorted(done.functions_called - set(functions)))
    return functions


def _constants(
    facts: ClassFacts,
    rewritten: list[Rewritten],
    functions: dict[str, Rewritten],
    problems: list[ImportProblem],
    naming: _Naming,
) -> dict[tuple[str, str], tuple[str, set[str]] | None]:
    """``(kind, name) -> (source line, imports)`` of each constant read, None if it has
    no literal form (a problem then says why)."""
    out: dict[tuple[str, str], tuple[str, set[str]] | None] = {}
    everything = [*rewritten, *functions.values()]
    wanted = {("constant", n) for r in everything for n in r.class_constants}
    wanted |= {("module_constant", n) for r in everything for n in r.constants}
    for kind, name in sorted(wanted):
        value = facts.constants[name] if kind == "constant" else vars(facts.module)[name]
        try:
            text, imports = literal_source(value, name)
        except NotJSONError as exc:
            problems.append(
                ImportProblem(
                    member=name,
                    found=f"constant {name}",
                    message=f"{exc}; the methods that read it are left out",
                )
            )
            out[(kind, name)] = None
            continue
        out[(kind, name)] = (f"{naming.emitted(kind, name)} = {text}", imports)
        if _has_ellipsis(value):
            problems.append(
                ImportProblem(
                    severity="warning",
                    member=name,
                    found=f"constant {name} holds ...",
                    message="Ellipsis is no JSON value: the toolkit holds the text '...'",
                )
            )
    return out


def _has_ellipsis(value: Any) -> bool:
    if value is Ellipsis:
        return True
    if isinstance(value, dict):
        return any(_has_ellipsis(v) for v in value.values())
    if isinstance(value, (list, tuple, set, frozenset)):
        return any(_has_ellipsis(v) for v in value)
    return False


def _included(
    public: list[str],
    rewritten: dict[str, Rewritten],
    functions: dict[str, Rewritten],
    bad_attributes: set[str],
    constants: dict[tuple[str, str], tuple[str, set[str]] | None],
    unit: ClassUnit,
) -> set[str]:
    """The methods that convert with all they need (the public ones, and their helpers)."""
    for done in [*rewritten.values(), *functions.values()]:
        unit.problems.extend(done.problems)
    ok_cache: dict[str, bool] = {}

    def ok(name: str, kind: str, trail: frozenset[str]) -> bool:
        key = f"{kind}:{name}"
        if key in ok_cache:
            return ok_cache[key]
        if key in trail:
            return True  # recursion: decided by the rest of the cycle
        done = rewritten[name] if kind == "method" else functions[name]
        good = not any(p.severity == "error" for p in done.problems)
        good = good and not (done.attributes & bad_attributes)
        good = good and all(constants.get(("constant", c)) for c in done.class_constants)
        good = good and all(constants.get(("module_constant", c)) for c in done.constants)
        inner = trail | {key}
        good = good and all(ok(m, "method", inner) for m in sorted(done.methods_called))
        good = good and all(ok(f, "function", inner) for f in sorted(done.functions_called))
        ok_cache[key] = good
        return good

    included: set[str] = set()
    for name in public:
        if ok(name, "method", frozenset()):
            included.add(name)
        else:
            unit.left_out.append(name)
    closure = set(included)
    pending = list(included)
    while pending:
        for called in rewritten[pending.pop()].methods_called:
            if called not in closure:
                closure.add(called)
                pending.append(called)
    return closure


def _emit(
    unit: ClassUnit,
    facts: ClassFacts,
    rewritten: dict[str, Rewritten],
    functions: dict[str, Rewritten],
    constants: dict[tuple[str, str], tuple[str, set[str]] | None],
    included: set[str],
    naming: _Naming,
    helpers: tuple[list[tuple[str, str, int | None]], list[Rewritten]],
) -> None:
    used_functions: set[str] = set()
    pending = sorted({f for m in included for f in rewritten[m].functions_called})
    while pending:
        name = pending.pop()
        if name not in used_functions:
            used_functions.add(name)
            pending.extend(functions[name].functions_called)
    helper_defs, helper_parts = helpers if included else ([], [])
    for part in helper_parts:
        pending = sorted(part.functions_called)
        while pending:
            name = pending.pop()
            if name not in used_functions:
                used_functions.add(name)
                pending.extend(functions[name].functions_called)
    parts = (
        [rewritten[m] for m in sorted(included)]
        + [functions[f] for f in sorted(used_functions)]
        + helper_parts
    )
    wanted = {("constant", c) for p in parts for c in p.class_constants}
    wanted |= {("module_constant", c) for p in parts for c in p.constants}
    for key in sorted(wanted):
        entry = constants[key]
        assert entry is not None  # members reading a constant with no literal are left out
        unit.definitions.append((key[1], entry[0], None))
        unit.imports |= entry[1]
    for m in [m for m in facts.methods if m in included]:
        unit.definitions.append((m, rewritten[m].source, facts.methods[m].lineno))
    for f in sorted(used_functions):
        unit.definitions.append((f, functions[f].source, None))
    unit.definitions.extend(helper_defs)
    for part in parts:
        unit.imports |= part.imports
    unit.prelude = {h for part in parts for h in part.prelude}
    if naming.namespace is not None:
        for m in included:
            if m.startswith("_"):
                continue
            args = ast.parse(rewritten[m].source).body[0].args  # type: ignore[attr-defined]
            args.args = args.args[1:]  # after state
            unit.wrappers[m] = (ast.unparse(args), naming.emitted("method", m))


def _tool(
    name: str,
    node: ast.FunctionDef,
    method: Any,
    docs: dict[str, dict[str, Any]] | None,
    problems: list[ImportProblem],
) -> dict[str, Any]:
    if docs and name in docs:
        return tool_from_doc(docs[name])
    if docs:
        problems.append(
            ImportProblem(
                severity="warning",
                line=node.lineno,
                member=name,
                found="no function doc",
                message="its schema comes from the signature, type hints and docstring",
            )
        )
    return signature_tool(name, method)


def _state_schema(state: dict[str, Any]) -> dict[str, Any]:
    properties = {
        key: {"type": _JSON_TYPE[type(value)]} if type(value) in _JSON_TYPE else {}
        for key, value in state.items()
    }
    for key, value in state.items():
        if isinstance(value, float) or (isinstance(value, int) and not isinstance(value, bool)):
            properties[key] = {"type": "number"}
    return {"type": "object", "properties": properties}


def class_state(
    cls: type,
    unit: ClassUnit,
    *,
    loader: str | None,
    config: dict[str, Any] | None,
    loader_kwargs: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """The state of a fresh instance of `cls` after `loader` ran on `config`, in the form
    `unit`'s functions expect (with the keys the conversion added, as in `unit.state`).

    Raises:
        ImportPythonError: the loader fails, or an attribute has no JSON form.
    """
    instance = _instance(cls, loader, config, loader_kwargs)
    encoder = HeapEncoder(set(unit.helper_classes.values()), unit.dropped, set(), set())
    state: dict[str, Any] = {}
    for attr, value in vars(instance).items():
        if attr in unit.dropped.get("", set()):
            continue
        try:
            state[attr] = encoder.encode(value, attr)
        except NotJSONError as exc:
            if attr in unit.state:
                raise ImportPythonError(str(exc)) from None
    if encoder.objects:
        state.update(encoder.heap())
    for key in ("_now", "_random"):
        if key in unit.state and key not in state:
            state[key] = copy.deepcopy(unit.state[key])
    return state
