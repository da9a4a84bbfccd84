"""`gem-env check-scenario`: is each scenario's reward earned only by doing the task?

    gem-env check-scenario FILE [--toolkit F] [--json] [--no-search] [--max-calls N]
    gem-env check-scenario --bundled

Loads every scenario and toolkit first (bad input exits 2 before any check), then runs
`gem_env.check_scenario` on each: ``PASS id`` or ``FAIL id`` with one line per finding
(``code: detail``), or with ``--json`` one report per line in input order
(``{"id", "passed", "findings": [{"code", "detail", "assertion", "output"}], ...}``),
then a summary on stderr. Exit 0 all valid, 1 some invalid, 2 bad input.
"""

from __future__ import annotations

import argparse
import collections
import sys
from typing import Any

from synth.inputs import BadInputError, read_scenarios, read_toolkit

EXIT_OK, EXIT_FAIL, EXIT_BAD_INPUT = 0, 1, 2


def add_arguments(p: argparse.ArgumentParser) -> None:
    """The options of `gem-env check-scenario`."""
    p.add_argument(
        "file", nargs="?", metavar="FILE",
        help="scenarios (JSON list, object with 'scenarios', or JSONL)",
    )  # fmt: skip
    p.add_argument("--bundled", action="store_true", help="check the bundled scenarios")
    p.add_argument(
        "--toolkit", metavar="F", help="toolkit for scenarios that do not name a bundled one"
    )
    p.add_argument("--json", action="store_true", help="print one JSON report per scenario")
    p.add_argument(
        "--no-search", action="store_true",
        help="static checks only (skip the bounded search for a way to reach the goal)",
    )  # fmt: skip
    p.add_argument(
        "--max-calls", type=_positive_int, default=20_000, metavar="N",
        help="budget of the bounded search, in tool calls per scenario (default 20000)",
    )  # fmt: skip


def run(args: argparse.Namespace) -> int:
    """Load everything, check each scenario, print the verdicts and a summary."""
    from gem_env.scenario_check import check_scenario
    from toolkits import ToolkitError

    try:
        scenarios, specs = _load(args)
    except BadInputError as exc:
        print(f"gem-env check-scenario: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    codes: collections.Counter[str] = collections.Counter()
    invalid = 0
    for scenario, spec in zip(scenarios, specs):
        try:
            report = check_scenario(
                scenario, spec, search=not args.no_search, max_calls=args.max_calls
            )
        except (ToolkitError, ValueError) as exc:  # e.g. an initial state the schema rejects
            print(f"gem-env check-scenario: {scenario.id}: {exc}", file=sys.stderr)
            return EXIT_BAD_INPUT
        invalid += not report.passed
        codes.update(f.code for f in report.findings)
        if args.json:
            print(report.model_dump_json(), flush=True)
        else:
            print(f"{'PASS' if report.passed else 'FAIL'} {report.id}")
            for finding in report.findings:
                print(f"  {finding.code}: {finding.detail}")
            sys.stdout.flush()
    summary = f"{len(scenarios)} scenario(s): {len(scenarios) - invalid} valid, {invalid} invalid"
    if codes:
        summary += " (" + ", ".join(f"{code} {n}" for code, n in sorted(codes.items())) + ")"
    print(summary, file=sys.stderr)
    return EXIT_FAIL if invalid else EXIT_OK


def _load(args: argparse.Namespace) -> tuple[list[Any], list[Any]]:
    """The scenarios and the toolkit spec of each, or `BadInputError` saying what to fix."""
    from gem_env.errors import GemEnvError
    from gem_env.registration import resolve_catalog
    from toolkits import ToolkitError

    if (args.file is None) == (not args.bundled):
        raise BadInputError("give a scenarios FILE or --bundled (not both)")
    scenarios = read_scenarios(args.file) if args.file is not None else None
    toolkit = read_toolkit(args.toolkit) if args.toolkit is not None else None
    where = args.file or "the bundled scenarios"
    try:
        catalog = resolve_catalog(toolkit, scenarios)
        specs = [catalog.specs[catalog.toolkit_key(s)] for s in catalog.scenarios]
    except (GemEnvError, ToolkitError) as exc:
        raise BadInputError(f"{where}: {exc}") from None
    return catalog.scenarios, specs


def _positive_int(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, not {value}")
    return value
