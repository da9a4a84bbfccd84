"""Shared command line of the benchmarks: print rows of same-run ratios, or JSON.

A row is ``{"ratio": float, "target": float | None, <unit>: [measured, baseline],
"ratio_*": extra ratios}``; a target of None marks an informational row.
"""

from __future__ import annotations

import argparse
import json
import timeit
from collections.abc import Callable
from typing import Any


def best(stmt: Callable[[], Any], number: int, repeat: int = 7) -> float:
    """Best seconds per run of `stmt` over `repeat` rounds of `number` runs."""
    return min(timeit.repeat(stmt, number=number, repeat=repeat)) / number


def interleaved(
    stmts: dict[str, tuple[Callable[[], Any], int]], rounds: int = 9
) -> dict[str, float]:
    """Best seconds per run of each statement (``name -> (stmt, runs per round)``),
    measured in alternating rounds: a machine that slows down or speeds up during the
    benchmark (a virtual CPU, another process) weighs on every statement alike, so the
    ratios between them hold even when the raw times drift."""
    found = {name: float("inf") for name in stmts}
    for _ in range(rounds):
        for name, (stmt, number) in stmts.items():
            found[name] = min(found[name], timeit.timeit(stmt, number=number) / number)
    return found


def ratio_row(
    measured: float,
    baseline: float,
    target: float | None,
    unit: str,
    scale: float = 1.0,
    **extra: float,
) -> dict[str, Any]:
    """One row: ``measured / baseline`` against `target` (None: informational), with
    both raw values in `unit` (seconds times `scale`) and any extra ratios."""
    return {
        "ratio": round(measured / baseline, 2),
        "target": target,
        unit: [round(measured * scale, 2), round(baseline * scale, 2)],
        **{k: round(v, 2) for k, v in extra.items()},
    }


def ratio_main(
    run: Callable[[], dict[str, dict[str, Any]]], doc: str | None, argv: list[str] | None = None
) -> int:
    """Parse ``--json``, run the benchmark and print its ratios; return 0."""
    parser = argparse.ArgumentParser(
        description=doc, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--json", action="store_true", help="print JSON")
    args = parser.parse_args(argv)
    results = run()
    if args.json:
        print(json.dumps(results, indent=2))
        return 0
    print(f"{'benchmark':<33} {'ratio':>7}  target   raw (measured, baseline)")
    for name, row in results.items():
        unit = next(k for k in row if k not in ("ratio", "target") and not k.startswith("ratio_"))
        extra = "".join(f"  {k}={v}" for k, v in row.items() if k.startswith("ratio_"))
        if row["target"] is None:
            verdict = "(info)        "
        else:
            ok = "ok  " if row["ratio"] <= row["target"] else "MISS"
            verdict = f"<= {str(row['target']) + 'x':<5} {ok}"
        print(f"{name:<33} {row['ratio']:>6.2f}x  {verdict} {unit}={row[unit]}{extra}")
    return 0
