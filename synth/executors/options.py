"""What a command needs to choose an executor, kept light (the CLI imports it at
start-up): the executor names, `ExecutorError`, and the ``--executor`` options."""

from __future__ import annotations

import argparse

__all__ = ["EXECUTORS", "ExecutorError", "add_executor_arguments", "positive_int"]

EXECUTORS = ("local", "ray")


class ExecutorError(RuntimeError):
    """The executor cannot start (Ray missing, cluster unreachable); the message says
    what to install or which address to give."""


def add_executor_arguments(p: argparse.ArgumentParser, what: str, default: str | None) -> None:
    """``--executor``, ``--ray-address`` and ``--ray-workers`` of a command whose
    `what` (documents, episodes) run locally or on Ray; `default` None leaves the
    executor to the command's config."""
    p.add_argument(
        "--executor", choices=list(EXECUTORS), default=default,
        help=f"where {what} run: this process (default) or Ray workers (extra 'ray')",
    )  # fmt: skip
    p.add_argument(
        "--ray-address", metavar="ADDR",
        help="Ray cluster to join, e.g. HEAD:6379 or ray://HEAD:10001 "
        "(default $RAY_ADDRESS, else a Ray started here)",
    )  # fmt: skip
    p.add_argument(
        "--ray-workers", type=positive_int, metavar="N",
        help="Ray workers (default: the cluster's CPUs, at most the concurrency)",
    )  # fmt: skip


def positive_int(text: str) -> int:
    """An argparse type: an integer of at least 1."""
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, not {value}")
    return value
