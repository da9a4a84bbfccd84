"""State invariants after each replayed call (checked, not enforced: a call that breaks
one keeps its result, and the finding says which)."""

from __future__ import annotations

from collections.abc import Iterator

from verifiers.base import CannotCheckError, Check
from verifiers.context import TrajectoryContext
from verifiers.report import CODES, Finding


class InvariantCheck(Check):
    """`invariant_violated` at the assistant message whose call broke an invariant; an
    initial state that already breaks one is reported once, with no message index."""

    name = "invariants"
    codes = CODES["invariants"]
    wants_invariants = True

    def inspect(self, context: TrajectoryContext) -> Iterator[Finding]:
        replay = context.replay()
        if replay is None:
            raise CannotCheckError(f"nothing replayed: {context.toolkit_error}")
        broken = set(replay.initial_broken_invariants)
        for description in replay.initial_broken_invariants:
            yield self.finding(
                "invariant_violated", None, f"the initial state breaks: {description}"
            )
        for replayed in replay.calls:
            if not replayed.result.ok:
                continue
            site = replayed.site
            now = set(replayed.broken_invariants)
            for description in replayed.broken_invariants:
                if description not in broken:
                    yield self.finding(
                        "invariant_violated",
                        site.message_index,
                        f"call {site.call.id!r} ({site.call.function.name}) breaks: {description}",
                    )
            broken = now
