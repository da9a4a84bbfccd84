"""A stateful Python class as a toolkit@1: which members convert, and the assembly.

`convert_class` reads the class's module source, rewrites each method
(`synth.import_python.rewrite`), takes the initial state from an instance (fresh, or
after its loader ran on a config) and keeps every public method whose conversion, and
that of everything it calls, is free of errors; the others are left out, each with the
`ImportProblem` that explains why; code the sandbox's compiler refuses leaves its
method out too. `synth.import_python.assemble` turns one `ClassUnit` into a toolkit, or
several into one composed toolkit; `class_state` is the state of an instance after its
loader ran on another config, as the unit's functions expect it.
"""

from __future__ import annotations

import ast
import copy
import datetime as _dt
import inspect
import random
import re
import sys
from typing import Any

from synth.import_python.assemble import assemble
from synth.import_python.class_facts import (
    assignment_lines,
    class_constants,
    class_defaults,
    class_description,
    class_node_of,
    import_bindings,
    initial_state,
    int_keyed_annotations,
    make_instance,
    random_attributes,
)
from synth.import_python.helper_classes import find_helper_classes, helper_definitions, write_only
from synth.import_python.members import (
    constant_sources,
    emit_members,
    included_members,
    module_functions,
    relevant_problems,
    tool_of,
)
from synth.import_python.objects import HeapEncoder
from synth.import_python.problems import ImportProblem, ImportPythonError
from synth.import_python.rewrite import ClassFacts, rewrite_function
from synth.import_python.unit import ClassUnit, Naming
from synth.import_python.values import random_state

__all__ = ["ClassUnit", "assemble", "class_state", "convert_class", "snake_case"]


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
    class_node = class_node_of(tree, cls.__name__)
    unit = ClassUnit(cls.__name__, namespace, class_description(cls))
    naming = Naming(namespace)
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
    instance = make_instance(cls, loader, config, loader_kwargs)
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
    int_keyed = int_keyed_annotations(class_node)
    sets: set[str] = set()
    encoder = HeapEncoder(set(helpers.classes.values()), dropped, int_keyed, sets)
    defaults = class_defaults(class_node, cls, instance)
    unit.class_defaults = set(defaults)
    state, bad_attributes = initial_state(
        instance, encoder, unit.problems, lines=assignment_lines(class_node), defaults=defaults
    )
    randoms = {k for k, v in vars(instance).items() if isinstance(v, random.Random)}
    randoms |= random_attributes(class_node)
    facts = ClassFacts(
        name=cls.__name__,
        module=module,
        methods=methods,
        constants=class_constants(class_node, cls, instance),
        randoms=randoms,
        int_keyed=int_keyed,
        sets=sets,
        imports=import_bindings(tree),
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
    functions = module_functions(tree, module, facts, [*rewritten.values(), *helper_parts], naming)
    constants = constant_sources(
        facts, [*rewritten.values(), *helper_parts], functions, unit.problems, naming
    )
    public = [m for m in methods if not m.startswith("_")]
    if not public:
        raise ImportPythonError(f"{cls.__name__} has no public method to make a tool of")
    problems_before = list(unit.problems)
    for _attempt in range(_COMPILE_ATTEMPTS):
        unit.problems, unit.left_out = list(problems_before), []
        unit.definitions, unit.imports, unit.prelude, unit.wrappers = [], set(), set(), {}
        included = included_members(public, rewritten, functions, bad_attributes, constants, unit)
        unit.problems = relevant_problems(unit.problems, public, rewritten)
        emit_members(
            unit,
            facts,
            rewritten,
            functions,
            constants,
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
            tool_of(m, methods[m], getattr(cls, m), docs, unit.problems)
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
    instance = make_instance(cls, loader, config, loader_kwargs)
    encoder = HeapEncoder(set(unit.helper_classes.values()), unit.dropped, set(), set())
    problems: list[ImportProblem] = []
    defaults = {name: getattr(cls, name) for name in unit.class_defaults}
    state, bad = initial_state(instance, encoder, problems, defaults=defaults)
    for problem in problems:  # an attribute the unit keeps but this config cannot give
        if problem.severity == "error" and problem.member in bad & set(unit.state):
            raise ImportPythonError(problem.message)
    for key in ("_now", "_random"):
        if key in unit.state and key not in state:
            state[key] = copy.deepcopy(unit.state[key])
    return state
