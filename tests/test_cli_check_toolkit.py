"""`gem-env check-toolkit`: exit codes 0/1/2, human and JSON output, the console script."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from synth.cli import main
from tests.helpers import toolkit

FIXTURE = Path(__file__).parent / "fixtures" / "toolkit-library_loans.json"
FAST = ["--examples", "5"]


@pytest.fixture
def buggy(tmp_path: Path) -> Path:
    # hand-written stand-in: stores a tuple into the state (invalid_state)
    doc = toolkit(
        'def run(state, s):\n    state["t"] = (s, s)\n    return 1\n',
        {"run": {"s": {"type": "string"}}},
    )
    doc["name"] = "tuple_storer"
    path = tmp_path / "buggy.json"
    path.write_text(json.dumps(doc), encoding="utf-8")
    return path


def test_passing_toolkit_exits_0(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check-toolkit", str(FIXTURE), *FAST]) == 0
    out = capsys.readouterr().out
    assert out.startswith("PASS library_loans (2 tools, ") and out.rstrip().endswith("calls)")


def test_failing_toolkit_exits_1_with_findings_and_sequence(
    buggy: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["check-toolkit", str(FIXTURE), str(buggy), *FAST]) == 1
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("PASS library_loans")
    assert lines[1] == "FAIL tuple_storer"
    assert lines[2].startswith("  error invalid_state [run]: ")
    assert lines[3].startswith("      1. run({")


def test_json_output_is_one_report_per_line(
    buggy: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["check-toolkit", "--json", str(FIXTURE), str(buggy), *FAST]) == 1
    reports = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [(r["toolkit"], r["passed"]) for r in reports] == [
        ("library_loans", True),
        ("tuple_storer", False),
    ]
    assert reports[1]["findings"][0]["code"] == "invalid_state"
    assert set(reports[0]["stats"]) >= {"tools", "examples", "calls", "seconds"}


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (None, "cannot read"),
        ('{"format": "gem-env/toolkit@1",\n "name": 3', ":2:11: not JSON"),  # path:line:col
        ('{"name": "x", "tools": []}', "state_schema: Field required"),
    ],
)
def test_bad_input_exits_2_before_checking_anything(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], content: str | None, expected: str
) -> None:
    path = tmp_path / "toolkit.json"
    if content is not None:
        path.write_text(content, encoding="utf-8")
    assert main(["check-toolkit", str(FIXTURE), str(path), *FAST]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""  # nothing was checked
    assert str(path) in captured.err and expected in captured.err


def test_usage_errors_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check-toolkit"]) == 2
    assert main(["check-toolkit", str(FIXTURE), "--examples", "0"]) == 2
    assert main([]) == 2
    assert "usage" in capsys.readouterr().err
    assert main(["--help"]) == 0


def test_bundled_checks_every_example(capsys: pytest.CaptureFixture[str]) -> None:
    from toolkits.examples import example_names

    code = main(["check-toolkit", "--bundled", "--json", "--examples", "2"])
    reports = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert sorted(r["toolkit"] for r in reports) == example_names()
    assert code == (0 if all(r["passed"] for r in reports) else 1)


def test_console_script(tmp_path: Path) -> None:
    script = Path(sys.executable).parent / "gem-env"
    command = [str(script)] if script.exists() else [sys.executable, "-m", "synth"]
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST")}
    done = subprocess.run(
        [*command, "check-toolkit", "--json", str(FIXTURE), *FAST],
        capture_output=True, text=True, timeout=120, env=env, cwd=tmp_path,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["passed"] is True
