"""`gem-env run` with no arguments: the bundled sample corpus on the embedded heuristic
backend, end to end, offline; and the outputs every other command reads."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from synth.cli import main
from synth.corpus import load_labels


@pytest.fixture(scope="module")
def sample_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("sample") / "out"
    assert main(["run", "--out", str(out), "--no-progress"]) == 0
    return out


def test_every_sample_document_has_one_final_outcome(sample_run: Path) -> None:
    rows = [json.loads(x) for x in (sample_run / "outcomes.jsonl").read_text().splitlines()]
    finals = [r["document_id"] for r in rows if r.get("final")]
    assert sorted(finals) == sorted(load_labels()) and len(finals) == len(set(finals))


def test_the_heuristic_backend_keeps_procedures_and_drops_the_rest(sample_run: Path) -> None:
    labels = load_labels()
    rows = [json.loads(x) for x in (sample_run / "outcomes.jsonl").read_text().splitlines()]
    kept = {r["document_id"] for r in rows if r["stage"] == "relevance" and r["status"] == "kept"}
    relevant = {d for d, r in labels.items() if r["label"] == "tool_procedure"}
    wrong = (kept - relevant) | (relevant - kept)
    assert len(wrong) <= 2, sorted(wrong)  # F1 >= 0.95 on 27 + 23 documents
    finals = {r["document_id"]: r for r in rows if r.get("final")}
    verified = {d for d in relevant if finals[d]["status"] == "kept"}
    assert len(verified) >= 0.9 * len(relevant)


def test_outputs_verify_evaluate_and_export(
    sample_run: Path, capsys: pytest.CaptureFixture
) -> None:
    assert main(["verify", str(sample_run / "trajectories.jsonl")]) == 0
    assert main(["check-scenario", str(sample_run / "scenarios.jsonl"), "--no-search"]) == 0
    scenarios, evaluated = str(sample_run / "scenarios.jsonl"), str(sample_run.parent / "eval")
    eval_args = ["--model", "oracle", "-k", "1", "--out", evaluated, "--no-progress"]
    assert main(["eval", "--scenarios", scenarios, *eval_args]) == 0
    assert main(["export", str(sample_run), "--format", "openai"]) == 0
    stats = json.loads((sample_run / "stats.json").read_text())
    assert stats["documents"]["total"] == len(load_labels())
    assert stats["trajectories"]["kept"] >= 1
    for line in (sample_run / "trajectories.jsonl").read_text().splitlines():
        provenance = json.loads(line)["provenance"]
        assert provenance["models"]["agent"] == "oracle" and provenance["document_id"]


def test_a_second_run_resumes_and_changes_nothing(sample_run: Path, capsys) -> None:
    before = (sample_run / "trajectories.jsonl").read_text()
    assert main(["run", "--out", str(sample_run), "--no-progress"]) == 0
    assert "50 document(s) resumed from an earlier run" in capsys.readouterr().out
    assert (sample_run / "trajectories.jsonl").read_text() == before
