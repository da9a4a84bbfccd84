"""Benchmark: the cost of the sandbox, as ratios measured in one run (DESIGN.md section 7).

Run: ``python benchmarks/toolcall.py`` (add ``--json`` for machine-readable output).

1. a sandboxed call (parse + validate + run + atomicity + canonical JSON result) vs a
   plain harness (``json.loads`` of the arguments, the same function as plain Python,
   canonical JSON out)                                              target <= 5x
2. a loop-heavy tool body scanning 10,000 records, sandboxed vs plain  target <= 3x
3. a write call on a 10,000-record state vs on a 10-record state       target <= 2x
4. a call under ``isolation="process"`` (a worker process) vs in-process, the same
   read and write calls as row 1                                     target <= 3x
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from ratios import best, ratio_main, ratio_row

from toolkits import Limits, canonical_json, compile_toolkit

SOURCE = """
def _record(state, record_id):
    record = state["records"].get(record_id)
    if record is None:
        raise ToolError(f"no record {record_id}")
    return record


def get_record(state, record_id):
    record = _record(state, record_id)
    return {"record_id": record_id, "status": record["status"], "total": record["total"]}


def set_status(state, record_id, status, note=None):
    record = _record(state, record_id)
    if record["status"] == "closed" and status != "closed":
        raise ToolError("closed records cannot be reopened")
    record["status"] = status
    record["history"].append(status)
    if len(record["history"]) > 4:
        del record["history"][0]
    state["updates"] += 1
    return {"record_id": record_id, "status": status, "updates": state["updates"]}


def scan(state, min_total, status=None):
    count = 0
    amount = 0.0
    for record_id, record in state["records"].items():
        if record["total"] >= min_total and (status is None or record["status"] == status):
            count += 1
            amount += record["total"]
    return {"count": count, "amount": round(amount, 2)}
"""

STATUS = {"type": "string", "enum": ["open", "pending", "closed"]}
TOOLS = [
    ("get_record", {"record_id": {"type": "string"}}, ["record_id"]),
    (
        "set_status",
        {"record_id": {"type": "string"}, "status": STATUS, "note": {"type": "string"}},
        ["record_id", "status"],
    ),
    ("scan", {"min_total": {"type": "number"}, "status": STATUS}, ["min_total"]),
]


def make_spec(n_records: int) -> dict[str, Any]:
    """A toolkit whose state holds `n_records` records."""
    records = {
        f"R{i:05d}": {"status": ("open", "pending")[i % 2], "total": float(i % 97), "history": []}
        for i in range(n_records)
    }
    return {
        "format": "gem-env/toolkit@1",
        "name": "bench_records",
        "tools": [
            {
                "type": "function",
                "function": {
                    "name": name,
                    "description": name,
                    "parameters": {
                        "type": "object",
                        "properties": props,
                        "required": req,
                        "additionalProperties": False,
                    },
                },
            }
            for name, props, req in TOOLS
        ],
        "state_schema": {"type": "object", "required": ["records", "updates"]},
        "initial_state": {"records": records, "updates": 0},
        "source": SOURCE,
    }


class _PlainToolError(Exception):
    pass


def plain_functions() -> dict[str, Any]:
    """The same source as plain Python (no sandbox)."""
    namespace: dict[str, Any] = {"ToolError": _PlainToolError}
    exec(compile(SOURCE, "<plain>", "exec"), namespace)
    return namespace


def plain_call(funcs: dict[str, Any], state: dict[str, Any], name: str, args_text: str) -> str:
    """The plain harness: JSON arguments in, the function, canonical JSON out."""
    args = json.loads(args_text)
    try:
        return canonical_json(funcs[name](state, **args))
    except _PlainToolError as exc:
        return canonical_json({"error": str(exc)})


def run() -> dict[str, Any]:
    """Measure the three ratios; return them with the raw timings."""
    funcs = plain_functions()
    small, big = make_spec(10), make_spec(10_000)
    limits = Limits(max_steps=2_000_000)
    tk_small = compile_toolkit(small, limits=limits)
    tk_big = compile_toolkit(big, limits=limits)
    plain_small = json.loads(json.dumps(small["initial_state"]))
    plain_big = json.loads(json.dumps(big["initial_state"]))

    read_args = '{"record_id": "R00003"}'
    write_args = [
        '{"record_id": "R00003", "status": "open"}',
        '{"record_id": "R00003", "status": "pending"}',
    ]
    scan_args = '{"min_total": 10, "status": "open"}'
    for tk in (tk_small, tk_big):  # sanity: same results as plain Python
        assert tk.call("get_record", read_args).content == plain_call(
            funcs, plain_small, "get_record", read_args
        )
    assert tk_big.call("scan", scan_args).content == plain_call(funcs, plain_big, "scan", scan_args)

    i = [0]

    def sandbox_write(tk: Any) -> None:
        i[0] ^= 1
        tk.call("set_status", write_args[i[0]])

    def plain_write() -> None:
        i[0] ^= 1
        plain_call(funcs, plain_small, "set_status", write_args[i[0]])

    t_read_sandbox = best(lambda: tk_small.call("get_record", read_args), 5_000)
    t_read_plain = best(lambda: plain_call(funcs, plain_small, "get_record", read_args), 5_000)
    t_write_sandbox = best(lambda: sandbox_write(tk_small), 5_000)
    t_write_plain = best(plain_write, 5_000)
    t_scan_sandbox = best(lambda: tk_big.call("scan", scan_args), 20)
    t_scan_plain = best(lambda: plain_call(funcs, plain_big, "scan", scan_args), 20)
    t_write_big = best(lambda: sandbox_write(tk_big), 5_000)
    t_write_small = best(lambda: sandbox_write(tk_small), 5_000)
    with compile_toolkit(small, limits=limits, isolation="process") as tk_isolated:
        t_read_isolated = best(lambda: tk_isolated.call("get_record", read_args), 5_000)
        t_write_isolated = best(lambda: sandbox_write(tk_isolated), 5_000)

    return {
        "call_vs_plain": {
            "ratio": round((t_read_sandbox + t_write_sandbox) / (t_read_plain + t_write_plain), 2),
            "target": 5.0,
            "read_us": [round(t_read_sandbox * 1e6, 1), round(t_read_plain * 1e6, 1)],
            "write_us": [round(t_write_sandbox * 1e6, 1), round(t_write_plain * 1e6, 1)],
        },
        "loop_10k_vs_plain": {
            "ratio": round(t_scan_sandbox / t_scan_plain, 2),
            "target": 3.0,
            "ms": [round(t_scan_sandbox * 1e3, 2), round(t_scan_plain * 1e3, 2)],
        },
        "isolated_vs_in_process_call": ratio_row(
            t_read_isolated + t_write_isolated,
            t_read_sandbox + t_write_sandbox,
            3.0,
            "read_plus_write_us",
            1e6,
        ),
        "write_10k_vs_10_records": {
            "ratio": round(t_write_big / t_write_small, 2),
            "target": 2.0,
            "us": [round(t_write_big * 1e6, 1), round(t_write_small * 1e6, 1)],
        },
    }


def main(argv: list[str] | None = None) -> int:
    """Print the ratios (or JSON with --json); exit 0."""
    return ratio_main(run, __doc__, argv)


if __name__ == "__main__":
    raise SystemExit(main())
