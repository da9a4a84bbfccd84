"""Is an extraction answer usable? Load, compile, property-test the toolkit and check
every scenario, in a worker process (the code is model-written).

`check_extraction(answer, ...)` is a plain function of plain data (it runs in a child
process of `CheckerPool`): it returns a `CheckVerdict` whose ``reason`` is a stable
ledger code and whose ``errors`` are the exact problems to send back to the model in a
repair round:

- ``invalid_toolkit``: the toolkit document is not a valid toolkit@1 (`SpecError`).
- ``compile_error``: the source does not compile under the sandbox policy.
- ``check_failed``: `check_toolkit` found problems (conformance, property tests).
- ``invalid_workflow``: a rule names a tool or invariant the toolkit does not have, or a
  step a tool it does not have.
- ``invalid_scenario``: no scenario is a valid scenario for the toolkit (fields, initial
  state, assertions that do not compile).
- ``unreachable_goal`` / ``scenario_loophole``: `check_scenario` findings (no scenario
  passes); ``unreachable_goal`` when every failing scenario is unreachable.

`CheckerPool` runs the checks in a process pool and survives a check that kills or
hangs its worker (``check_crashed`` / ``check_timeout`` verdicts).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import sys
from typing import Any

from pydantic import BaseModel, Field

__all__ = ["CheckVerdict", "CheckerPool", "check_extraction"]

_LINE_LIMIT = 64 * 1024 * 1024  # the longest verdict line (a toolkit's dump is in it)


class CheckVerdict(BaseModel):
    """The verdict on one extraction answer."""

    ok: bool
    reason: str = ""
    errors: list[str] = Field(default_factory=list, description="Exact problems, for repair.")
    scenarios: list[dict[str, Any]] = Field(
        default_factory=list, description="The scenarios that passed (JSON)."
    )
    toolkit: dict[str, Any] | None = Field(default=None, description="The toolkit, normalized.")
    scenario_reports: list[dict[str, Any]] = Field(default_factory=list)


def check_extraction(
    answer: dict[str, Any], *, examples: int = 20, seed: int = 0, max_calls: int = 20_000
) -> CheckVerdict:
    """Check an `ExtractionAnswer` (as JSON); see the module docstring for the codes."""
    from gem_env.registration import scenario_problems
    from gem_env.scenario import Scenario
    from gem_env.scenario_check import check_scenario
    from toolkits import CompileError, SpecError, check_toolkit, compile_toolkit, load_toolkit
    from toolkits.spec import dump_toolkit

    try:
        spec = load_toolkit(answer.get("toolkit"))
    except SpecError as exc:
        return CheckVerdict(ok=False, reason="invalid_toolkit", errors=_lines(exc))
    except (TypeError, ValueError) as exc:
        return CheckVerdict(ok=False, reason="invalid_toolkit", errors=[str(exc)])
    try:
        compiled = compile_toolkit(spec)
    except CompileError as exc:
        return CheckVerdict(ok=False, reason="compile_error", errors=_lines(exc))
    except (SpecError, ValueError) as exc:  # e.g. an initial state the schema rejects
        return CheckVerdict(ok=False, reason="invalid_toolkit", errors=_lines(exc))
    compiled.close()
    report = check_toolkit(spec, examples=examples, seed=seed)
    if not report.passed:
        errors = [
            f"{f.code}{f' [{f.tool}]' if f.tool else ''}: {f.message}"
            for f in report.findings
            if f.severity == "error"
        ]
        if errors:
            return CheckVerdict(ok=False, reason="check_failed", errors=errors[:20])
    workflow_errors = _workflow_problems(answer.get("workflow") or {}, spec)
    if workflow_errors:
        return CheckVerdict(ok=False, reason="invalid_workflow", errors=workflow_errors)
    good, errors, reports, unreachable = [], [], [], True
    for i, raw in enumerate(answer.get("scenarios") or []):
        try:
            scenario = Scenario.model_validate({**raw, "toolkit": None})
        except ValueError as exc:
            errors.append(f"scenarios[{i}]: {exc}")
            unreachable = False
            continue
        problems = scenario_problems(scenario, spec, f"scenarios[{i}]")
        if problems:
            errors += [f"{p.path}: {p.message}" for p in problems]
            unreachable = False
            continue
        verdict = check_scenario(scenario, spec, isolation="none", max_calls=max_calls)
        reports.append(verdict.model_dump())
        if verdict.passed:
            good.append(scenario.model_dump(mode="json", exclude_none=True))
            continue
        errors += [f"scenarios[{i}] {f.code}: {f.detail}" for f in verdict.findings]
        unreachable = unreachable and all(f.code == "unreachable_goal" for f in verdict.findings)
    toolkit = dump_toolkit(spec)
    if good:
        return CheckVerdict(ok=True, scenarios=good, toolkit=toolkit, scenario_reports=reports)
    if not errors:
        errors = ["the answer has no scenario"]
    reason = (
        "invalid_scenario"
        if not reports
        else ("unreachable_goal" if unreachable else "scenario_loophole")
    )
    return CheckVerdict(
        ok=False, reason=reason, errors=errors[:20], toolkit=toolkit, scenario_reports=reports
    )


def _workflow_problems(workflow: dict[str, Any], spec: Any) -> list[str]:
    tools = {t.function.name for t in spec.tools}
    problems = []
    for i, step in enumerate(workflow.get("steps") or []):
        tool = step.get("tool") if isinstance(step, dict) else None
        if tool is not None and tool not in tools:
            problems.append(f"workflow.steps[{i}].tool: no tool {tool!r} (tools: {sorted(tools)})")
    for i, rule in enumerate(workflow.get("rules") or []):
        by = rule.get("enforced_by") if isinstance(rule, dict) else None
        if not isinstance(by, dict):
            continue
        if "tool" in by and by["tool"] not in tools:
            problems.append(f"workflow.rules[{i}].enforced_by: no tool {by['tool']!r}")
        if "invariant" in by and not (
            isinstance(by["invariant"], int) and 0 <= by["invariant"] < len(spec.invariants)
        ):
            problems.append(
                f"workflow.rules[{i}].enforced_by: no invariant {by['invariant']!r} "
                f"(the toolkit has {len(spec.invariants)})"
            )
    return problems


def _lines(exc: Exception) -> list[str]:
    problems = getattr(exc, "problems", None)
    if problems:
        return [f"{p.path or 'toolkit'}: {p.message}" for p in problems][:20]
    return [str(exc)]


class CheckerPool:
    """Runs `check_extraction` in worker processes (``python -m
    synth.stages.extraction_check``: one JSON request per line on stdin, one verdict per
    line on stdout), `workers` at a time.

    A check that kills its worker gives a ``check_crashed`` verdict, one that runs past
    `timeout` seconds a ``check_timeout`` verdict; the worker is replaced either way.
    A plain subprocess, not multiprocessing: nothing of the parent (its ``__main__``,
    its threads) reaches the worker. `command` replaces the worker's command line
    (tests: a worker that dies or hangs).
    """

    def __init__(self, workers: int = 1, timeout: float = 300.0, command: list[str] | None = None):
        self.timeout = timeout
        self.command = command or [sys.executable, "-m", "synth.stages.extraction_check"]
        self._idle: asyncio.Queue[Any] | None = None
        self._workers = workers
        self._all: list[Any] = []

    async def _take(self) -> Any:
        if self._idle is None:
            self._idle = asyncio.Queue()
            for _ in range(self._workers):
                self._idle.put_nowait(None)  # a slot; the process starts on first use
        worker = await self._idle.get()
        if worker is None or worker.returncode is not None:
            worker = await asyncio.create_subprocess_exec(
                *self.command,
                stdin=asyncio.subprocess.PIPE,
                stdout=asyncio.subprocess.PIPE,
                limit=_LINE_LIMIT,
            )
            self._all.append(worker)
        return worker

    async def check(self, answer: dict[str, Any], **options: Any) -> CheckVerdict:
        """The verdict on `answer` (never raises for what the answer holds)."""
        worker = await self._take()
        keep: Any = worker
        try:
            request = json.dumps({"answer": answer, "options": options}, ensure_ascii=False)
            worker.stdin.write(request.encode("utf-8") + b"\n")
            await worker.stdin.drain()
            line = await asyncio.wait_for(worker.stdout.readline(), self.timeout)
            if not line:
                raise ConnectionError("the worker ended")
            return CheckVerdict.model_validate_json(line)
        except asyncio.TimeoutError:
            keep = _kill(worker)
            return CheckVerdict(
                ok=False,
                reason="check_timeout",
                errors=[f"checking the toolkit took longer than {self.timeout:.0f} s"],
            )
        except (ConnectionError, OSError, ValueError):
            keep = _kill(worker)
            return CheckVerdict(
                ok=False, reason="check_crashed", errors=["the toolkit check killed its worker"]
            )
        finally:
            assert self._idle is not None
            self._idle.put_nowait(keep)

    async def aclose(self) -> None:
        """Stop the workers and wait for them; idempotent."""
        workers, self._all = self._all, []
        for worker in workers:
            if worker.stdin is not None and not worker.stdin.is_closing():
                worker.stdin.close()  # a clean end of its loop
            try:
                await asyncio.wait_for(worker.wait(), 5)
            except asyncio.TimeoutError:
                _kill(worker)
                await worker.wait()


def _kill(worker: Any) -> None:
    """Kill a worker process (None: its slot starts a new one)."""
    if worker.returncode is None:
        with contextlib.suppress(ProcessLookupError):
            worker.kill()
    return None


def _serve() -> None:
    """The worker's loop: a request per stdin line, a verdict per stdout line. Whatever
    the checked code or a library prints goes to stderr, never into the protocol."""
    out = os.fdopen(os.dup(1), "w", encoding="utf-8")
    os.dup2(2, 1)
    sys.stdout = sys.stderr
    for line in sys.stdin:
        if not line.strip():
            continue
        request = json.loads(line)
        try:
            verdict = check_extraction(request["answer"], **request.get("options", {}))
        except Exception as exc:  # a bug in a check is a verdict, not a dead worker
            verdict = CheckVerdict(
                ok=False, reason="check_error", errors=[f"{type(exc).__name__}: {exc}"]
            )
        out.write(verdict.model_dump_json() + "\n")
        out.flush()


if __name__ == "__main__":
    _serve()
