"""The `gem-env` command line: argument parsing and one handler per subcommand.

`main(argv)` returns the exit code (0 all pass, 1 some fail, 2 bad input) so it works
both as the console-script entry point (`sys.exit(main())`) and from tests.
Subcommands register in `_COMMANDS`; most live in a module of their own
(`synth.<name>_command`, `synth.import_python.command`, `synth.suites.command`), imported
only when used.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, TextIO

EXIT_OK, EXIT_FAIL, EXIT_BAD_INPUT = 0, 1, 2

Handler = Callable[[argparse.Namespace], int]


def main(argv: Sequence[str] | None = None) -> int:
    """Run `gem-env` with `argv` (default `sys.argv[1:]`); return the exit code."""
    parser = _parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # --help, or a usage error already printed by argparse
        return exc.code if isinstance(exc.code, int) else EXIT_BAD_INPUT
    handler: Handler = args.handler
    try:
        return handler(args)
    except KeyboardInterrupt:
        print("gem-env: interrupted", file=sys.stderr)
        return 130


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="gem-env",
        description="Executable, sandboxed tool-use environments and verified agent trajectories.",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name, (helptext, add_arguments, handler) in _COMMANDS.items():
        command = sub.add_parser(name, help=helptext, description=helptext)
        add_arguments(command)
        command.set_defaults(handler=handler)
    return parser


# -- check-toolkit -------------------------------------------------------------------


def _check_toolkit_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("files", nargs="*", metavar="FILE.json", help="toolkit files to check")
    p.add_argument(
        "--bundled", action="store_true", help="also check every bundled example toolkit"
    )
    p.add_argument(
        "--examples", type=_positive_int, default=50, metavar="N",
        help="property-test examples per tool and for the stateful run (default 50)",
    )  # fmt: skip
    p.add_argument("--seed", type=int, default=0, metavar="S", help="seed (default 0)")
    p.add_argument("--json", action="store_true", help="print one JSON report per toolkit per line")


def _check_toolkit(args: argparse.Namespace) -> int:
    """Load every input first (bad input fails before any check runs), then check each."""
    from toolkits import SpecError, load_toolkit
    from toolkits.check import check_toolkit

    paths: list[Path] = [Path(f) for f in args.files]
    if args.bundled:
        from toolkits.examples import example_names, example_path

        paths += [example_path(name) for name in example_names()]
    if not paths:
        print("gem-env check-toolkit: give FILE.json arguments or --bundled", file=sys.stderr)
        return EXIT_BAD_INPUT
    specs, bad = [], False
    for path in paths:
        try:
            if path.is_dir():
                raise IsADirectoryError(f"{path} is a directory, not a toolkit file")
            specs.append(load_toolkit(path))
        except SpecError as exc:
            bad = True
            for problem in exc.problems:
                print(_spec_problem_line(path, problem), file=sys.stderr)
        except (OSError, UnicodeDecodeError) as exc:
            bad = True
            print(f"{path}: cannot read: {exc}", file=sys.stderr)
    if bad:
        print(
            "gem-env check-toolkit: fix the files above (each must be a "
            "gem-env/toolkit@1 JSON document); nothing was checked",
            file=sys.stderr,
        )
        return EXIT_BAD_INPUT
    failed = False
    for spec in specs:
        report = check_toolkit(spec, examples=args.examples, seed=args.seed)
        failed = failed or not report.passed
        if args.json:
            print(report.model_dump_json(), flush=True)
        else:
            _print_report(report, sys.stdout)
    return EXIT_FAIL if failed else EXIT_OK


def _spec_problem_line(path: Path, problem: Any) -> str:
    where = str(path)
    if problem.line is not None:
        where += f":{problem.line}" + (f":{problem.col}" if problem.col is not None else "")
    if problem.path:
        where += f": {problem.path}"
    message = problem.message.replace(f"{path} is not JSON", "not JSON")
    return f"{where}: {message}"


def _print_report(report: Any, out: TextIO) -> None:
    stats = report.stats
    if report.passed:
        print(
            f"PASS {report.toolkit} ({stats.get('tools', 0)} tools, {stats.get('calls', 0)} calls)",
            file=out,
        )
    else:
        print(f"FAIL {report.toolkit}", file=out)
    for finding in report.findings:
        tool = f" [{finding.tool}]" if finding.tool else ""
        print(f"  {finding.severity} {finding.code}{tool}: {finding.message}", file=out)
        for i, step in enumerate(finding.sequence, 1):
            print(f"      {i}. {step['tool']}({_json(step['arguments'])})", file=out)
    out.flush()


def _json(value: Any) -> str:
    import json

    return json.dumps(value, ensure_ascii=False, sort_keys=True)


def _positive_int(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, not {value}")
    return value


# -- eval (synth/eval_command.py) -------------------------------------------------------


def _eval_arguments(p: argparse.ArgumentParser) -> None:
    from synth import eval_command

    eval_command.add_arguments(p)


def _eval(args: argparse.Namespace) -> int:
    from synth import eval_command

    return eval_command.run(args)


# -- run (synth/run_command.py) ---------------------------------------------------------


def _run_arguments(p: argparse.ArgumentParser) -> None:
    from synth import run_command

    run_command.add_arguments(p)


def _run(args: argparse.Namespace) -> int:
    from synth import run_command

    return run_command.run(args)


# -- check-scenario (synth/check_scenario_command.py) -----------------------------------


def _check_scenario_arguments(p: argparse.ArgumentParser) -> None:
    from synth import check_scenario_command

    check_scenario_command.add_arguments(p)


def _check_scenario(args: argparse.Namespace) -> int:
    from synth import check_scenario_command

    return check_scenario_command.run(args)


# -- verify (synth/verify_command.py) ---------------------------------------------------


def _verify_arguments(p: argparse.ArgumentParser) -> None:
    from synth import verify_command

    verify_command.add_arguments(p)


def _verify(args: argparse.Namespace) -> int:
    from synth import verify_command

    return verify_command.run(args)


# -- export (synth/export_command.py) ---------------------------------------------------


def _export_arguments(p: argparse.ArgumentParser) -> None:
    from synth import export_command

    export_command.add_arguments(p)


def _export(args: argparse.Namespace) -> int:
    from synth import export_command

    return export_command.run(args)


# -- view (synth/view_command.py) -----------------------------------------------------


def _view_arguments(p: argparse.ArgumentParser) -> None:
    from synth import view_command

    view_command.add_arguments(p)


def _view(args: argparse.Namespace) -> int:
    from synth import view_command

    return view_command.run(args)


def _lazy(module: str) -> tuple[Callable[[argparse.ArgumentParser], None], Handler]:
    """``(add_arguments, run)`` of a command module, imported only when used."""
    import importlib

    def add_arguments(p: argparse.ArgumentParser) -> None:
        importlib.import_module(module).add_arguments(p)

    def run(args: argparse.Namespace) -> int:
        return int(importlib.import_module(module).run(args))

    return add_arguments, run


_COMMANDS: dict[str, tuple[str, Callable[[argparse.ArgumentParser], None], Handler]] = {
    "run": (
        "mine text for procedures: relevance, extraction, grounding, verification into "
        "--out (resumable; no arguments: the bundled sample corpus, offline)",
        _run_arguments,
        _run,
    ),
    "check-toolkit": (
        "compile toolkits and property-test them (exit 0 all pass, 1 some fail, 2 bad input)",
        _check_toolkit_arguments,
        _check_toolkit,
    ),
    "check-scenario": (
        "check that scenarios pay only an agent that does the task: assertions evaluate, "
        "the goal is reachable, no do-nothing or echo agent is paid (exit 0 all valid, "
        "1 some invalid, 2 bad input)",
        _check_scenario_arguments,
        _check_scenario,
    ),
    "eval": (
        "run an agent k times per scenario; print pass@k and pass^k with confidence intervals",
        _eval_arguments,
        _eval,
    ),
    "verify": (
        "verify trajectories: one PASS/FAIL line each and a summary (exit 0 all pass, "
        "1 some fail, 2 bad input)",
        _verify_arguments,
        _verify,
    ),
    "export": (
        "export a run's trajectories for fine-tuning: openai, sharegpt (LLaMA-Factory) or "
        "hf (Parquet) (exit 0 written, 2 bad input)",
        _export_arguments,
        _export,
    ),
    "view": (
        "write a run directory's static HTML report (DIR/report.html: funnel, documents, "
        "trajectories, toolkits, eval) (exit 0 written, 2 bad input)",
        _view_arguments,
        _view,
    ),
    "import-python": (
        "convert a stateful Python class (MODULE:CLASS) into a toolkit by rewriting its "
        "syntax tree; --check N compares the two on random calls (exit 0 all converted "
        "and agreeing, 1 some tools left out or disagreeing, 2 bad input)",
        *_lazy("synth.import_python.command"),
    ),
    "suite": (
        "build an external eval suite (bfcl: BFCL multi-turn) as toolkits and scenarios "
        "for `gem-env eval`; --check replays its ground truth against the suite's own "
        "executor (exit 0 all built and no sandbox deviation, 1 some entries not built or "
        "a sandbox deviation, 2 bad input)",
        *_lazy("synth.suites.command"),
    ),
}
