"""`--executor ray` on a local Ray instance: the pipeline and the eval rollouts give
the same trajectories, ledger and metrics as the local executor (heuristic backend,
oracle agent), and a Ray worker killed mid-task loses nothing."""

from __future__ import annotations

import asyncio
import json
import os
import signal
from pathlib import Path
from typing import Any

import pytest

ray = pytest.importorskip("ray")

from synth.cli import main  # noqa: E402
from synth.config import RunConfig  # noqa: E402
from synth.corpus import load_labels, sample_corpus_path  # noqa: E402
from synth.executors.local import LocalDocumentExecutor  # noqa: E402
from synth.executors.ray_documents import RayDocumentExecutor  # noqa: E402
from synth.pipeline import Pipeline  # noqa: E402
from synth.stage_backends import make_stage_backends  # noqa: E402

OUTPUT_FILES = ("trajectories.jsonl", "rejected.jsonl", "workflows.jsonl", "scenarios.jsonl")
VOLATILE = {"at", "wall_s"}  # row fields that are times, not results


@pytest.fixture(scope="module", autouse=True)
def local_ray() -> Any:
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    yield ray
    ray.shutdown()


@pytest.fixture(scope="module")
def long_corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Documents of several sample procedures each, so each takes seconds (many
    segments): a worker killed while one is in flight is killed mid-document."""
    labels = load_labels()
    texts = {}
    for line in sample_corpus_path().read_text().splitlines():
        record = json.loads(line)
        texts[record["id"]] = record["text"]
    procedures = [d for d, r in labels.items() if r["label"] == "tool_procedure"][:12]
    negatives = [d for d, r in labels.items() if r["label"] != "tool_procedure"][:3]
    path = tmp_path_factory.mktemp("corpus") / "long.jsonl"
    rows = []
    for i in range(0, len(procedures), 3):
        group = procedures[i : i + 3]
        rows.append({"id": f"long-{i // 3}", "text": "\n\n".join(texts[d] for d in group)})
    rows += [{"id": d, "text": texts[d]} for d in negatives]
    rows.append({"id": "empty", "text": ""})
    path.write_text("\n".join(json.dumps(r) for r in rows) + "\n{not json\n")
    return path


def _config(corpus: Path, out: Path, **extra: Any) -> RunConfig:
    return RunConfig(corpus=str(corpus), out=str(out), concurrency=4, segment_chars=900,
                     check_examples=5, **extra)  # fmt: skip


async def _run(config: RunConfig, executor: Any = None) -> Any:
    backends = make_stage_backends(config)
    if executor is None:
        executor = LocalDocumentExecutor(config, backends)
    return await Pipeline(config, backends, executor=executor).run()


@pytest.fixture(scope="module")
def local_run(long_corpus: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("local") / "out"
    summary = asyncio.run(_run(_config(long_corpus, out)))
    assert not summary.uncommitted
    (out.parent / "counters.json").write_text(json.dumps(_counted(summary)))
    return out


def _counted(summary: Any) -> dict[str, dict[str, float]]:
    """The run's counters that are counts (not times, not the cache)."""
    return {s: {k: v for k, v in row.items() if not k.endswith("wall_s")}
            for s, row in summary.counters.items() if s != "cache"}  # fmt: skip


def _rows(out: Path) -> list[dict[str, Any]]:
    return [json.loads(x) for x in (out / "outcomes.jsonl").read_text().splitlines()]


def _ledger(out: Path, *, final_only: bool = False) -> list[str]:
    """The ledger's rows without their times, in a canonical order."""
    rows = [r for r in _rows(out) if r.get("final") or not final_only]
    return sorted(
        json.dumps({k: v for k, v in r.items() if k not in VOLATILE}, sort_keys=True) for r in rows
    )


def _why(out: Path, documents: list[str]) -> list[tuple[str, str, str]]:
    """The rows that left `documents` uncommitted (for a failure message)."""
    return [(r["document_id"], r["reason"], r["error"][:300]) for r in _rows(out)
            if r["document_id"] in documents and r["status"] == "failed"]  # fmt: skip


def _outputs(out: Path) -> dict[str, list[str]]:
    files = {name: sorted((out / name).read_text().splitlines()) for name in OUTPUT_FILES}
    files["toolkits/"] = sorted(f"{p.name}:{p.read_text()}" for p in (out / "toolkits").iterdir())
    return files


def _assert_same_run(ray_out: Path, local_out: Path, *, final_only: bool = False) -> None:
    assert _outputs(ray_out) == _outputs(local_out)
    assert _ledger(ray_out, final_only=final_only) == _ledger(local_out, final_only=final_only)
    finals = [r["document_id"] for r in _rows(ray_out) if r.get("final")]
    assert len(finals) == len(set(finals)) == len([r for r in _rows(local_out) if r.get("final")])


def test_the_local_reference_run_keeps_and_drops(local_run: Path) -> None:
    finals = {r["document_id"]: r for r in _rows(local_run) if r.get("final")}
    assert {r["status"] for r in finals.values()} >= {"kept", "dropped", "failed"}
    assert sum(1 for r in finals.values() if r["status"] == "kept") >= 3
    assert len(finals) == 4 + 3 + 2  # the long documents, the negatives, two bad lines


def test_a_run_on_ray_commits_what_a_local_run_commits(
    long_corpus: Path, local_run: Path, tmp_path: Path
) -> None:
    config = _config(long_corpus, tmp_path / "ray")
    executor = RayDocumentExecutor(config, workers=2)
    summary = asyncio.run(_run(config, executor))
    assert not summary.uncommitted, _why(tmp_path / "ray", summary.uncommitted)
    _assert_same_run(tmp_path / "ray", local_run)
    counted = _counted(summary)
    assert counted == json.loads((local_run.parent / "counters.json").read_text())
    assert counted["grounding"]["episodes"] >= 3
    assert (
        summary.counters["cache"]["misses"]
        == counted["relevance"]["model_calls"] + (counted["extraction"]["model_calls"])
    )  # every call once, by one worker or the other (grounding's oracle calls none)


def test_a_hosted_model_proxy_gives_the_same_run(
    long_corpus: Path, local_run: Path, tmp_path: Path
) -> None:
    """The path an in-process vLLM or llama.cpp model takes on Ray (one actor holds
    the engine, workers call it), exercised with the heuristic backend."""
    config = _config(long_corpus, tmp_path / "hosted")
    executor = RayDocumentExecutor(config, workers=2, hosted_kinds=("heuristic",))
    summary = asyncio.run(_run(config, executor))
    assert not summary.uncommitted and executor.model_names["extraction"] == "heuristic"
    _assert_same_run(tmp_path / "hosted", local_run)


async def _pid_after_restart(executor: Any, index: int) -> int:
    """The pid of worker `index` once Ray has restarted it (0: the run ended first)."""
    for _ in range(300):
        if not executor.workers:
            return 0
        try:
            return (await executor.worker_pids())[index]
        except ray.exceptions.RayError:  # restarting: a call without retries fails
            await asyncio.sleep(0.1)
    raise AssertionError("Ray did not restart the killed worker within 30 s")


async def _run_killing_a_worker(config: RunConfig, executor: RayDocumentExecutor) -> Any:
    """The pipeline, with one Ray worker SIGKILLed while it has documents in flight;
    returns the summary and ``{"pid", "index", "after"}`` (the killed worker's pid, its
    index, its pid once restarted)."""
    killed: dict[str, int] = {}

    async def kill_when_busy() -> None:
        while not executor.workers or not any(executor.in_flight):
            await asyncio.sleep(0.05)
        await asyncio.sleep(0.5)  # well into the documents
        pids = await executor.worker_pids()
        busy = max(range(len(pids)), key=executor.in_flight.__getitem__)
        assert executor.in_flight[busy] > 0
        killed["pid"], killed["index"] = pids[busy], busy
        os.kill(pids[busy], signal.SIGKILL)
        killed["after"] = await _pid_after_restart(executor, busy)

    killer = asyncio.create_task(kill_when_busy())
    summary = await _run(config, executor)
    await asyncio.wait_for(killer, 60) if not killer.done() else killer.result()
    return summary, killed


def test_a_worker_killed_mid_document_loses_nothing(
    long_corpus: Path, local_run: Path, tmp_path: Path
) -> None:
    config = _config(long_corpus, tmp_path / "killed")
    executor = RayDocumentExecutor(config, workers=2)
    summary, killed = asyncio.run(_run_killing_a_worker(config, executor))
    assert killed["after"] not in (killed["pid"], 0)  # restarted during the run
    assert not summary.uncommitted  # Ray ran the lost documents again
    _assert_same_run(tmp_path / "killed", local_run, final_only=True)


def test_a_document_whose_worker_dies_too_often_is_left_for_a_rerun(
    long_corpus: Path, local_run: Path, tmp_path: Path
) -> None:
    out = tmp_path / "lost"
    config = _config(long_corpus, out)
    executor = RayDocumentExecutor(config, workers=2, task_retries=0)
    summary, _ = asyncio.run(_run_killing_a_worker(config, executor))
    assert summary.uncommitted  # the in-flight documents of the killed worker
    lost = [r for r in _rows(out) if r["reason"] == "worker_lost"]
    assert {r["document_id"] for r in lost} == set(summary.uncommitted)
    assert not any(r.get("final") for r in lost)
    assert all("rerun the same command" in r["error"] for r in lost)
    finals = {r["document_id"] for r in _rows(out) if r.get("final")}
    assert finals.isdisjoint(summary.uncommitted)
    again = asyncio.run(_run(config, RayDocumentExecutor(config, workers=2)))  # the rerun
    assert not again.uncommitted and again.resumed == len(finals)
    _assert_same_run(out, local_run, final_only=True)


def test_gem_env_run_executor_ray_from_the_command_line(
    long_corpus: Path, local_run: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "cli"
    args = ["run", str(long_corpus), "--out", str(out), "--concurrency", "4",
            "--executor", "ray", "--ray-workers", "2", "--no-progress",
            "--config", str(_toml(tmp_path))]  # fmt: skip
    assert main(args) == 0, capsys.readouterr().err
    _assert_same_run(out, local_run)
    assert (out / "report.html").exists()


def _toml(tmp_path: Path) -> Path:
    path = tmp_path / "run.toml"
    path.write_text("segment_chars = 900\ncheck_examples = 5\n")
    return path


def _rollouts(out: Path) -> dict[tuple[str, int], str]:
    rows = {}
    for line in (out / "rollouts.jsonl").read_text().splitlines():
        record = json.loads(line)
        rows[(record["rollout"]["scenario_id"], record["rollout"]["trial"])] = line
    return rows


@pytest.fixture(scope="module")
def local_eval(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("eval") / "local"
    assert main(["eval", "--model", "oracle", "-k", "2", "--out", str(out), "--no-progress"]) == 0
    return out


def test_eval_on_ray_writes_the_local_rollouts_and_metrics(
    local_eval: Path, tmp_path: Path
) -> None:
    out = tmp_path / "ray"
    args = ["eval", "--model", "oracle", "-k", "2", "--out", str(out), "--no-progress",
            "--executor", "ray", "--ray-workers", "2"]  # fmt: skip
    assert main(args) == 0
    assert _rollouts(out) == _rollouts(local_eval)
    ray_metrics = json.loads((out / "metrics.json").read_text())
    local_metrics = json.loads((local_eval / "metrics.json").read_text())
    assert ray_metrics["metrics"] == local_metrics["metrics"]
    assert ray_metrics["executor"] == "ray" and ray_metrics["episodes"]["ran"] == 30


def test_an_eval_worker_killed_mid_episode_loses_nothing(local_eval: Path, tmp_path: Path) -> None:
    import argparse

    from gem_env.rollouts import run_rollouts
    from synth.eval_command import _plan
    from synth.eval_participants import participants
    from synth.executors.ray_episodes import RayEpisodeRunner

    args = argparse.Namespace(
        scenarios=None, model="oracle", base_url=None, api_key=None, k=2, concurrency=4,
        out=str(tmp_path / "killed"), toolkit=None, user=None, no_scenario_check=False,
        reward="verifier", temperature=None, max_tokens=256, seed=0, no_progress=True,
        json=False, executor="ray", ray_address=None, ray_workers=2,
    )  # fmt: skip
    plan = _plan(args)
    make_env, make_agent = participants(args, plan, None)
    runner = RayEpisodeRunner(args, plan)
    runner.start()
    killed: dict[str, int] = {}

    async def kill_when_busy() -> None:
        while not any(runner.in_flight):
            await asyncio.sleep(0.01)
        pids = await runner.worker_pids()
        busy = max(range(len(pids)), key=runner.in_flight.__getitem__)
        killed["pid"] = pids[busy]
        os.kill(pids[busy], signal.SIGKILL)

    async def both() -> Any:
        killer = asyncio.create_task(kill_when_busy())
        try:
            return await run_rollouts(
                make_env, make_agent, plan["scenarios"], 2, concurrency=4,
                out_path=Path(args.out) / "rollouts.jsonl", progress=False,
                episode_runner=runner.run,
            )  # fmt: skip
        finally:
            await killer
            await runner.close()

    result = asyncio.run(both())
    assert killed["pid"] and result.complete and result.ran == 30
    assert _rollouts(Path(args.out)) == _rollouts(local_eval)


def test_an_unreachable_cluster_is_bad_input_at_once(tmp_path: Path, capsys) -> None:
    args = ["run", "--out", str(tmp_path / "x"), "--executor", "ray",
            "--ray-address", "127.0.0.1:1", "--no-progress"]  # fmt: skip
    assert main(args) == 2
    assert "nothing answers at 127.0.0.1:1" in capsys.readouterr().err
    args = ["eval", "--model", "oracle", "--executor", "ray", "--ray-address", "not-an-address",
            "--out", str(tmp_path / "e")]  # fmt: skip
    assert main(args) == 2
    assert "is not HOST:PORT" in capsys.readouterr().err
