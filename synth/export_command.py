"""`gem-env export`: write a run's trajectories in a fine-tuning format.

    gem-env export OUT_DIR --format openai|sharegpt|hf [--out FILE] [--include-rejected]

Reads ``OUT_DIR/trajectories.jsonl`` (and ``OUT_DIR/rejected.jsonl`` with
``--include-rejected``) and writes ``OUT_DIR/export/<format>.jsonl`` (``.parquet`` for
hf) or ``--out FILE``; the formats are described in `synth.exports`. Exit 0 when the
file is written, 2 on bad input (a missing directory or file, a corrupt line reported
as ``FILE:LINE: what is wrong``); nothing is written then.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from synth.exports import FORMATS, ExportError, write_export

EXIT_OK, EXIT_BAD_INPUT = 0, 2


def add_arguments(p: argparse.ArgumentParser) -> None:
    """The options of `gem-env export`."""
    p.add_argument("out_dir", metavar="OUT_DIR", help="the output directory of a run")
    p.add_argument(
        "--format", dest="fmt", choices=FORMATS, required=True,
        help="openai: chat fine-tuning JSONL; sharegpt: LLaMA-Factory ShareGPT JSONL "
        "(with dataset_info.json); hf: Parquet (with a README.md dataset card)",
    )  # fmt: skip
    p.add_argument(
        "--out", metavar="FILE",
        help="output file (default OUT_DIR/export/<format>.jsonl, .parquet for hf)",
    )  # fmt: skip
    p.add_argument(
        "--include-rejected", action="store_true",
        help="also export OUT_DIR/rejected.jsonl (trajectories that failed verification)",
    )  # fmt: skip


def run(args: argparse.Namespace) -> int:
    """Export; print the written path and the count, or the bad input on stderr."""
    try:
        path = write_export(
            args.out_dir, args.fmt, args.out, include_rejected=args.include_rejected
        )
    except ExportError as exc:
        print(f"gem-env export: {exc}", file=sys.stderr)
        print("gem-env export: nothing was exported", file=sys.stderr)
        return EXIT_BAD_INPUT
    except OSError as exc:
        print(f"gem-env export: cannot write: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    print(f"wrote {_count(path)} {args.fmt} records to {path}")
    return EXIT_OK


def _count(path: Path) -> int:
    if path.suffix == ".parquet":
        import pyarrow.parquet as pq

        return pq.ParquetFile(path).metadata.num_rows
    with open(path, "rb") as f:
        return sum(1 for line in f if line.strip())
