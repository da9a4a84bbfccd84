"""Which members of a class convert, and emitting them: the problems that matter (of
members a tool needs), module functions and constants the bodies read, the closure of
included methods, and each tool's schema."""

from __future__ import annotations

import ast
from collections.abc import Callable, Iterable
from typing import Any

from synth.import_python.problems import ImportProblem
from synth.import_python.rewrite import ClassFacts, Rewritten, rewrite_function
from synth.import_python.schemas import signature_tool, tool_from_doc
from synth.import_python.unit import ClassUnit, Naming
from synth.import_python.values import NotJSONError, literal_source


def reachable(seeds: Iterable[str], follow: Callable[[str], Iterable[str]]) -> set[str]:
    """`seeds` and every name `follow` leads to from them (the methods a method calls)."""
    found = set(seeds)
    pending = list(found)
    while pending:
        for name in follow(pending.pop()):
            if name not in found:
                found.add(name)
                pending.append(name)
    return found


def relevant_problems(
    problems: list[ImportProblem], public: list[str], rewritten: dict[str, Rewritten]
) -> list[ImportProblem]:
    """The problems of members a tool needs (a loader no tool calls does not matter),
    and of the constants those members read."""
    needed = reachable(public, lambda m: rewritten[m].methods_called)
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


def module_functions(
    tree: ast.Module,
    module: Any,
    facts: ClassFacts,
    callers: list[Rewritten],
    naming: Naming,
) -> dict[str, Rewritten]:
    """The module functions `callers` call (and those they call), rewritten."""
    nodes = {n.name: n for n in tree.body if isinstance(n, ast.FunctionDef)}
    functions: dict[str, Rewritten] = {}
    pending = sorted({f for r in callers for f in r.functions_called})
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


def constant_sources(
    facts: ClassFacts,
    rewritten: list[Rewritten],
    functions: dict[str, Rewritten],
    problems: list[ImportProblem],
    naming: Naming,
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


def included_members(
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
    return reachable(included, lambda m: rewritten[m].methods_called)


def emit_members(
    unit: ClassUnit,
    facts: ClassFacts,
    rewritten: dict[str, Rewritten],
    functions: dict[str, Rewritten],
    constants: dict[tuple[str, str], tuple[str, set[str]] | None],
    included: set[str],
    naming: Naming,
    helpers: tuple[list[tuple[str, str, int | None]], list[Rewritten]],
) -> None:
    helper_defs, helper_parts = helpers if included else ([], [])
    callers = [rewritten[m] for m in included] + helper_parts
    used_functions = reachable(
        {f for part in callers for f in part.functions_called},
        lambda f: functions[f].functions_called,
    )
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


def tool_of(
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
