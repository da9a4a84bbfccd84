"""The CLI's errors point at the real problem: where a syntax error is, that verify wants
JSONL (and how to convert), every missing field, and flags rather than Python keywords."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from gem_env.errors import NoScenariosError, ScenarioError
from gem_env.registration import resolve_catalog
from synth.cli import main
from toolkits.examples import example_path

FIXTURE = Path(__file__).parent / "fixtures" / "trajectory-library_loans.jsonl"
GOOD_ID = "example-traj-0001"

# A pretty-printed scenarios list; line 12 lacks the comma that ends line 11.
PRETTY_MISSING_COMMA = """[
  {
    "id": "s1",
    "system_prompt": "Help.",
    "user": {"goal": "x"}
  },
  {
    "id": "s2",
    "system_prompt": "Help.",
    "max_turns": 8,
    "toolkit": "clinic_appointments"
    "user": {"goal": "y"}
  }
]
"""


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, list[str], str]:
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out.splitlines(), captured.err


def _good() -> dict[str, Any]:
    return json.loads(FIXTURE.read_text(encoding="utf-8"))


def _scenario(sid: str, **extra: Any) -> dict[str, Any]:
    return {"id": sid, "system_prompt": "Help.", "user": {"goal": "x"}, **extra}


# -- 1. a syntax error is reported where it is ---------------------------------------


def test_eval_reports_a_syntax_error_of_a_pretty_printed_file_at_its_line_and_column(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "scenarios.json"
    path.write_text(PRETTY_MISSING_COMMA, encoding="utf-8")
    code, out, err = _run(capsys, "eval", "--model", "oracle", "--scenarios", str(path))
    assert code == 2
    assert f"{path}:12:5: Expecting ',' delimiter" in err
    assert ":1:" not in err and "line 1" not in err
    assert not out


def test_eval_names_the_line_of_every_problem_of_a_jsonl_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "scenarios.jsonl"
    lines = [
        json.dumps(_scenario("s1", toolkit="clinic_appointments")),
        json.dumps({"id": "s2"}),  # no system_prompt, no user
        '{"id": "s3", "system_prompt": "Help.",',  # cut off
        "",
        json.dumps(_scenario("s5", toolkit="clinic_appointments", max_turns=0)),
    ]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    code, _, err = _run(capsys, "eval", "--model", "oracle", "--scenarios", str(path))
    assert code == 2
    shown = [line.strip() for line in err.splitlines() if line.strip().startswith("- ")]
    assert shown == [
        f"- {path}:2: system_prompt: Field required",
        f"- {path}:2: user: Field required",
        f"- {path}:3:39: Expecting property name enclosed in double quotes",
        f"- {path}:5: max_turns: Input should be greater than or equal to 1",
    ]


# -- 2. verify wants JSONL, and says how to convert ------------------------------------


@pytest.mark.parametrize(
    ("text", "what", "convert"),
    [
        (json.dumps(_good(), indent=2), "pretty-printed trajectory", "jq -c . {path} > {out}"),
        (json.dumps([_good(), _good()], indent=2), "array of 2", "jq -c '.[]' {path} > {out}"),
        (json.dumps([_good()]), "array of 1 trajectory", "jq -c '.[]' {path} > {out}"),
    ],
    ids=["pretty-object", "pretty-array", "one-line-array"],
)
def test_verify_of_one_json_document_asks_for_jsonl_and_says_how_to_convert(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], text: str, what: str, convert: str
) -> None:
    path = tmp_path / "trajectories.json"
    path.write_text(text, encoding="utf-8")
    code, out, err = _run(capsys, "verify", str(path), str(FIXTURE))
    assert code == 2  # bad input, though the other file passes
    assert f"PASS {GOOD_ID}" in out
    assert not [line for line in out if line.startswith("ERROR")], out
    assert what in err and "JSONL, one trajectory object per line" in err
    assert convert.format(path=path, out=tmp_path / "trajectories.jsonl") in err

    code, out, err = _run(capsys, "verify", "--json", str(path))
    assert code == 2 and not [line for line in out if line.startswith("{")]
    assert "jq -c" in err


def test_verify_locates_a_syntax_error_of_a_document_and_keeps_jsonl_lines_apart(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    lines = json.dumps([_good()], indent=2).splitlines()
    assert lines[3].endswith(",")
    lines[3] = lines[3][:-1]  # line 4 loses its comma: the error is at line 5
    document = tmp_path / "broken.json"
    document.write_text("\n".join(lines) + "\n", encoding="utf-8")
    code, out, err = _run(capsys, "verify", str(document))
    assert code == 2
    assert f"{document}:5:5: Expecting ',' delimiter" in err
    assert "not JSONL" in err and not [line for line in out if line.startswith("ERROR")]

    # a JSONL file whose first record is cut off is still read line by line
    jsonl = tmp_path / "t.jsonl"
    jsonl.write_text(FIXTURE.read_text()[:200] + "\n" + json.dumps(_good()) + "\n")
    code, out, err = _run(capsys, "verify", str(jsonl))
    assert code == 2
    assert out[0].startswith(f"ERROR {jsonl}:1: not JSON") and out[1] == f"PASS {GOOD_ID}"
    assert "JSONL" not in err


def test_verify_of_a_json_array_on_stdin_asks_for_jsonl(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import io

    monkeypatch.setattr("sys.stdin", io.StringIO(json.dumps([_good()], indent=2)))
    code, out, err = _run(capsys, "verify", "-")
    assert code == 2
    assert "<stdin>" in err and "jq -c '.[]' FILE > FILE.jsonl" in err
    assert not [line for line in out if line.startswith("ERROR")]


# -- 4. every missing field is named ---------------------------------------------------


def test_verify_names_every_missing_field_of_a_record(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bare = {k: v for k, v in _good().items() if k not in ("scenario", "messages", "termination")}
    nested = _good()
    del nested["scenario"]["id"], nested["scenario"]["user"]
    path = tmp_path / "t.jsonl"
    path.write_text(json.dumps(bare) + "\n" + json.dumps(nested) + "\n", encoding="utf-8")
    code, out, _ = _run(capsys, "verify", str(path))
    assert code == 2
    assert out[0] == f"ERROR {path}:1: missing required fields: scenario, messages, termination"
    assert out[1] == f"ERROR {path}:2: scenario: missing required fields: id, user"


# -- 3. hints name the CLI's flags (and still the Python keywords) ---------------------


def test_eval_hints_name_flags_where_python_callers_get_keywords(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    no_toolkit = tmp_path / "scenarios.json"
    no_toolkit.write_text(json.dumps([_scenario("s1")]), encoding="utf-8")
    code, _, err = _run(capsys, "eval", "--model", "oracle", "--scenarios", str(no_toolkit))
    assert code == 2 and "names no toolkit" in err and "--toolkit FILE" in err

    spec = json.loads(example_path("clinic_appointments").read_text(encoding="utf-8"))
    toolkit = tmp_path / "my_clinic.json"
    toolkit.write_text(json.dumps({**spec, "name": "my_clinic"}), encoding="utf-8")
    out_dir = tmp_path / "out"
    code, _, err = _run(
        capsys, "eval", "--model", "oracle", "--toolkit", str(toolkit), "--out", str(out_dir)
    )
    assert code == 2 and "no bundled scenario uses toolkit" in err and "--scenarios FILE" in err
    assert not out_dir.exists()

    with pytest.raises(ScenarioError, match="pass toolkit="):
        resolve_catalog(None, [_scenario("s1")])
    with pytest.raises(NoScenariosError, match="pass scenarios="):
        resolve_catalog(str(toolkit), None)
