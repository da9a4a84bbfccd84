"""`gem-env suite NAME`: build an external eval suite as toolkits and scenarios.

Today one suite: ``bfcl`` (BFCL multi-turn, `synth.suites.bfcl`).
"""

from __future__ import annotations

import argparse


def add_arguments(p: argparse.ArgumentParser) -> None:
    """The arguments of `suite`: one subcommand per suite."""
    from synth.suites.bfcl import command as bfcl

    sub = p.add_subparsers(dest="suite", required=True, metavar="SUITE")
    bfcl_parser = sub.add_parser("bfcl", help=bfcl.HELP, description=bfcl.HELP)
    bfcl.add_arguments(bfcl_parser)
    bfcl_parser.set_defaults(suite_run=bfcl.run)


def run(args: argparse.Namespace) -> int:
    """Run the chosen suite's command."""
    return int(args.suite_run(args))
