"""Typed errors of verifiers: misuse of the API, never a property of a trajectory.

A trajectory that fails a check is a finding in the report; these errors mean the
caller did something the API cannot do (and each message says what to do instead).
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable


class VerifierError(Exception):
    """Base of every error raised by verifiers."""


class NotATrajectoryError(VerifierError, TypeError):
    """`verify` got something that is not a `gem-env/trajectory@1` record."""


class UnknownCheckError(VerifierError, KeyError):
    """A check name that is not registered; the message lists close matches."""

    def __init__(self, name: str, known: Iterable[str]):
        known = sorted(known)
        close = difflib.get_close_matches(name, known, n=3)
        hint = f"did you mean {', '.join(close)}?" if close else f"known: {', '.join(known)}"
        super().__init__(f"unknown check {name!r}; {hint}")

    def __str__(self) -> str:  # KeyError would quote the message
        return str(self.args[0])


class CheckConfigError(VerifierError, ValueError):
    """A check or a list of checks is configured wrongly (the message says how to fix it)."""
