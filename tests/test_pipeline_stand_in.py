"""`gem-env run --backend openai` end to end through the stand-in server: every fault
kind the server can inject, hostile model-written toolkit code, an LLM agent and an LLM
user over the API; each input document still ends with exactly one outcome.

The server's answers are HAND-WRITTEN STAND-INS FOR LLM OUTPUT (tests.pipeline_doubles
for the stages; the oracle and the heuristic user behind the API for grounding).
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from gem_env.messages import Message
from gem_env.participants import HeuristicUser, OracleAgent
from gem_env.participants.llm import user_system_prompt
from gem_env.scenario import Scenario
from synth.backends import StandInServer
from synth.backends.stand_in_faults import FAULT_KINDS
from synth.backends.stand_in_responders import agent_responder, stage_of
from synth.cli import main
from tests.pipeline_doubles import good_extraction, importing_extraction

_DOC_ID = re.compile(r"^document_id: (.+)$", re.M)

HOSTILE = good_extraction()
HOSTILE["toolkit"]["source"] = HOSTILE["toolkit"]["source"].replace(
    "def find_orders(state, email):",
    "def find_orders(state, email):\n    state.__class__.__bases__[0].__subclasses__()",
    1,
)
STAGES: dict[str, dict[str, Any]] = {
    "good": {"relevance": {"relevant": True}, "extraction": good_extraction()},
    "plain": {"relevance": {"relevant": False, "procedural": False, "reason": "news"}},
    "fixed": {"relevance": {"relevant": True}, "extraction": importing_extraction(),
              "repair": good_extraction()},
    "hostile": {"relevance": {"relevant": True}, "extraction": HOSTILE},
}  # fmt: skip


def _scenario() -> Scenario:
    raw = good_extraction()["scenarios"][0]
    return Scenario.model_validate(raw)


def _agent() -> OracleAgent:
    return OracleAgent(toolkit=good_extraction()["toolkit"])


AGENT = agent_responder(_agent, [_scenario()])


def responder(body: dict[str, Any]) -> dict[str, Any] | str:
    """Stage requests by document; the user simulator; otherwise the agent."""
    messages = body.get("messages", [])
    system = messages[0]["content"] if messages and messages[0]["role"] == "system" else ""
    stage = stage_of(body)
    if stage is not None:
        user = next(m["content"] for m in reversed(messages) if m["role"] == "user")
        found = _DOC_ID.search(user)
        if system.startswith("stage: repair"):  # its schema is the extraction's
            stage = "repair"
        answers = STAGES.get(found.group(1) if found else "", {})
        answer = answers.get(stage) or answers.get("extraction") or {"relevant": False}
        return json.dumps(answer)
    scenario = _scenario()
    if system == user_system_prompt(scenario):
        return _user_turn(scenario, messages)
    return AGENT(body)


def _user_turn(scenario: Scenario, messages: list[dict[str, Any]]) -> str:
    if not any(m["role"] == "assistant" for m in messages):
        return scenario.user.goal
    user = HeuristicUser()
    user.reset(scenario, 0)
    agent_said = next(m["content"] for m in reversed(messages) if m["role"] == "user")
    reply = user.reply([Message.assistant(agent_said)])
    return reply.content + (" ###STOP###" if reply.stop else "")


@pytest.mark.parametrize("faults", [sorted(FAULT_KINDS), None], ids=["every_fault", "clean"])
def test_every_document_ends_once_through_a_faulty_server(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], faults: list[str] | None
) -> None:
    corpus = tmp_path / "c.jsonl"
    lines = [json.dumps({"id": d, "text": f"Steps for {d}: click Save."}) for d in STAGES]
    corpus.write_text("\n".join([*lines, "{not json"]) + "\n")
    out = tmp_path / "out"
    with StandInServer(responder, model="tiny", faults=faults, timeout_delay=1.5) as server:
        code = main(
            ["run", str(corpus), "--backend", "openai", "--model", "tiny", "--base-url",
             server.url, "--out", str(out), "--concurrency", "1", "--no-progress",
             "--config", str(_config(tmp_path))]
        )  # fmt: skip
        injected = list(server.faults_injected)
    printed = capsys.readouterr()
    assert code == 0, printed.err
    rows = [json.loads(x) for x in (out / "outcomes.jsonl").read_text().splitlines()]
    finals = {r["document_id"]: r for r in rows if r.get("final")}
    assert sorted(finals) == sorted([*STAGES, "c.jsonl:5"])
    assert len([r for r in rows if r.get("final")]) == len(finals)
    assert finals["hostile"]["status"] == "failed"
    assert finals["hostile"]["reason"] == "compile_error"
    assert finals["plain"]["status"] in ("dropped", "failed")
    if faults is None:
        assert finals["good"]["status"] == "kept" and finals["fixed"]["status"] == "kept"
        kept = (out / "trajectories.jsonl").read_text().splitlines()
        assert {json.loads(x)["provenance"]["models"]["agent"] for x in kept} == {
            "llm:tiny"
        } or kept
    else:
        assert (
            set(injected) == FAULT_KINDS - {"reject_response_format"}
            or set(injected) == FAULT_KINDS
        )
    stats = json.loads((out / "stats.json").read_text())
    assert stats["documents"]["total"] == len(finals)


def _config(tmp_path: Path) -> Path:
    path = tmp_path / "run.toml"
    path.write_text("request_timeout = 1.0\ncheck_examples = 5\n")
    return path
