"""Load-time safety of a toolkit's JSON Schemas (owns references, identifiers, depth, patterns).

A schema in a toolkit comes from a model or a file: it must not make the host fetch a
URL, open a file, loop or exhaust a stack, and its patterns must run in linear time.
`schema_problems(path, schema)` finds every reason one would, as `Problem`s located by
JSON path, for `load_toolkit` to raise as one `SpecError`:

- nesting deeper than `MAX_SCHEMA_DEPTH` levels;
- a `$schema` that is not one of the known drafts, or one that is not at the root;
- a nested `$id` (draft-04 `id`) other than a plain-name anchor: it would change how
  references resolve;
- a `$ref`, `$dynamicRef` or `$recursiveRef` outside the document (only ``#``,
  ``#/$defs/...``, ``#/definitions/...``, other JSON pointers and ``#anchor`` resolve),
  or one that points at nothing;
- a cycle of references that consumes no input (``allOf: [{"$ref": "#"}]``, or ``a ->
  b -> a`` through allOf/anyOf/oneOf/not/if/then/else/dependentSchemas/$ref): recursion
  must go through properties, items or another keyword that moves into the value;
- a `pattern` or `patternProperties` key the linear-time engine cannot run
  (`toolkits.schema_regex`).

`is_recursive(schema)` says whether the references make a schema recursive (a tree):
validators then bound the depth of the values they check. `analyze` answers both in
one walk.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from typing import Any, NamedTuple
from urllib.parse import unquote

from toolkits.errors import Problem
from toolkits.schema_regex import PatternProblem
from toolkits.schema_regex import pattern_problem as _pattern_problem

__all__ = [
    "KNOWN_DRAFTS",
    "MAX_SCHEMA_DEPTH",
    "SchemaFacts",
    "analyze",
    "is_recursive",
    "schema_problems",
]

MAX_SCHEMA_DEPTH = 100
"""Deepest nesting of JSON containers inside one schema."""

KNOWN_DRAFTS: frozenset[str] = frozenset(
    {
        "http://json-schema.org/draft-04/schema",
        "http://json-schema.org/draft-06/schema",
        "http://json-schema.org/draft-07/schema",
        "https://json-schema.org/draft/2019-09/schema",
        "https://json-schema.org/draft/2020-12/schema",
    }
)
"""`$schema` URIs (with or without a trailing ``#``) a toolkit schema may declare."""

_REF_KEYS = ("$ref", "$dynamicRef", "$recursiveRef")
# keywords whose subschemas apply to the same value (no input consumed)
_IN_PLACE_ONE = ("not", "if", "then", "else")
_IN_PLACE_MANY = ("allOf", "anyOf", "oneOf")
_IN_PLACE_MAP = ("dependentSchemas", "dependencies")
# keywords whose subschemas apply to a part of the value (properties, items, keys)
_CONSUMING_ONE = (
    "additionalProperties", "additionalItems", "items", "contains", "propertyNames",
    "unevaluatedItems", "unevaluatedProperties",
)  # fmt: skip
_CONSUMING_MANY = ("prefixItems", "items")
_CONSUMING_MAP = ("properties", "patternProperties")
# keywords holding subschemas that no validation applies directly
_HOLDERS_ONE = ("contentSchema",)
_HOLDERS_MAP = ("$defs", "definitions")
_ONLY_LOCAL = (
    "only references inside this schema resolve ('#', '#/$defs/<name>', "
    "'#/definitions/<name>' or '#<anchor>'): copy the referenced schema into $defs "
    "and point at it"
)


class SchemaFacts(NamedTuple):
    """What `analyze` found: the safety problems, and whether the schema is recursive."""

    problems: list[Problem]
    recursive: bool


def analyze(path: str, schema: Any, *, check_patterns: bool = True) -> SchemaFacts:
    """Check `schema` (located under `path`) once: its problems and its recursion.

    Args:
        path: the JSON path of the schema in the toolkit, prefixed to every problem.
        schema: the JSON Schema (a non-dict has no problems here).
        check_patterns: also check every pattern (off when the engine compiles them
            right after anyway).
    """
    if not isinstance(schema, dict):
        return SchemaFacts([], False)
    if _deeper_than(schema, MAX_SCHEMA_DEPTH):
        problem = Problem(
            path=path,
            message=f"the schema is nested more than {MAX_SCHEMA_DEPTH} levels deep; "
            "flatten it (name repeated parts in $defs and $ref them)",
        )
        return SchemaFacts([problem], True)
    graph = _Graph(schema, path, check_patterns=check_patterns)
    return SchemaFacts(graph.problems + graph.cycle_problems(), graph.has_cycle())


def schema_problems(path: str, schema: Any) -> list[Problem]:
    """Every safety problem of `schema`, located under `path` (empty when it is safe)."""
    return analyze(path, schema).problems


def is_recursive(schema: dict[str, Any]) -> bool:
    """Whether references make `schema` recursive: some schema applies inside itself."""
    return analyze("", schema, check_patterns=False).recursive


@functools.lru_cache(maxsize=4096)
def pattern_problem(pattern: str) -> PatternProblem | None:
    """`toolkits.schema_regex.pattern_problem`, cached (schemas repeat their patterns)."""
    return _pattern_problem(pattern)


@dataclass
class _Node:
    path: str
    in_place: list[tuple[int, str]] = field(default_factory=list)  # (node id, edge path)
    consuming: list[int] = field(default_factory=list)


class _Graph:
    """The schema's subschemas as nodes, with in-place and consuming edges."""

    def __init__(self, root: dict[str, Any], path: str, *, check_patterns: bool = True):
        self.root, self.base, self.check_patterns = root, path, check_patterns
        self.problems: list[Problem] = []
        self.nodes: dict[int, _Node] = {}
        self.anchors: dict[str, dict[str, Any]] = {}
        declared = root.get("$schema")
        self.draft4 = isinstance(declared, str) and declared.rstrip("#").endswith("draft-04/schema")
        refs: list[tuple[int, str, str]] = []  # (source node id, ref, edge path)
        self._walk(root, path, refs)
        self._link(refs)

    # -- building --------------------------------------------------------------------

    def _walk(self, start: Any, start_path: str, refs: list[tuple[int, str, str]]) -> None:
        stack: list[tuple[Any, str, int | None, bool | None]] = [(start, start_path, None, None)]
        while stack:
            schema, where, parent, in_place = stack.pop()
            if not isinstance(schema, dict):
                continue
            key = id(schema)
            if parent is not None and in_place is not None:  # None: $defs, no edge
                edges = self.nodes[parent]
                if in_place:
                    edges.in_place.append((key, where))
                else:
                    edges.consuming.append(key)
            if key in self.nodes:
                continue
            self.nodes[key] = _Node(where)
            self._check_keywords(schema, where, schema is self.root)
            for ref_key in _REF_KEYS:
                ref = schema.get(ref_key)
                if ref_key in schema:
                    refs.append((key, ref, f"{where}.{ref_key}"))
            for sub, sub_where, applies_in_place in _subschemas(schema, where):
                stack.append((sub, sub_where, key, applies_in_place))

    def _check_keywords(self, schema: dict[str, Any], where: str, is_root: bool) -> None:
        declared = schema.get("$schema")
        if "$schema" in schema:
            if not is_root:
                self._problem(
                    f"{where}.$schema",
                    "$schema is allowed only at the root of a schema; remove it here",
                )
            elif not isinstance(declared, str) or declared.rstrip("#") not in KNOWN_DRAFTS:
                self._problem(
                    f"{where}.$schema",
                    f"unknown $schema {declared!r}: meta-schemas are never fetched; use one "
                    "of " + ", ".join(sorted(KNOWN_DRAFTS)) + " or leave $schema out",
                )
        for id_key in ("$id", "id") if self.draft4 else ("$id",):
            ident = schema.get(id_key)
            if not isinstance(ident, str):
                continue
            if ident.startswith("#") and len(ident) > 1:  # a plain-name anchor (draft 6/7)
                self.anchors.setdefault(ident[1:], schema)
            elif not is_root:
                self._problem(
                    f"{where}.{id_key}",
                    f"nested {id_key} {ident!r} would change how references resolve; "
                    f"remove it (name the schema in $defs, or use '$anchor')",
                )
        for anchor_key in ("$anchor", "$dynamicAnchor"):
            anchor = schema.get(anchor_key)
            if isinstance(anchor, str):
                self.anchors.setdefault(anchor, schema)
        if self.check_patterns:
            self._check_patterns(schema, where)

    def _check_patterns(self, schema: dict[str, Any], where: str) -> None:
        found: list[tuple[str, str]] = []
        if isinstance(schema.get("pattern"), str):
            found.append((f"{where}.pattern", schema["pattern"]))
        if isinstance(schema.get("patternProperties"), dict):
            found += [(f"{where}.patternProperties", p) for p in schema["patternProperties"]]
        for at, pattern in found:
            problem = pattern_problem(pattern)
            if problem is not None:
                self.problems.append(
                    Problem(
                        path=at,
                        message=f"pattern {pattern!r} uses {problem.construct}: {problem.message}"
                        if problem.construct != "regex"
                        else problem.message,
                        offending=problem.construct,
                    )
                )

    def _link(self, refs: list[tuple[int, str, str]]) -> None:
        while refs:
            source, ref, where = refs.pop()
            target = self._resolve(ref, where)
            if target is None:
                continue
            if not isinstance(target, dict):
                continue  # a boolean schema: nothing to link
            if id(target) not in self.nodes:  # a pointer into a non-schema keyword
                more: list[tuple[int, str, str]] = []
                self._walk(target, f"{self.base}{_pointer_path(ref)}", more)
                refs.extend(more)
            self.nodes[source].in_place.append((id(target), where))

    def _resolve(self, ref: Any, where: str) -> Any:
        if not isinstance(ref, str):
            self._problem(where, f"a reference is a string, not {type(ref).__name__}")
            return None
        if not ref.startswith("#"):
            self._problem(where, f"reference {ref!r} is outside this schema; {_ONLY_LOCAL}")
            return None
        fragment = unquote(ref[1:])
        if fragment and not fragment.startswith("/"):
            target = self.anchors.get(fragment)
            if target is None:
                self._problem(where, f"reference {ref!r}: no '$anchor' {fragment!r} here")
            return target
        node: Any = self.root
        for token in fragment.split("/")[1:]:
            token = token.replace("~1", "/").replace("~0", "~")
            if isinstance(node, dict) and token in node:
                node = node[token]
            elif isinstance(node, list) and token.isdigit() and int(token) < len(node):
                node = node[int(token)]
            else:
                self._problem(where, f"reference {ref!r} points at nothing in this schema")
                return None
        if not isinstance(node, (dict, bool)):
            self._problem(where, f"reference {ref!r} points at a {type(node).__name__}, "
                          "not a schema")  # fmt: skip
            return None
        return node

    def _problem(self, path: str, message: str) -> None:
        self.problems.append(Problem(path=path, message=message))

    # -- questions -------------------------------------------------------------------

    def cycle_problems(self) -> list[Problem]:
        """A problem for each reference cycle that consumes no input."""
        problems: list[Problem] = []
        color: dict[int, int] = {}  # 1: on the DFS path, 2: done
        for start in self.nodes:
            if start in color:
                continue
            color[start] = 1
            stack = [(start, iter(self.nodes[start].in_place))]
            while stack:
                node, edges = stack[-1]
                step = next(edges, None)
                if step is None:
                    color[node] = 2
                    stack.pop()
                    continue
                target, where = step
                state = color.get(target)
                if state == 1:
                    problems.append(
                        Problem(
                            path=where,
                            message="a reference cycle that consumes no input: "
                            f"{where} leads back to {self.nodes[target].path or 'the root'} "
                            "through allOf/anyOf/oneOf/not/if/then/else/$ref only, so "
                            "validation would never end; recurse through properties or "
                            "items instead",
                        )
                    )
                elif state is None:
                    color[target] = 1
                    stack.append((target, iter(self.nodes[target].in_place)))
        return problems

    def has_cycle(self) -> bool:
        """Whether some schema reachable from the root applies inside itself."""
        color: dict[int, int] = {id(self.root): 1}
        stack = [(id(self.root), iter(self._edges(id(self.root))))]
        while stack:
            node, edges = stack[-1]
            target = next(edges, None)
            if target is None:
                color[node] = 2
                stack.pop()
            elif color.get(target) == 1:
                return True
            elif target not in color:
                color[target] = 1
                stack.append((target, iter(self._edges(target))))
        return False

    def _edges(self, node: int) -> list[int]:
        entry = self.nodes[node]
        return [t for t, _ in entry.in_place] + entry.consuming


def _subschemas(schema: dict[str, Any], where: str) -> list[tuple[Any, str, bool | None]]:
    """``(subschema, path, applies in place)`` for every subschema position of `schema`;
    None for subschemas that validation does not apply where they stand ($defs)."""
    out: list[tuple[Any, str, bool | None]] = []
    for keys, in_place in ((_IN_PLACE_ONE, True), (_CONSUMING_ONE, False), (_HOLDERS_ONE, None)):
        for k in keys:
            if isinstance(schema.get(k), dict):
                out.append((schema[k], f"{where}.{k}", in_place))
    many: tuple[tuple[tuple[str, ...], bool], ...] = (
        (_IN_PLACE_MANY, True),
        (_CONSUMING_MANY, False),
    )
    for keys, in_place in many:
        for k in keys:
            if isinstance(schema.get(k), list):
                out += [(s, f"{where}.{k}[{i}]", in_place) for i, s in enumerate(schema[k])]
    for keys, in_place in ((_IN_PLACE_MAP, True), (_CONSUMING_MAP, False), (_HOLDERS_MAP, None)):
        for k in keys:
            if isinstance(schema.get(k), dict):
                out += [(s, f"{where}.{k}.{n}", in_place) for n, s in schema[k].items()]
    return out


def _pointer_path(ref: str) -> str:
    tokens = unquote(ref[1:]).split("/")[1:]
    return "".join(
        f"[{t}]" if t.isdigit() else f".{t.replace('~1', '/').replace('~0', '~')}" for t in tokens
    )


def _deeper_than(value: Any, limit: int) -> bool:
    """Whether JSON containers nest more than `limit` levels in `value` (``{}`` is 1)."""
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        node, depth = stack.pop()
        if not isinstance(node, (dict, list)):
            continue
        if depth > limit:
            return True
        children = node.values() if isinstance(node, dict) else node
        stack.extend((c, depth + 1) for c in children if isinstance(c, (dict, list)))
    return False
