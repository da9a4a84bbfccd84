"""The `gem-env/toolkit@1` document: pydantic models, loading, dumping, validation.

`load_toolkit` accepts a path, JSON text or a dict and either returns a
`ToolkitSpec` or raises one `SpecError` that lists *every* problem with its path.
Every JSON Schema of the toolkit is checked for safety (`toolkits.schema_safety`:
only local references, no cycles that consume no input, linear-time patterns) and
against its meta-schema. Code is not compiled here (see `toolkits.compiler`).
"""

from __future__ import annotations

import ast
import json
import keyword
import re
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from toolkits.errors import Problem, SpecError
from toolkits.schema_engine import engine_validator
from toolkits.schema_safety import schema_problems
from toolkits.schema_validation import SchemaValidator

TOOLKIT_FORMAT = "gem-env/toolkit@1"
_SNAKE = re.compile(r"^[a-z][a-z0-9_]*$")


class FunctionSpec(BaseModel):
    """The `function` part of an OpenAI function tool."""

    model_config = ConfigDict(extra="allow")

    name: str = Field(description="Tool name; also the name of its Python function.")
    description: str = Field(default="", description="What the tool does, shown to the model.")
    parameters: dict[str, Any] = Field(
        default_factory=lambda: {"type": "object", "properties": {}},
        description="JSON Schema of the arguments object.",
    )


class ToolSpec(BaseModel):
    """One OpenAI function tool, exactly as sent to a model."""

    model_config = ConfigDict(extra="allow")

    type: Literal["function"] = "function"
    function: FunctionSpec


class InvariantSpec(BaseModel):
    """A Python expression over `state` that must hold after every successful call."""

    description: str = Field(default="", description="What the invariant means.")
    expr: str = Field(description="Python expression over `state`, run in the sandbox.")


class Provenance(BaseModel):
    """Where a toolkit came from."""

    model_config = ConfigDict(extra="allow")

    document_id: str | None = None
    span: tuple[int, int] | None = None
    model: str | None = None


class ToolkitSpec(BaseModel):
    """A complete toolkit: tools, state schema, initial state, source and invariants."""

    model_config = ConfigDict(extra="allow")

    format: Literal["gem-env/toolkit@1"] = TOOLKIT_FORMAT
    name: str = Field(description="snake_case identity of the toolkit.")
    description: str = ""
    domain: str = ""
    tools: list[ToolSpec] = Field(description="OpenAI function tools.")
    state_schema: dict[str, Any] = Field(description="JSON Schema of the state object.")
    initial_state: dict[str, Any] = Field(description="Initial state, valid against state_schema.")
    source: str = Field(description="Python source: one function per tool, helpers start with '_'.")
    invariants: list[InvariantSpec] = Field(default_factory=list)
    provenance: Provenance | None = None

    @property
    def tool_names(self) -> list[str]:
        """Names of the tools, in order."""
        return [t.function.name for t in self.tools]

    def tool(self, name: str) -> ToolSpec | None:
        """Return the tool called `name`, or None."""
        for t in self.tools:
            if t.function.name == name:
                return t
        return None

    def openai_tools(self) -> list[dict[str, Any]]:
        """The tools as plain dicts, exactly as sent to an OpenAI-compatible model."""
        return [t.model_dump(exclude_none=True) for t in self.tools]


def dump_toolkit(spec: ToolkitSpec) -> dict[str, Any]:
    """Return the toolkit as a plain JSON-ready dict in the `gem-env/toolkit@1` format."""
    return spec.model_dump(mode="json", exclude_none=True)


def load_toolkit(source: ToolkitSpec | dict[str, Any] | str | Path) -> ToolkitSpec:
    """Load and validate a toolkit from a path, JSON text, a dict or a `ToolkitSpec`.

    Raises:
        SpecError: listing every problem found, each with its JSON path.
        FileNotFoundError: when a path does not exist.
    """
    if isinstance(source, ToolkitSpec):
        data: Any = dump_toolkit(source)
    elif isinstance(source, dict):
        data = source
    elif isinstance(source, (str, Path)):
        data = _parse_text_or_path(source)
    else:
        raise TypeError(
            "load_toolkit takes a path, JSON text, a dict or a ToolkitSpec, "
            f"not {type(source).__name__}"
        )
    if not isinstance(data, dict):
        raise SpecError([Problem(message=f"a toolkit is a JSON object, not {type(data).__name__}")])
    try:
        spec = ToolkitSpec.model_validate(data)
        problems = validate_spec(spec)
    except ValidationError as exc:
        raise SpecError([_problem_from_pydantic(e) for e in exc.errors()]) from None
    except RecursionError:
        raise SpecError([Problem(message="the document is nested too deeply")]) from None
    if problems:
        raise SpecError(problems)
    return spec


def _parse_text_or_path(source: str | Path) -> Any:
    if isinstance(source, str) and source.lstrip().startswith(("{", "[")):
        text, where = source, "JSON text"
    else:
        path = Path(source)
        if not path.exists():
            raise FileNotFoundError(f"no toolkit file at {path}")
        text, where = path.read_text(encoding="utf-8"), str(path)
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise SpecError(
            [Problem(message=f"{where} is not JSON: {exc.msg}", line=exc.lineno, col=exc.colno)]
        ) from None
    except RecursionError:
        raise SpecError([Problem(message=f"{where} is nested too deeply")]) from None


def _problem_from_pydantic(err: Any) -> Problem:
    path = ""
    for part in err["loc"]:
        path += f"[{part}]" if isinstance(part, int) else (f".{part}" if path else str(part))
    return Problem(path=path, message=err["msg"])


def validate_spec(spec: ToolkitSpec) -> list[Problem]:
    """Return every semantic problem of a parsed toolkit (empty when valid)."""
    problems: list[Problem] = []
    if not _SNAKE.match(spec.name):
        problems.append(
            Problem(path="name", message=f"{spec.name!r} is not snake_case ([a-z][a-z0-9_]*)")
        )
    seen: dict[str, int] = {}
    for i, tool in enumerate(spec.tools):
        problems.extend(_tool_problems(i, tool, seen))
    problems.extend(_schema_problems("state_schema", spec.state_schema))
    if spec.state_schema.get("type", "object") != "object":
        problems.append(
            Problem(
                path="state_schema.type", message='the state is a JSON object: use "type": "object"'
            )
        )
    if not any(p.path.startswith("state_schema") for p in problems):
        problems.extend(_instance_problems("initial_state", spec.initial_state, spec.state_schema))
    for i, inv in enumerate(spec.invariants):
        try:
            ast.parse(inv.expr, mode="eval")
        except SyntaxError as exc:
            problems.append(
                Problem(path=f"invariants[{i}].expr", message=f"not a Python expression: {exc.msg}")
            )
    return problems


def _tool_problems(i: int, tool: ToolSpec, seen: dict[str, int]) -> list[Problem]:
    problems: list[Problem] = []
    name, base = tool.function.name, f"tools[{i}].function"
    if not name.isidentifier() or keyword.iskeyword(name) or name.startswith("_"):
        problems.append(
            Problem(
                path=f"{base}.name",
                message=f"{name!r} is not a public Python identifier; tool names name functions",
            )
        )
    if name in seen:
        problems.append(
            Problem(
                path=f"{base}.name",
                message=f"duplicate tool name {name!r} (also tools[{seen[name]}])",
            )
        )
    seen.setdefault(name, i)
    params = tool.function.parameters
    schema_problems = _schema_problems(f"{base}.parameters", params)
    problems.extend(schema_problems)
    if schema_problems:
        return problems
    if params.get("type") != "object":
        problems.append(
            Problem(
                path=f"{base}.parameters.type",
                message='parameters must be a JSON Schema with "type": "object"',
            )
        )
    props = params.get("properties", {})
    for pname in props if isinstance(props, dict) else []:
        if not pname.isidentifier() or keyword.iskeyword(pname) or pname.startswith("_"):
            problems.append(
                Problem(
                    path=f"{base}.parameters.properties.{pname}",
                    message=f"parameter {pname!r} is not a public Python identifier",
                )
            )
        elif pname == "state":
            problems.append(
                Problem(
                    path=f"{base}.parameters.properties.state",
                    message="'state' is the first argument of every tool function; "
                    "rename this parameter",
                )
            )
    for req in params.get("required", []) or []:
        if req not in props:
            problems.append(
                Problem(
                    path=f"{base}.parameters.required",
                    message=f"required parameter {req!r} is not in properties",
                )
            )
    return problems


def _schema_problems(path: str, schema: Any) -> list[Problem]:
    """Problems of one schema of the toolkit: safety first (`toolkits.schema_safety`),
    then its draft's meta-schema and whether the validation engine compiles it."""
    if not isinstance(schema, dict):
        return [Problem(path=path, message="a JSON Schema here must be an object")]
    problems = schema_problems(path, schema)
    if problems:
        return problems
    try:
        engine_validator(schema)
    except SpecError as exc:
        return [p.model_copy(update={"path": _join(path, p.path)}) for p in exc.problems]
    return []


def _join(path: str, inner: str) -> str:
    if not inner:
        return path
    return f"{path}{inner}" if inner.startswith("[") else f"{path}.{inner}"


def _instance_problems(path: str, instance: Any, schema: dict[str, Any]) -> list[Problem]:
    problems = []
    for where, message in SchemaValidator(schema).problems(instance):
        at = path + "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in where)
        problems.append(Problem(path=at, message=f"not valid against state_schema: {message}"))
    return problems
