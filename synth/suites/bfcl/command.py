"""`gem-env suite bfcl [--categories ...] --out DIR [--check]`: the command line.

Writes ``DIR/scenarios.jsonl`` (one scenario per built entry, for ``gem-env eval
--scenarios DIR/scenarios.jsonl``), ``DIR/toolkits/*.json``, ``DIR/entries.jsonl`` (one
line per entry: built or not, and why) and, with ``--check``, ``DIR/agreement.json``
and the agreement table on stdout.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from pathlib import Path
from typing import Any

HELP = (
    "BFCL multi-turn as toolkits and scenarios for `gem-env eval` "
    "(needs: pip install --no-deps bfcl-eval mpmath)"
)
EXIT_OK, EXIT_FAIL, EXIT_BAD_INPUT = 0, 1, 2


def add_arguments(p: argparse.ArgumentParser) -> None:
    """The arguments of `suite bfcl`."""
    p.add_argument(
        "--categories",
        default="base,miss_param,miss_func,long_context",
        metavar="LIST",
        help="comma-separated multi-turn categories (default: all four, base, miss_param, "
        "miss_func, long_context)",
    )
    p.add_argument("--out", type=Path, required=True, metavar="DIR", help="the suite directory")
    p.add_argument(
        "--limit",
        type=int,
        default=0,
        metavar="N",
        help="only the first N entries of each category",
    )
    p.add_argument(
        "--check",
        action="store_true",
        help="replay every ground truth through BFCL's executor too and report "
        "the agreement per class",
    )


def run(args: argparse.Namespace) -> int:
    """Build (and check) the suite; return the exit code."""
    from synth.suites.bfcl import data
    from synth.suites.bfcl.build import SuiteBuilder

    categories = [c.strip() for c in args.categories.split(",") if c.strip()]
    try:
        data.installed()
        selected = [(c, data.entries(c)) for c in categories]
    except data.SuiteError as exc:
        print(f"gem-env suite bfcl: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    out: Path = args.out
    out.mkdir(parents=True, exist_ok=True)
    builder = SuiteBuilder(out)
    rows: dict[str, Any] = {}
    built_count = total = 0
    reasons: Counter[str] = Counter()
    with (
        (out / "scenarios.jsonl").open("w", encoding="utf-8") as scenarios,
        (out / "entries.jsonl").open("w", encoding="utf-8") as outcomes,
    ):
        for category, entries in selected:
            for entry in entries[: args.limit or None]:
                total += 1
                built = builder.build(entry, category)
                outcomes.write(
                    json.dumps(
                        {
                            "id": built.id,
                            "category": category,
                            "status": "built" if built.scenario else "not_built",
                            "reason": built.reason,
                            "toolkit": built.toolkit_file,
                        }
                    )
                    + "\n"
                )
                if built.scenario is None:
                    reasons[built.reason[:160]] += 1
                    continue
                built_count += 1
                scenarios.write(json.dumps(built.scenario, ensure_ascii=False) + "\n")
                if args.check:
                    _check(entry, built, builder, rows)
    print(f"{out}: {built_count}/{total} entries built (entries.jsonl says why the others are not)")
    for reason, count in reasons.most_common():
        print(f"  not built x{count}: {reason}")
    code = EXIT_OK if built_count == total else EXIT_FAIL
    if args.check:
        code = max(code, _report(rows, out))
    return code


def _check(entry: dict[str, Any], built: Any, builder: Any, rows: dict[str, Any]) -> None:
    from synth.suites.bfcl.check import check_entry

    check_entry(entry, built, rows, {n: builder.unit(n) for n in entry["involved_classes"]})


def _report(rows: dict[str, Any], out: Path) -> int:
    print("agreement with BFCL's executor (ground truth of every built entry):")
    print(f"  {'class':<20} {'calls':>13} {'final states':>14}")
    disagreements = []
    for name in sorted(rows):
        row = rows[name]
        print(
            f"  {name:<20} {row.calls_agree:>6}/{row.calls:<6} {row.states_agree:>6}/"
            f"{row.states:<6}"
        )
        disagreements.extend(row.disagreements)
    for d in disagreements[:20]:
        where = f"turn {d.turn} {d.call}" if d.turn is not None else "final state"
        print(
            f"  - {d.entry} {d.class_name} {where}: {d.cause}\n      bfcl:    "
            f"{_short(d.bfcl)}\n      gem-env: {_short(d.gem_env)}"
        )
    if len(disagreements) > 20:
        print(f"  ... {len(disagreements) - 20} more in agreement.json")
    (out / "agreement.json").write_text(
        json.dumps(
            {name: row.model_dump() for name, row in sorted(rows.items())}, indent=1, default=str
        )
        + "\n",
        "utf-8",
    )
    from synth.suites.bfcl.check import SANDBOX

    deviations = [d for d in disagreements if d.cause == SANDBOX]
    print(
        f"{len(disagreements)} disagreements, {len(deviations)} of them sandbox deviations "
        "(the others are BFCL's own: its data or its non-JSON values)"
    )
    return EXIT_FAIL if deviations else EXIT_OK


def _short(value: Any, limit: int = 240) -> str:
    text = value if isinstance(value, str) else json.dumps(value, default=str)
    return text if len(text) <= limit else text[:limit] + "..."
