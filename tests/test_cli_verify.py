"""`gem-env verify` end to end: verdict lines, summary, exit codes, --json, --out, stdin."""

from __future__ import annotations

import copy
import io
import json
from pathlib import Path
from typing import Any

import pytest

from synth.backends import StandInServer, scripted
from synth.cli import main

FIXTURE = Path(__file__).parent / "fixtures" / "trajectory-library_loans.jsonl"
GOOD_ID = "example-traj-0001"
DEFAULT = ["structure", "call_validity", "replay", "invariants", "goal", "grounding"]


def _good() -> dict[str, Any]:
    return json.loads(FIXTURE.read_text(encoding="utf-8"))


def _bad_observation() -> dict[str, Any]:
    """The loan's tool message (index 13) says another due day than replay gives."""
    record = copy.deepcopy(_good())
    record["id"] = "bad-observation"
    assert record["messages"][13]["role"] == "tool"
    record["messages"][13]["content"] = '{"due_day":999,"loan_id":"L-41"}'
    return record


def _bad_final_state() -> dict[str, Any]:
    record = copy.deepcopy(_good())
    record["id"] = "bad-final-state"
    record["final_state_hash"] = "sha256:" + "0" * 64
    return record


def _write(path: Path, lines: list[dict[str, Any] | str]) -> Path:
    text = "".join((x if isinstance(x, str) else json.dumps(x)) + "\n" for x in lines)
    path.write_text(text, encoding="utf-8")
    return path


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, list[str], str]:
    code = main(["verify", *argv])
    captured = capsys.readouterr()
    return code, captured.out.splitlines(), captured.err


def test_the_good_fixture_passes(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = _run(capsys, str(FIXTURE))
    assert code == 0, err
    assert out == [f"PASS {GOOD_ID}", "1 trajectory: 1 passed, 0 failed, 0 unreadable"]


def test_the_envs_own_trajectories_pass(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Done-criterion: every bundled scenario played by the heuristic agent verifies."""
    runs = tmp_path / "eval"
    assert main(["eval", "--model", "oracle", "-k", "1", "--out", str(runs), "--no-progress"]) == 0
    capsys.readouterr()
    rollouts = runs / "rollouts.jsonl"
    count = sum(1 for line in rollouts.read_text().splitlines() if line.strip())
    assert count > 0
    code, out, err = _run(capsys, str(rollouts))
    assert code == 0, "\n".join(out) + err
    verdicts = out[:count]
    assert all(line.startswith("PASS ") for line in verdicts), verdicts
    assert out[count] == f"{count} trajectories: {count} passed, 0 failed, 0 unreadable"


def test_failures_exit_1_with_codes_and_a_summary(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = _write(
        tmp_path / "t.jsonl", [_bad_observation(), _good(), _bad_final_state(), _bad_observation()]
    )
    code, out, _ = _run(capsys, str(path))
    assert code == 1
    assert out[:4] == [
        "FAIL bad-observation  replay: observation_mismatch@13",
        f"PASS {GOOD_ID}",
        "FAIL bad-final-state  replay: final_state_mismatch@-",
        "FAIL bad-observation  replay: observation_mismatch@13",
    ]
    assert out[4] == "4 trajectories: 1 passed, 3 failed, 0 unreadable"
    counts = [line.split() for line in out[5:]]
    assert counts == [["observation_mismatch", "2"], ["final_state_mismatch", "1"]]


def test_corrupt_lines_exit_2_and_the_others_still_run(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    wrong = {"format": "gem-env/trajectory@1", "id": "x"}  # JSON, but no toolkit etc.
    lines = [_good(), "{not json", "", wrong, _bad_final_state()]
    path = _write(tmp_path / "t.jsonl", lines)
    code, out, _ = _run(capsys, str(path))
    assert code == 2
    assert out[0] == f"PASS {GOOD_ID}"
    assert out[1].startswith(f"ERROR {path}:2: not JSON")
    assert out[2].startswith(f"ERROR {path}:4: ") and "toolkit" in out[2]
    assert out[3] == "FAIL bad-final-state  replay: final_state_mismatch@-"
    assert out[4] == "4 trajectories: 1 passed, 1 failed, 2 unreadable"


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda d: d / "missing.jsonl", "cannot read {path}: "),
        (lambda d: d, "cannot read {path}: it is a directory"),
        (
            lambda d: _bytes(d / "latin1.jsonl", b"\xff\xfe caf\xe9\n"),
            "cannot read {path}: not UTF-8",
        ),
        (lambda d: _bytes(d / "empty.jsonl", b"\n\n"), "no trajectories in {path}"),
    ],
    ids=["missing", "directory", "not-utf8", "empty"],
)
def test_unreadable_files_exit_2(
    make: Any, message: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = make(tmp_path)
    code, _, err = _run(capsys, str(path))
    assert code == 2
    assert f"gem-env verify: {message.format(path=path)}" in err
    assert "Traceback" not in err


def _bytes(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


def test_an_unreadable_file_does_not_stop_the_next(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    empty = _bytes(tmp_path / "empty.jsonl", b"")
    code, out, err = _run(capsys, str(empty), str(FIXTURE))
    assert code == 2
    assert out[0] == f"PASS {GOOD_ID}"
    assert f"no trajectories in {empty}" in err


def test_json_mode_one_line_per_record_in_order(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = _write(tmp_path / "t.jsonl", [_bad_observation(), "[1, 2]", _good()])
    code, out, err = _run(capsys, "--json", str(path))
    assert code == 2
    records = [json.loads(line) for line in out]
    assert len(records) == 3
    assert set(records[0]) == {"id", "passed", "checks"}
    assert (records[0]["id"], records[0]["passed"]) == ("bad-observation", False)
    replay = next(c for c in records[0]["checks"] if c["name"] == "replay")
    assert replay["findings"][0]["code"] == "observation_mismatch"
    assert replay["findings"][0]["message_index"] == 13
    assert [c["name"] for c in records[2]["checks"]] == DEFAULT
    assert records[1] == {"id": None, "line": 2, "file": str(path), "error": records[1]["error"]}
    assert "JSON object" in records[1]["error"]
    assert records[2]["id"] == GOOD_ID and records[2]["passed"] is True
    assert "3 trajectories: 1 passed, 1 failed, 1 unreadable" in err


def test_checks_selects_a_subset(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = _write(tmp_path / "t.jsonl", [_bad_final_state()])
    code, out, _ = _run(
        capsys, "--json", "--checks", "structure,goal", "--checks", "grounding", str(path)
    )
    assert code == 0  # replay, the only check that would fail, did not run
    assert [c["name"] for c in json.loads(out[0])["checks"]] == ["structure", "goal", "grounding"]


def test_an_unknown_check_exits_2_with_a_suggestion(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = _run(capsys, "--checks", "structure,replya", str(FIXTURE))
    assert code == 2 and out == []
    assert "unknown check 'replya'" in err and "did you mean replay" in err


def test_judge_needs_a_model(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = _run(capsys, "--checks", "judge", str(FIXTURE))
    assert code == 2 and out == []
    assert "--judge-model" in err and "--judge-base-url" in err
    code, _, err = _run(capsys, "--judge-base-url", "http://127.0.0.1:1/v1", str(FIXTURE))
    assert code == 2 and "need --judge-model" in err


def test_judge_runs_against_a_model_server(capsys: pytest.CaptureFixture[str]) -> None:
    """The judge reaches the server; an answer that is not a verdict is a judge_error."""
    with StandInServer(scripted(["I cannot judge that."]), model="judge-m") as server:
        url = ["--judge-base-url", server.url]
        code, out, _ = _run(
            capsys, "--checks", "judge", "--judge-model", "judge-m", *url, str(FIXTURE)
        )
        assert code == 1
        assert out[0] == f"FAIL {GOOD_ID}  judge: judge_error@-"
        assert server.requests  # the judge asked the model, with a bounded answer
        assert server.requests[-1]["max_tokens"] == 1024
        code, out, err = _run(capsys, "--judge-model", "judge-n", *url, str(FIXTURE))
        assert code == 2 and out == []
        assert "does not serve 'judge-n'" in err and "'judge-m'" in err


def test_out_writes_the_reports(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    good = _good()
    good["rollout"] = {"trial": 0}  # extra keys (as eval writes) are kept
    path = _write(tmp_path / "t.jsonl", [good, "oops", _bad_observation()])
    out_file = tmp_path / "verified.jsonl"
    code, _, _ = _run(capsys, "--out", str(out_file), str(path))
    assert code == 2
    written = [json.loads(line) for line in out_file.read_text().splitlines()]
    assert [r["id"] for r in written] == [GOOD_ID, "bad-observation"]
    assert written[0]["verification"]["passed"] is True
    assert written[0]["rollout"] == {"trial": 0}
    assert written[1]["verification"]["passed"] is False
    assert [c["name"] for c in written[1]["verification"]["checks"]] == DEFAULT
    assert sorted(p.name for p in tmp_path.iterdir()) == ["t.jsonl", "verified.jsonl"]


def test_out_to_a_missing_directory_exits_2_before_verifying(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = _run(capsys, "--out", str(tmp_path / "no" / "x.jsonl"), str(FIXTURE))
    assert code == 2 and out == [] and "--out" in err


def test_stdin(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    text = json.dumps(_good()) + "\n" + "garbage\n" + json.dumps(_bad_final_state()) + "\n"
    monkeypatch.setattr("sys.stdin", io.StringIO(text))
    code, out, _ = _run(capsys, "-")
    assert code == 2
    assert out[0] == f"PASS {GOOD_ID}"
    assert out[1].startswith("ERROR <stdin>:2: not JSON")
    assert out[2] == "FAIL bad-final-state  replay: final_state_mismatch@-"


def test_process_isolation_gives_the_same_verdicts(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = _write(tmp_path / "t.jsonl", [_good(), _bad_observation()])
    code, out, _ = _run(capsys, "--isolation", "process", str(path))
    assert code == 1
    assert out[:2] == [f"PASS {GOOD_ID}", "FAIL bad-observation  replay: observation_mismatch@13"]
