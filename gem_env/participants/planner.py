"""The heuristic agent's planner: search over tool calls on a private copy of the toolkit.

This is a *privileged* heuristic for the embedded default (no model, no key): it reads
the scenario (the user's known_info and goal, the goal assertions) and the toolkit, and
finds calls that make every goal assertion hold. It never peeks at the state for
argument values: every value comes from a `Fact` (what the user knows, the opening
message, the system prompt, earlier tool results), so the conversation it plays out is
grounded (DESIGN.md section 4).

1. Read closure: every candidate call is tried on the initial state; calls that succeed
   without changing the state are reads, and their results become facts (repeated
   until no new fact appears).
2. Best-first search over state-changing calls (writes), with a transposition table on
   state hashes; a node's priority prefers few writes, many satisfied assertions,
   writes that touch what the assertions name, and well-ranked arguments. The budget is
   a number of calls, so the search is deterministic.
3. The plan is minimized (writes whose removal keeps the goal are dropped), replayed
   from the initial state, and grounded: each id-like argument is traced to the system
   prompt, the opening message, a user fact (which the agent will ask for), an earlier
   write, or a read (which is added to the plan).
4. Evidence: an assertion that reads `calls` (`gem_env.goal_calls`, e.g. "the agent
   read the order that shows the item is final sale") is met by adding the first read
   of step 1 that makes it hold, grounded like the others. `Plan.goal_met` says whether
   the plan's calls meet every assertion (for a refusal: whether the goal already holds
   and the evidence was found).
"""

from __future__ import annotations

import heapq
import itertools
import json
from dataclasses import dataclass, field
from typing import Any

from gem_env.goal_calls import bind_calls, uses_calls
from gem_env.participants._text import appears, is_id_like, stems
from gem_env.participants._values import (
    as_text,
    call_key,
    compiles,
    contains,
    leaves,
    literals,
    strings,
    touches,
)
from gem_env.participants.arguments import Context, candidate_calls
from gem_env.participants.facts import (
    Fact,
    free_text,
    keywords,
    result_facts,
    text_facts,
    user_facts,
)
from gem_env.scenario import Scenario
from toolkits import CompiledToolkit, compile_toolkit
from toolkits.spec import ToolkitSpec


@dataclass
class PlannedCall:
    """A call of the plan with the result it gives on the agent's private toolkit."""

    name: str
    args: dict[str, Any]
    kind: str  # "read" or "write"
    content: str = ""
    value: Any = None
    uses: tuple[Fact, ...] = ()


@dataclass
class Plan:
    """What the heuristic agent will do: ask for facts, make calls, report."""

    solved: bool
    calls: list[PlannedCall] = field(default_factory=list)
    ask: list[str] = field(default_factory=list)  # known_info keys, in known_info order
    reason: str = ""  # why there is no plan ("goal_already_holds", "no_plan_found")
    calls_tried: int = 0
    goal_met: bool = False  # the calls of the plan meet every goal assertion


@dataclass(order=True)
class _Node:
    priority: tuple[float, int, int]
    state: dict[str, Any] = field(compare=False)
    state_hash: str = field(compare=False)
    writes: tuple[PlannedCall, ...] = field(compare=False)
    facts: tuple[Fact, ...] = field(compare=False)
    penalty: float = field(compare=False, default=0.0)


class Planner:
    """Plans a scenario on a private compiled toolkit (see the module docstring).

    Args:
        spec: the toolkit (the same one the env runs).
        scenario: the scenario; its initial_state overrides the toolkit's.
        tool_names: the tools the env offers (only these are used).
        max_calls: search budget in tool calls (deterministic).
        max_writes: longest plan considered.
    """

    def __init__(
        self,
        spec: CompiledToolkit | ToolkitSpec | dict[str, Any],
        scenario: Scenario,
        tool_names: list[str] | None = None,
        *,
        max_calls: int = 20_000,
        max_writes: int = 8,
        candidates_per_tool: int = 32,
        children_per_tool: int = 6,
    ):
        if isinstance(spec, CompiledToolkit):
            self.toolkit = spec  # the planner's own copy: it resets and changes it
        else:  # a model-written toolkit runs in a worker process, as in the env
            self.toolkit = compile_toolkit(spec, isolation="auto")
        self.scenario = scenario
        allowed = set(tool_names) if tool_names else set(self.toolkit.tool_names)
        self.tools = [
            (t.function.name, t.function.parameters)
            for t in self.toolkit.spec.tools
            if t.function.name in allowed
        ]
        self.max_calls = max_calls
        self.max_writes = max_writes
        self.cap = candidates_per_tool
        self.children_per_tool = children_per_tool
        self.calls = 0
        self.toolkit.reset(scenario.initial_state)
        self.root = self.toolkit.state
        self.root_hash = self.toolkit.state_hash()
        every = [a.expr for a in scenario.goal_assertions]
        self.assertions = [e for e in every if not uses_calls(e)]  # over the state alone
        self.evidence = [e for e in every if uses_calls(e)]  # over the calls made
        # one sandboxed evaluation for all assertions (compiled once per check)
        self._all = "[" + ", ".join(f"bool({e})" for e in self.assertions) + "]"
        self.literals = literals(every)
        goal = scenario.user.goal
        request = goal + " " + " ".join(strings(scenario.user.known_info))
        self.ctx = Context(stems(request), self.literals, free_text(goal), keywords(goal))
        self.base_facts = [
            *user_facts(scenario.user.known_info),
            *text_facts(goal, "opening", 1000),
            *text_facts(scenario.system_prompt, "system", 2000),
        ]
        self.reads: list[PlannedCall] = []
        self.unusable = [e for e in every if not compiles(e)]

    # -- public --------------------------------------------------------------------

    def plan(self) -> Plan:
        """Search for calls that make every goal assertion hold."""
        self._read_closure()
        if self.unusable:  # a goal that cannot be checked cannot be planned for
            return self._refusal("goal_assertion_does_not_compile")
        if self._unsatisfied() == 0:
            return self._refusal("goal_already_holds")
        writes = self._search()
        if writes is None:
            return self._refusal("no_plan_found")
        writes = self._minimize(list(writes))
        evidence, met = self._evidence(writes)
        return self._grounded(writes, evidence, met)

    # -- step 1: reads -------------------------------------------------------------

    def _read_closure(self, rounds: int = 3) -> None:
        tried: set[str] = set()
        facts = list(self.base_facts)
        for _ in range(rounds):
            added = False
            for name, params in self.tools:
                for cand in candidate_calls(name, params, facts, self.ctx, self.cap):
                    key = call_key(name, cand.args)
                    if key in tried or self.calls >= self.max_calls:
                        continue
                    tried.add(key)
                    result = self._call(name, cand.args)
                    if not result.ok:
                        continue
                    if self.toolkit.state_hash() != self.root_hash:
                        self.toolkit.reset(self.root)
                        continue
                    value = json.loads(result.content)
                    new = [
                        f
                        for f in result_facts(value, 10_000 + len(facts))
                        if not any(f.value == g.value and f.key == g.key for g in facts)
                    ]
                    self.reads.append(
                        PlannedCall(name, cand.args, "read", result.content, value, cand.uses)
                    )
                    if new:
                        added = True
                        facts.extend(new)
            if not added:
                break
        self.facts_after_reads = facts

    # -- step 2: search ------------------------------------------------------------

    def _search(self) -> tuple[PlannedCall, ...] | None:
        counter = itertools.count()
        start = _Node(
            (0.0, 0, next(counter)), self.root, self.root_hash, (), tuple(self.facts_after_reads)
        )
        heap = [start]
        seen = {self.root_hash}
        while heap and self.calls < self.max_calls:
            node = heapq.heappop(heap)
            if len(node.writes) >= self.max_writes:
                continue
            for child_writes, state, digest, unsat, relevant, rank in self._children(node, seen):
                if unsat == 0:
                    return child_writes
                depth = len(child_writes)
                penalty = node.penalty + (0.0 if relevant else 0.5) + 0.02 * rank
                f = depth + 1.5 * unsat + penalty
                facts = node.facts + tuple(
                    result_facts(child_writes[-1].value, 20_000 + 100 * depth)
                )
                heapq.heappush(
                    heap,
                    _Node((f, -depth, next(counter)), state, digest, child_writes, facts, penalty),
                )
        return None

    def _children(self, node: _Node, seen: set[str]):
        facts = list(node.facts)
        self.toolkit.reset(node.state)
        for name, params in self.tools:
            made = 0
            for cand in candidate_calls(name, params, facts, self.ctx, self.cap):
                if made >= self.children_per_tool or self.calls >= self.max_calls:
                    break
                result = self._call(name, cand.args)
                if not result.ok:
                    continue
                digest = self.toolkit.state_hash()
                if digest == node.state_hash:
                    continue  # a read
                if digest in seen:
                    self.toolkit.reset(node.state)
                    continue
                seen.add(digest)
                made += 1
                state = self.toolkit.state
                unsat = self._unsatisfied()
                relevant = touches(node.state, state, self.literals)
                self.toolkit.reset(node.state)
                call = PlannedCall(
                    name, cand.args, "write", result.content, json.loads(result.content), cand.uses
                )
                yield (*node.writes, call), state, digest, unsat, relevant, cand.rank

    # -- step 3: minimize and ground ------------------------------------------------

    def _replay(self, writes: list[PlannedCall]) -> list[PlannedCall] | None:
        self.toolkit.reset(self.root)
        out = []
        for w in writes:
            before = self.toolkit.state_hash()
            result = self._call(w.name, w.args)
            if not result.ok or self.toolkit.state_hash() == before:
                return None
            out.append(
                PlannedCall(
                    w.name, w.args, "write", result.content, json.loads(result.content), w.uses
                )
            )
        return out if self._unsatisfied() == 0 else None

    def _minimize(self, writes: list[PlannedCall]) -> list[PlannedCall]:
        i = len(writes) - 1
        while i >= 0:
            shorter = writes[:i] + writes[i + 1 :]
            if shorter and self._replay(shorter) is not None:
                writes = shorter
            i -= 1
        return self._replay(writes) or writes

    def _evidence(self, writes: list[PlannedCall]) -> tuple[list[int], bool]:
        """The reads (indexes into `self.reads`) that meet the assertions over `calls`,
        with the `writes` (already replayed: the toolkit is in their final state), and
        whether every such assertion then holds."""
        chosen: list[int] = []
        for expr in self.evidence:
            made = [self.reads[i] for i in chosen] + writes
            if self._holds_with(expr, made):
                continue
            for i, read in enumerate(self.reads):
                if self.calls >= self.max_calls:
                    break
                if i not in chosen and self._holds_with(expr, [*made, read]):
                    chosen.append(i)
                    break
            else:
                return chosen, False
        return chosen, True

    def _holds_with(self, expr: str, made: list[PlannedCall]) -> bool:
        self.calls += 1  # an evaluation counts against the budget like a call
        return self.toolkit.holds(bind_calls(expr, [_as_recorded(c) for c in made]))[0]

    def _grounded(self, writes: list[PlannedCall], evidence: list[int], met: bool) -> Plan:
        texts = [self.scenario.system_prompt, self.scenario.user.goal]
        asked: set[str] = set()
        needed_reads: set[int] = set()

        def ground(value: Any, earlier: list[PlannedCall], read_limit: int) -> None:
            if any(appears(as_text(value), t) for t in texts):
                return
            if any(contains(c.value, value) for c in earlier):
                return
            for f in self.base_facts:
                if f.source == "user" and contains(f.value, value):
                    asked.add(f.user_key or "")
                    return
            holding = [i for i, r in enumerate(self.reads[:read_limit]) if contains(r.value, value)]
            if not holding:
                return  # ungrounded: the verifier will say so
            # prefer a read already in the plan, then one whose own arguments need the
            # fewest other reads, then the earliest
            index = min(
                holding,
                key=lambda i: (
                    i not in needed_reads,
                    sum(1 for f in self.reads[i].uses if f.source == "result"),
                    i,
                ),
            )
            if index in needed_reads:
                return
            needed_reads.add(index)
            read = self.reads[index]
            for leaf in _sourced_values(read):
                ground(leaf, [], index)

        for index in evidence:
            if index not in needed_reads:
                needed_reads.add(index)
                for leaf in _sourced_values(self.reads[index]):
                    ground(leaf, [], index)
        for i, w in enumerate(writes):
            for value in _sourced_values(w):
                ground(value, writes[:i], len(self.reads))
            asked.update(f.user_key or "" for f in w.uses if f.source == "user")
        reads = [r for i, r in enumerate(self.reads) if i in needed_reads]
        for r in reads:
            asked.update(f.user_key or "" for f in r.uses if f.source == "user")
        order = list(self.scenario.user.known_info)
        ask = [k for k in order if k in asked]
        return Plan(bool(writes), [*reads, *writes], ask, "", self.calls, met)

    def _refusal(self, reason: str) -> Plan:
        """No writes: look up what the request is about (reads that mention what the
        goal assertions name, and the reads the assertions over `calls` need), then
        explain. The goal is met when it already held and the evidence was found."""
        about = []
        for i, read in enumerate(self.reads):
            if len(about) >= 2:
                break
            if any(read.content == self.reads[j].content for j in about):
                continue
            if any(appears(lit, read.content) for lit in self.literals if is_id_like(lit)) and all(
                f.source != "result" for f in read.uses
            ):
                about.append(i)
        evidence, met = self._evidence([]) if reason == "goal_already_holds" else ([], False)
        plan = self._grounded([], about + [i for i in evidence if i not in about], met)
        plan.reason = reason
        return plan

    # -- helpers -------------------------------------------------------------------

    def _call(self, name: str, args: dict[str, Any]):
        self.calls += 1
        return self.toolkit.call(name, args)

    def _unsatisfied(self) -> int:
        result = self.toolkit.evaluate(self._all)
        if result.ok:
            return sum(1 for held in result.value if held is not True)
        # an assertion fails to evaluate: count them one by one
        return sum(1 for expr in self.assertions if not self.toolkit.holds(expr)[0])


def _as_recorded(call: PlannedCall) -> dict[str, Any]:
    """A planned call as an assertion's `calls` shows it (`gem_env.goal_calls`)."""
    failed = isinstance(call.value, dict) and set(call.value) == {"error"}
    return {"name": call.name, "arguments": call.args, "ok": not failed, "result": call.value}


def _sourced_values(call: PlannedCall) -> list[Any]:
    """Values of a call that need a source: id-like ones (what the grounding check
    verifies) and any taken from a tool result (e.g. a license id without digits)."""
    values = [v for v in leaves(call.args) if is_id_like(v)]
    values += [f.value for f in call.uses if f.source == "result" and f.value not in values]
    return values
