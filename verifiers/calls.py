"""Call validity: each tool call names a tool of the toolkit, with JSON arguments valid
against its schema (the runtime's own argument checks decide, so verify and the env agree)."""

from __future__ import annotations

from collections.abc import Iterator

from verifiers.base import CannotCheckError, Check
from verifiers.context import TrajectoryContext
from verifiers.report import CODES, Finding


class CallValidityCheck(Check):
    """`unknown_tool`, `malformed_arguments` (not a JSON object), `invalid_arguments`."""

    name = "call_validity"
    codes = CODES["call_validity"]

    def inspect(self, context: TrajectoryContext) -> Iterator[Finding]:
        problems = context.call_problems()
        if problems is None:
            raise CannotCheckError(f"no tool schemas to check against: {context.toolkit_error}")
        for site in context.call_sites:
            problem = problems.get(site.number)
            if problem is not None:
                yield self.finding(
                    problem.code, site.message_index, f"call {site.call.id!r}: {problem.detail}"
                )
