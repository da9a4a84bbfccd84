"""Typed errors of the toolkits package.

Developer errors (a bad toolkit file, a bad state, code that does not compile) are
exceptions raised before any work starts, each listing every problem with where it
is and what to do. Failures *inside* a tool call are never exceptions: they are
`ToolResult(ok=False)` observations (see `toolkits.runtime`).
"""

from __future__ import annotations

from pydantic import BaseModel, Field


class Problem(BaseModel):
    """One problem found in a toolkit, located as precisely as possible."""

    path: str = Field(
        default="",
        description="Where the problem is: a JSON path into the toolkit such as "
        "'tools[1].function.parameters', or 'source' for code problems.",
    )
    message: str = Field(description="What is wrong and, where possible, what to do.")
    line: int | None = Field(default=None, description="1-based source line, for code problems.")
    col: int | None = Field(default=None, description="0-based column, for code problems.")
    offending: str | None = Field(
        default=None, description="The offending construct, e.g. 'Import' or 'attribute __class__'."
    )

    def __str__(self) -> str:
        where = self.path or "toolkit"
        if self.line is not None:
            where += f" line {self.line}"
        what = f" [{self.offending}]" if self.offending else ""
        return f"{where}:{what} {self.message}"


class ToolkitError(Exception):
    """Base of every error raised by `toolkits`; catch this to catch them all."""


class _ProblemsError(ToolkitError):
    headline = "problems"

    def __init__(self, problems: list[Problem], headline: str | None = None):
        self.problems = list(problems)
        head = headline or self.headline
        lines = "\n".join(f"  - {p}" for p in self.problems)
        super().__init__(f"{head} ({len(self.problems)} problem(s)):\n{lines}")


class SpecError(_ProblemsError):
    """The toolkit document is not a valid `gem-env/toolkit@1` toolkit.

    `problems` lists every problem with its JSON path; fix them in the file.
    """

    headline = "invalid toolkit"


class CompileError(_ProblemsError):
    """The toolkit's `source` does not compile under the sandbox policy.

    `problems` gives the line, the offending construct and the rule it breaks.
    """

    headline = "toolkit source does not compile in the sandbox"


class StateError(_ProblemsError):
    """A state given to `Toolkit.reset` is not JSON or not valid against `state_schema`."""

    headline = "invalid state"


class UnknownExampleError(ToolkitError, KeyError):
    """No bundled example toolkit has that name; the message lists close matches."""

    def __str__(self) -> str:  # KeyError would quote the message
        return str(self.args[0]) if self.args else ""
