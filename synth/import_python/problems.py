"""What `gem-env import-python` reports: each construct it could not convert, and why."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

Severity = Literal["error", "warning"]


class ImportProblem(BaseModel):
    """One construct of the user's class, located in its source file.

    An ``error`` leaves the member it is in (and every tool that needs that member) out
    of the toolkit; a ``warning`` is a conversion that changes behaviour (a frozen
    clock, a local time zone read as UTC, int keys stored as strings) and says how.
    """

    severity: Severity = "error"
    line: int | None = Field(default=None, description="1-based line in the source file.")
    member: str = Field(default="", description="The method, attribute or constant concerned.")
    found: str = Field(description="What was found, e.g. 'super()' or 'import mpmath'.")
    message: str = Field(description="Why it does not convert and what to do.")

    def __str__(self) -> str:
        where = f"line {self.line}" if self.line is not None else "class"
        member = f" ({self.member})" if self.member else ""
        return f"{self.severity}: {where}{member}: {self.found}: {self.message}"


class ImportPythonError(Exception):
    """The class could not be imported or converted at all (bad MODULE:CLASS, a loader
    that fails, no tool left): the message says what to do."""
