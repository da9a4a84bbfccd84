"""Stage 3, grounding: run an agent and a simulated user against the compiled toolkit
(`ToolUseEnv`, process isolation: the code is model-written), then verify.

On the heuristic backend the agent is the privileged `OracleAgent` (named ``oracle`` in
provenance) and the user the deterministic `HeuristicUser`; on a model backend an
`LLMAgent` (it sees only the system prompt, the tools and the conversation) and an
`LLMUser` (its hidden goal, persona and known facts), both on the grounding stage's
backend. Each trajectory is verified with the default checks, and an LLM user's
fidelity findings (facts it made up) reject it too. Passing and failing trajectories
are both kept as `Grounded` items: the pipeline writes the first to
``trajectories.jsonl`` and the second, with their report, to ``rejected.jsonl``.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any, ClassVar

from gem_env.env import ToolUseEnv
from gem_env.participants import HeuristicUser, LLMAgent, LLMUser, OracleAgent
from gem_env.rollouts import arun_episode, trial_seed
from gem_env.scenario import Scenario
from gem_env.trajectory import Trajectory
from synth.ledger import Outcome
from synth.stages.base import Stage, StageContext, StageResult
from synth.stages.extraction import Extracted
from toolkits import load_toolkit
from verifiers import verify

__all__ = ["Grounded", "GroundingStage"]


@dataclass
class Grounded:
    """One grounded trajectory, its verification report (a dict) and the verdict."""

    trajectory: Trajectory
    report: dict[str, Any]
    passed: bool
    scenario: dict[str, Any]


class GroundingStage(Stage):
    """Ground every checked scenario `trials` times and verify each episode."""

    name: ClassVar[str] = "grounding"

    async def run(self, item: Any, ctx: StageContext) -> StageResult:
        """Episodes of `item` (an `Extracted`): one `Grounded` each, and a ledger row."""
        assert isinstance(item, Extracted)
        segment = item.segment
        spec = load_toolkit(item.toolkit)
        backend = ctx.backends[self.name]
        offline = backend.kind == "heuristic"
        results: list[Grounded] = []
        outcomes: list[Outcome] = []
        base = {"document_id": segment.document_id, "stage": self.name, "segment": segment.id}
        calls_before = getattr(backend, "calls", 0)
        tokens_before = (backend.usage.prompt_tokens, backend.usage.completion_tokens)
        for raw in item.scenarios:
            scenario = Scenario.model_validate({**raw, "id": f"{segment.id}:{raw['id']}"})
            for trial in range(ctx.config.trials):
                seed = trial_seed(scenario.id, trial, ctx.config.seed)
                try:
                    grounded = await self._episode(
                        spec,
                        scenario,
                        seed,
                        backend,
                        offline,
                        item,
                        ctx.config.episode_timeout,
                        ctx.backends["extraction"].name,
                    )
                except Exception as exc:  # a broken episode is an outcome, not a crash
                    why = f"{scenario.id}: {type(exc).__name__}: {exc}"
                    outcomes.append(Outcome(**base, status="failed", reason="episode_error",
                                            error=why))  # fmt: skip
                    continue
                results.append(grounded)
                ctx.count(self.name, "episodes")
        ctx.count(self.name, "model_calls", getattr(backend, "calls", 0) - calls_before)
        ctx.count(self.name, "prompt_tokens", backend.usage.prompt_tokens - tokens_before[0])
        ctx.count(
            self.name, "completion_tokens", backend.usage.completion_tokens - tokens_before[1]
        )
        kept = [g for g in results if g.passed]
        if kept:
            outcomes.append(Outcome(**base, status="kept", reason="verified",
                                    trajectories=[g.trajectory.id for g in kept]))  # fmt: skip
        elif results:
            codes = sorted({c for g in results for c in _codes(g.report)})
            outcomes.append(Outcome(**base, status="failed", reason="verification_failed",
                                    error="codes: " + ", ".join(codes)))  # fmt: skip
        return StageResult(items=results, outcomes=outcomes)

    async def _episode(
        self,
        spec: Any,
        scenario: Scenario,
        seed: int,
        backend: Any,
        offline: bool,
        item: Extracted,
        timeout: float,
        extraction_model: str,
    ) -> Grounded:
        if offline:
            agent: Any = OracleAgent(spec)
            user: Any = HeuristicUser(tools=spec)
        else:
            agent, user = LLMAgent(backend), LLMUser(backend)
        env = ToolUseEnv(toolkit=spec, scenarios=[scenario], user=user, isolation="process")
        try:
            episode = await asyncio.wait_for(
                arun_episode(env, agent, scenario=scenario, seed=seed), timeout
            )
        except asyncio.TimeoutError:
            raise TimeoutError(f"the episode took longer than {timeout:.0f} s") from None
        finally:
            await asyncio.to_thread(env.close)
        trajectory = episode.trajectory
        provenance = trajectory.provenance
        provenance.document_id = item.segment.document_id
        provenance.models["extraction"] = extraction_model
        provenance.segment = item.segment.id  # extra fields of the provenance
        provenance.span = list(item.segment.span)
        report = await asyncio.to_thread(verify, trajectory, isolation="process")
        data = report.to_dict()
        passed = bool(report.passed)
        fidelity = list(getattr(user, "findings", []) or [])
        if fidelity:
            passed = False
            data.setdefault("checks", []).append(
                {
                    "name": "user_fidelity",
                    "passed": False,
                    "findings": [
                        {"code": "user_invented_fact", "message_index": None, "detail": str(f)}
                        for f in fidelity
                    ],
                }
            )
            data["passed"] = False
        trajectory.verification = data
        return Grounded(trajectory, data, passed, scenario.model_dump(mode="json"))


def _codes(report: dict[str, Any]) -> list[str]:
    return [f["code"] for c in report.get("checks", []) for f in c.get("findings", [])]
