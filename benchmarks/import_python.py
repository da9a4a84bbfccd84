"""Benchmark: what a class converted by `gem-env import-python` costs per call, as ratios
measured in one run against the original class.

Run: ``python benchmarks/import_python.py`` (add ``--json`` for machine-readable output).

The baseline is the original method behind the same harness as the toolkit's: JSON
arguments in, the method called on the live instance, canonical JSON out.

1. a read and a write call of the converted toolkit vs the original     target <= 5x
   (DESIGN.md section 7's bound for a sandboxed call vs a plain harness)
2. a draw of a generator kept in the state (its 625 words restored and saved each
   call) vs the original's draw                                        (informational)
3. calls on an object graph kept in the state's heap (cd, ls) vs the original
                                                                       (informational)
4. converting the class vs compiling the toolkit it gives             (informational)
"""

from __future__ import annotations

import json
import sys
import timeit
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import bench_classes
from ratios import interleaved, ratio_main, ratio_row

from synth.import_python import assemble, convert_class
from toolkits import canonical_json, compile_toolkit


def _harness(instance: Any, name: str, args_text: str) -> str:
    return canonical_json(getattr(instance, name)(**json.loads(args_text)))


def _toolkit(cls: type) -> Any:
    unit = convert_class(cls)
    return compile_toolkit(assemble([unit], name="bench", description="benchmark"))


def run() -> dict[str, Any]:
    """Measure the rows of the module docstring."""
    desk, tree = bench_classes.Desk(), bench_classes.Tree()
    desk_tk, tree_tk = _toolkit(bench_classes.Desk), _toolkit(bench_classes.Tree)
    read, write = '{"ticket_id": "T7"}', '{"ticket_id": "T7", "note": "called back"}'
    times = interleaved(
        {
            "read_tk": (lambda: desk_tk.call("get_ticket", read), 2000),
            "read_py": (lambda: _harness(desk, "get_ticket", read), 2000),
            "write_tk": (lambda: desk_tk.call("add_note", write), 2000),
            "write_py": (lambda: _harness(desk, "add_note", write), 2000),
            "draw_tk": (lambda: desk_tk.call("draw_code", "{}"), 500),
            "draw_py": (lambda: _harness(desk, "draw_code", "{}"), 500),
            "tree_tk": (
                lambda: (
                    tree_tk.call("cd", '{"name": "d3"}'),
                    tree_tk.call("ls", "{}"),
                    tree_tk.call("cd", '{"name": ".."}'),
                ),
                500,
            ),
            "tree_py": (
                lambda: (
                    _harness(tree, "cd", '{"name": "d3"}'),
                    _harness(tree, "ls", "{}"),
                    _harness(tree, "cd", '{"name": ".."}'),
                ),
                500,
            ),
        }
    )
    convert = min(timeit.repeat(lambda: convert_class(bench_classes.Desk), number=5, repeat=5)) / 5
    spec = assemble([convert_class(bench_classes.Desk)], name="bench", description="b")
    compiled = min(timeit.repeat(lambda: compile_toolkit(spec), number=5, repeat=5)) / 5
    return {
        "converted_call_vs_original": ratio_row(
            times["read_tk"] + times["write_tk"],
            times["read_py"] + times["write_py"],
            5.0,
            "read_plus_write_us",
            1e6,
        ),
        "state_kept_draw_vs_original": ratio_row(
            times["draw_tk"], times["draw_py"], None, "us", 1e6
        ),
        "heap_object_calls_vs_original": ratio_row(
            times["tree_tk"], times["tree_py"], None, "cd_ls_cd_us", 1e6
        ),
        "convert_vs_compile": ratio_row(convert, compiled, None, "ms", 1e3),
    }


def main(argv: list[str] | None = None) -> int:
    """Print the ratios (or JSON with --json); exit 0."""
    return ratio_main(run, __doc__, argv)


if __name__ == "__main__":
    sys.exit(main())
