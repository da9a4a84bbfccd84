"""What converting one class gives (`ClassUnit`), and the name each member gets (`Naming`)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from synth.import_python.problems import ImportProblem

__all__ = ["ClassUnit", "Naming"]


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
        helper_classes: the module's classes whose objects live in the state's heap.
        class_defaults: class-level values the state holds from the start (``count = 0``).
        dropped: per class name ("" for the class itself), attributes not kept.
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
    class_defaults: set[str] = field(default_factory=set)
    dropped: dict[str, set[str]] = field(default_factory=dict)
    state: dict[str, Any] = field(default_factory=dict)
    problems: list[ImportProblem] = field(default_factory=list)
    left_out: list[str] = field(default_factory=list)


class Naming:
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
