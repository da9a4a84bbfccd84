"""`gem-env import-python MODULE:CLASS --out toolkit.json`: the command line."""

from __future__ import annotations

import argparse
import importlib
import json
import sys
from pathlib import Path
from typing import Any

from synth.import_python.convert import assemble, convert_class, snake_case
from synth.import_python.problems import ImportPythonError
from synth.import_python.schemas import function_docs

EXIT_OK, EXIT_FAIL, EXIT_BAD_INPUT = 0, 1, 2


def add_arguments(p: argparse.ArgumentParser) -> None:
    """The arguments of `import-python`."""
    p.add_argument("target", metavar="MODULE:CLASS", help="the class, e.g. mypkg.api:TicketAPI")
    p.add_argument(
        "--out", type=Path, required=True, metavar="FILE.json", help="where to write the toolkit"
    )
    p.add_argument(
        "--doc",
        type=Path,
        metavar="FUNC_DOC.json",
        help="function docs (BFCL's format: one JSON object per line, or a list) "
        "for the tool schemas; default: signatures, type hints and docstrings",
    )
    p.add_argument(
        "--state-from",
        metavar="LOADER",
        help="a method that loads --config into a fresh instance "
        "(e.g. _load_scenario); default: the fresh instance's attributes",
    )
    p.add_argument(
        "--config",
        type=Path,
        metavar="CONFIG.json",
        help="the configuration LOADER is called with (default {})",
    )
    p.add_argument(
        "--override",
        type=Path,
        metavar="FILE.py",
        help="replacement methods (def name(self, ...)) for methods that do not "
        "convert as written; they may use the class module's names",
    )
    p.add_argument("--name", help="the toolkit's name (default: the class's, in snake_case)")
    p.add_argument(
        "--check",
        type=int,
        default=0,
        metavar="N",
        help="run N random call sequences on the class and on the toolkit and "
        "print their agreement",
    )
    p.add_argument(
        "--length", type=int, default=8, metavar="L", help="calls per --check sequence (default 8)"
    )
    p.add_argument("--seed", type=int, default=0, help="seed of the --check calls")


def load_class(target: str) -> type:
    """The class `MODULE:CLASS` names, imported from the user's environment.

    Raises:
        ImportPythonError: a malformed target, a module that does not import, no such class.
    """
    module_name, sep, class_name = target.partition(":")
    if not sep or not module_name or not class_name:
        raise ImportPythonError(f"give the class as MODULE:CLASS, not {target!r}")
    try:
        module = importlib.import_module(module_name)
    except Exception as exc:  # ImportError, or whatever the user's module raises
        raise ImportPythonError(
            f"cannot import {module_name}: {type(exc).__name__}: {exc}"
        ) from None
    cls = getattr(module, class_name, None)
    if not isinstance(cls, type):
        raise ImportPythonError(f"{module_name} has no class {class_name}")
    return cls


def run(args: argparse.Namespace) -> int:
    """Convert, write, and optionally check; return the exit code."""
    try:
        cls = load_class(args.target)
        docs = function_docs(args.doc) if args.doc else None
        config = _config(args.config)
        overrides = _read(args.override) if args.override else None
        unit = convert_class(
            cls, docs=docs, loader=args.state_from, config=config, overrides=overrides
        )

        if not unit.tools:
            for problem in unit.problems:
                print(problem, file=sys.stderr)
            raise ImportPythonError(f"no method of {cls.__name__} converted (see above)")
        toolkit = assemble(
            [unit], name=args.name or snake_case(cls.__name__), description=unit.description
        )
    except ImportPythonError as exc:
        print(f"gem-env import-python: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    for problem in unit.problems:
        print(problem, file=sys.stderr)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(toolkit, indent=1, ensure_ascii=False) + "\n", "utf-8")
    errors = sum(p.severity == "error" for p in unit.problems)
    print(
        f"{args.out}: {len(unit.tools)} tools from {cls.__name__}"
        + (f"; left out: {', '.join(unit.left_out)}" if unit.left_out else "")
        + f" ({errors} errors, {len(unit.problems) - errors} warnings)"
    )
    code = EXIT_FAIL if unit.left_out else EXIT_OK
    if args.check > 0:
        try:
            code = max(code, _check(cls, unit, toolkit, args, config))
        except ImportPythonError as exc:  # a fresh instance failed for a sequence
            print(f"gem-env import-python: --check: {exc}", file=sys.stderr)
            return EXIT_BAD_INPUT
    return code


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ImportPythonError(f"cannot read --override {path}: {exc}") from None


def _config(path: Path | None) -> dict[str, Any]:
    if path is None:
        return {}
    try:
        value = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise ImportPythonError(f"cannot read --config {path}: {exc}") from None
    if not isinstance(value, dict):
        raise ImportPythonError(f"--config {path} is not a JSON object")
    return value


def _check(
    cls: type, unit: Any, toolkit: dict[str, Any], args: argparse.Namespace, config: Any
) -> int:
    from synth.import_python.agreement import check_agreement
    from synth.import_python.class_facts import make_instance
    from toolkits import compile_toolkit

    compiled = compile_toolkit(toolkit)
    report = check_agreement(
        lambda: make_instance(cls, args.state_from, config, None),
        compiled,
        sequences=args.check,
        length=args.length,
        seed=args.seed,
        unit=unit,
    )

    print(f"--check {args.check} x {args.length}: {report.summary()}")
    for d in report.disagreements:
        where = (
            f"sequence {d.sequence} call {d.step} {d.tool}({json.dumps(d.arguments)})"
            if (d.step is not None)
            else f"sequence {d.sequence} final state"
        )
        cause = f"\n    cause:   {d.cause}" if d.cause else ""
        print(
            f"  {where}\n    class:   {_short(d.original)}\n    toolkit: {_short(d.toolkit)}"
            + cause
        )
    agree = report.calls_agree == report.calls and report.states_agree == report.states
    return EXIT_OK if agree else EXIT_FAIL


def _short(value: Any, limit: int = 300) -> str:
    text = json.dumps(value, ensure_ascii=False, default=repr)
    return text if len(text) <= limit else text[:limit] + "..."
