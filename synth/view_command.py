"""`gem-env view`: write a run directory's static HTML report.

    gem-env view DIR [--out FILE]

Writes ``DIR/report.html`` (or ``--out FILE``): one self-contained page (no network) with
the funnel, the document outcomes, a trajectory viewer, a toolkit viewer and, when
``DIR/metrics.json`` exists (``gem-env eval --out DIR``), the eval tables; see
`synth.report`. Exit 0 when written, 2 on bad input (a missing directory, a directory
that holds no run output, an unwritable ``--out``).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

EXIT_OK, EXIT_BAD_INPUT = 0, 2


def add_arguments(p: argparse.ArgumentParser) -> None:
    """The options of `gem-env view`."""
    p.add_argument("run_dir", metavar="DIR", help="the output directory of a run (or of eval)")
    p.add_argument("--out", metavar="FILE", help="the HTML file to write (default DIR/report.html)")


def run(args: argparse.Namespace) -> int:
    """Write the report; print its path and size, or the bad input on stderr."""
    from synth.report import ReportError, write_report

    try:
        path = write_report(Path(args.run_dir), Path(args.out) if args.out else None)
    except ReportError as exc:
        print(f"gem-env view: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except OSError as exc:
        print(f"gem-env view: cannot write: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    print(f"wrote {path} ({path.stat().st_size / 1024:.0f} KB); open it in a browser")
    return EXIT_OK
