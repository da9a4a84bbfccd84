"""The pipeline (`gem-env run`) on a scripted backend: one final outcome per input
document whatever happens to it, outputs that verify and evaluate, resume after a kill
at random moments to the same output, validate() errors, the checker's worker."""

from __future__ import annotations

import asyncio
import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from gem_env.env import ToolUseEnv
from gem_env.scenario import load_scenarios
from synth.cli import main
from synth.config import ConfigError, RunConfig, load_config
from synth.ledger import Ledger
from synth.stages.extraction_check import CheckerPool
from tests.pipeline_doubles import SCRIPT, corpus_lines, good_extraction, run_pipeline
from verifiers import verify

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    base = tmp_path_factory.mktemp("run")
    corpus = base / "corpus.jsonl"
    corpus.write_text("\n".join(corpus_lines()) + "\n", encoding="utf-8")
    asyncio.run(run_pipeline(str(corpus), str(base / "out")))
    return base


def _finals(out: Path) -> dict[str, tuple[str, str, str]]:
    rows = [json.loads(line) for line in (out / "outcomes.jsonl").read_text().splitlines()]
    finals = [r for r in rows if r.get("final")]
    ids = [r["document_id"] for r in finals]
    assert len(ids) == len(set(ids)), "a document has two final outcomes"
    return {r["document_id"]: (r["stage"], r["status"], r["reason"]) for r in finals}


def test_every_input_document_ends_with_exactly_one_final_outcome(run_dir: Path) -> None:
    finals = _finals(run_dir / "out")
    assert len(finals) == len(corpus_lines())  # the corrupt line and the duplicate too
    assert finals["good"] == ("grounding", "kept", "verified")
    assert finals["fixed"] == ("grounding", "kept", "verified")  # after one repair
    assert finals["plain"] == ("relevance", "dropped", "not_procedural")
    assert finals["recipe"] == ("relevance", "dropped", "no_tool_use")
    assert finals["looping"] == ("extraction", "failed", "check_failed")
    assert finals["garbage"] == ("extraction", "failed", "malformed_output")
    assert finals["corpus.jsonl:4"] == ("read", "failed", "read_error")
    assert finals["good#line8"] == ("read", "failed", "read_error")  # a duplicate id


def test_every_attempt_is_in_the_ledger_with_its_raw_output(run_dir: Path) -> None:
    rows = Ledger(run_dir / "out" / "outcomes.jsonl").rows()
    fixed = [r for r in rows if r.document_id == "fixed" and r.stage == "extraction"]
    assert [(r.attempt, r.status, r.reason) for r in fixed] == [
        (1, "failed", "compile_error"),
        (2, "kept", "checked"),
    ]
    assert "import os" in (fixed[0].raw_output or "") and "os" in fixed[0].error
    garbage = [r for r in rows if r.document_id == "garbage" and r.stage == "extraction"]
    assert len([r for r in garbage if not r.final]) == 2  # the same answer again: no more rounds
    assert all(r.raw_output and "Sure!" in r.raw_output for r in garbage)


def test_kept_trajectories_verify_and_name_their_document(run_dir: Path) -> None:
    out = run_dir / "out"
    lines = (out / "trajectories.jsonl").read_text().splitlines()
    assert len(lines) == 2
    for line in lines:
        record = json.loads(line)
        assert record["provenance"]["document_id"] in ("good", "fixed")
        assert record["provenance"]["models"]["agent"] == "oracle"
        assert record["verification"]["passed"] is True
        assert verify(record, isolation="process").passed
    assert (out / "rejected.jsonl").read_text() == ""


def test_the_run_directory_is_an_eval_suite(run_dir: Path, capsys: pytest.CaptureFixture) -> None:
    out = run_dir / "out"
    scenarios = load_scenarios(out)  # the directory: its scenarios.jsonl
    assert {s.id for s in scenarios} == {"good:cancel_return", "fixed:cancel_return"}
    assert all(Path(s.toolkit or "").is_file() for s in scenarios)
    env = ToolUseEnv(scenarios=out)
    env.reset(seed=0)
    env.close()
    workflows = [json.loads(x) for x in (out / "workflows.jsonl").read_text().splitlines()]
    assert all((out / w["toolkit"]).is_file() and w["steps"] for w in workflows)
    code = main(["eval", "--scenarios", str(out / "scenarios.jsonl"), "--model", "oracle",
                 "-k", "1", "--out", str(run_dir / "eval"), "--no-progress"])  # fmt: skip
    assert code == 0, capsys.readouterr()
    assert "2/2 successful trials" in capsys.readouterr().out


def test_stats_account_for_the_funnel(run_dir: Path) -> None:
    from synth.stats import write_stats

    out = run_dir / "out"
    stats = write_stats(out, RunConfig(corpus="x", out=str(out)), {})
    assert stats["documents"] == {
        "total": 8, "kept": 2, "dropped": 2, "failed": 4,
        "final_reasons": {"read_error": 2, "not_procedural": 1, "no_tool_use": 1,
                          "check_failed": 1, "malformed_output": 1},
    }  # fmt: skip
    assert stats["stages"]["relevance"]["in"] == 6 and stats["stages"]["relevance"]["kept"] == 4
    assert stats["stages"]["extraction"]["kept"] == 2
    assert stats["trajectories"]["kept"] == 2
    assert stats["trajectories"]["complexity"]["tool_calls"]["mean"] > 0


def test_a_rerun_resumes_without_duplicates_or_model_calls(run_dir: Path) -> None:
    out = run_dir / "out"
    before = {name: (out / name).read_text() for name in ("trajectories.jsonl", "scenarios.jsonl")}
    summary = asyncio.run(run_pipeline(str(run_dir / "corpus.jsonl"), str(out)))
    assert summary.resumed == len(corpus_lines()) and summary.processed == 0
    assert {name: (out / name).read_text() for name in before} == before


def test_the_cache_pays_for_no_call_twice(tmp_path: Path) -> None:
    from synth.pipeline import Pipeline
    from tests.pipeline_doubles import ScriptedStages

    corpus = tmp_path / "c.jsonl"
    corpus.write_text(json.dumps({"id": "good", "text": "Click Save."}) + "\n")
    cache = str(tmp_path / "cache.sqlite")
    first, second = ScriptedStages(), ScriptedStages()
    for backend, out in ((first, "a"), (second, "b")):  # a new run dir, the same cache
        config = RunConfig(corpus=str(corpus), out=str(tmp_path / out), cache=cache)
        stages = dict.fromkeys(("relevance", "extraction", "grounding"), backend)
        asyncio.run(Pipeline(config, stages).run())
    assert first.asked and second.asked == []
    assert (tmp_path / "a" / "trajectories.jsonl").read_text() == (
        tmp_path / "b" / "trajectories.jsonl"
    ).read_text()


def _comparable(out: Path) -> dict[str, object]:
    finals = _finals(out)
    files = {
        name: sorted((out / name).read_text().splitlines())
        for name in ("trajectories.jsonl", "rejected.jsonl", "scenarios.jsonl", "workflows.jsonl")
    }
    return {"finals": finals, **files}


def test_a_run_killed_at_random_moments_resumes_to_the_same_output(
    run_dir: Path, tmp_path: Path
) -> None:
    out = tmp_path / "killed"
    command = [sys.executable, "-m", "tests.pipeline_doubles", str(run_dir / "corpus.jsonl"),
               str(out)]  # fmt: skip
    rng = random.Random(7)
    kills = 0
    for _ in range(4):
        process = subprocess.Popen(command, cwd=ROOT, start_new_session=True)
        time.sleep(rng.uniform(0.3, 2.5))
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)  # the worker subprocess too
            kills += 1
        process.wait()
    subprocess.run(command, cwd=ROOT, check=True, timeout=300)
    assert kills >= 1
    assert _comparable(out) == _comparable(run_dir / "out")


# -- validate() and the config ---------------------------------------------------------


def _run(capsys: pytest.CaptureFixture, *args: str) -> tuple[int, str]:
    code = main(["run", *args, "--no-progress"])
    return code, capsys.readouterr().err


def test_validate_refuses_bad_input_before_any_work(
    tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    out = str(tmp_path / "out")
    code, err = _run(capsys, str(tmp_path / "nope.jsonl"), "--out", out)
    assert code == 2 and "nope.jsonl" in err
    wrong = tmp_path / "w.jsonl"
    wrong.write_text(json.dumps({"id": "a", "body": "Click Save."}) + "\n")
    code, err = _run(capsys, str(wrong), "--out", out)
    assert code == 2 and "--text-field" in err
    blocker = tmp_path / "file"
    blocker.write_text("")
    code, err = _run(capsys, str(wrong), "--text-field", "body", "--out", str(blocker / "x"))
    assert code == 2 and "not writable" in err
    code, err = _run(capsys, "--backend", "openai", "--out", out)
    assert code == 2 and "--model" in err
    code, err = _run(capsys, "--backend", "openai", "--model", "m", "--base-url",
                     "http://127.0.0.1:9/v1", "--out", out)  # fmt: skip
    assert code == 2 and "backend openai" in err
    assert not (tmp_path / "out" / "outcomes.jsonl").exists()  # no work started


def test_validate_refuses_a_model_the_server_does_not_serve(tmp_path: Path, capsys) -> None:
    from synth.backends import StandInServer

    with StandInServer(lambda body: "{}", model="tiny-llm") as server:
        code, err = _run(capsys, "--backend", "openai", "--model", "tiny-lm", "--base-url",
                         server.url, "--out", str(tmp_path / "out"))  # fmt: skip
        asked = [r for r in server.requests if "messages" in r]
    assert code == 2 and "tiny-llm" in err  # the close match is named
    assert asked == []  # no completion before the check


def test_a_run_directory_refuses_another_config(tmp_path: Path, capsys) -> None:
    out = tmp_path / "out"
    out.mkdir()
    (out / "run.json").write_text(json.dumps({"signature": "sha256:0000"}))
    code, err = _run(capsys, "--out", str(out), "--limit", "1")
    assert code == 2 and "another config" in err


def test_config_file_flags_and_print_config(tmp_path: Path, capsys) -> None:
    path = tmp_path / "run.toml"
    path.write_text('concurrency = 3\nmodel = "big"\n[stages.relevance]\nmodel = "small"\n')
    config = load_config(path, {"concurrency": 5})
    assert config.concurrency == 5 and config.stage("relevance").model == "small"
    assert config.stage("extraction").model == "big"
    assert main(["run", "--config", str(path), "--print-config"]) == 0
    printed = capsys.readouterr().out
    (tmp_path / "again.toml").write_text(printed)
    assert load_config(tmp_path / "again.toml", {}).stage("relevance").model == "small"
    for bad, needle in [
        ('[stages.typo]\nmodel = "x"\n', "unknown stage"),
        ("concurrency = 0\n", "concurrency"),
        ("colour = 1\n", "colour"),
        ("not toml = = 1\n", "not TOML"),
    ]:
        path.write_text(bad)
        with pytest.raises(ConfigError, match=needle):
            load_config(path, {})


# -- the checker's worker ---------------------------------------------------------------


def test_a_check_that_kills_or_hangs_its_worker_is_a_verdict() -> None:
    async def verdicts() -> list[str]:
        crash = CheckerPool(command=[sys.executable, "-c", "import os; os._exit(3)"])
        hang = CheckerPool(
            timeout=0.5, command=[sys.executable, "-c", "import time; time.sleep(60)"]
        )
        real = CheckerPool()
        try:
            out = [(await crash.check(good_extraction())).reason]
            out.append((await hang.check(good_extraction())).reason)
            out.append((await real.check(good_extraction(), examples=5)).reason or "ok")
            out.append((await crash.check(good_extraction())).reason)  # a new worker
            return out
        finally:
            for pool in (crash, hang, real):
                await pool.aclose()

    assert asyncio.run(verdicts()) == ["check_crashed", "check_timeout", "ok", "check_crashed"]


def test_the_script_covers_each_outcome_kind() -> None:
    assert {"good", "plain", "recipe", "fixed", "looping", "garbage"} == set(SCRIPT)
