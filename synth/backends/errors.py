"""Typed errors of the LLM backends; each says what to do next.

`BackendUnavailableError` (the server cannot be reached, or kept failing after retries) and
`BackendRequestError` (the server refused the request: wrong model, key or arguments)
are developer errors when they happen before the first episode, as is
`BackendConfigError` (wrong backend options); the CLI turns them into exit code 2 with
the message.
"""

from __future__ import annotations


class BackendError(Exception):
    """Base of every error raised by a synth backend."""


class BackendUnavailableError(BackendError):
    """The model server could not be reached, or failed on every retry."""


class BackendRequestError(BackendError):
    """The model server refused the request (4xx other than 408/409/429); not retried."""

    def __init__(self, message: str, status: int | None = None):
        self.status = status
        super().__init__(message)


class BackendConfigError(BackendError, ValueError):
    """The backend options are wrong (an unknown kind, a missing ``--model``); raised
    before any model call, so the CLI exits 2 with the message."""
