"""`gem-env eval` end to end: offline oracle agent, the stand-in server, bad input."""

from __future__ import annotations

import json
import random
import socket
from pathlib import Path
from typing import Any

import pytest

from gem_env.scenarios import bundled_scenarios
from synth.backends import StandInServer
from synth.cli import main

EMAILS = ["maya.chen@example.com", "omar.haddad@example.com", "grace.mbeki@example.com"]


def _scenarios_file(tmp_path: Path) -> Path:
    scenarios = [
        {
            "id": f"orders_of_{name}",
            "system_prompt": f"You are the returns desk of the Northwind store ({name}).",
            "user": {"goal": "Which orders do I have?", "known_info": {"email": email}},
            "required_outputs": [customer],  # only find_orders says it
            "max_turns": 6,
            "toolkit": "online_store_returns",
        }
        for name, email, customer in [
            ("maya", EMAILS[0], "Maya Chen"),
            ("omar", EMAILS[1], "Omar Haddad"),
        ]
    ]
    path = tmp_path / "scenarios.json"
    path.write_text(json.dumps(scenarios))
    return path


def agent_or_user(body: dict[str, Any]) -> dict[str, Any] | str:
    """Agent turns: look up a seed-chosen email (a tool call), then report whose orders
    the result shows. As the simulated user (``--user llm``): say thanks and stop."""
    system = body["messages"][0]["content"]
    if system.startswith("You are playing a user"):
        return "Great, thanks! ###STOP###"
    if not any(m["role"] == "assistant" for m in body["messages"]):
        email = random.Random(body.get("seed")).choice(EMAILS)
        return {
            "tool_calls": [{"function": {"name": "find_orders", "arguments": {"email": email}}}]
        }
    result = next(m for m in body["messages"] if m["role"] == "tool")
    return f"These are the orders of {json.loads(result['content'])['name']}. Anything else?"


def test_heuristic_offline(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    scenarios = [s.model_dump() for s in bundled_scenarios("online_store_returns")[:2]]
    path = tmp_path / "s.json"
    path.write_text(json.dumps(scenarios))
    out = tmp_path / "out"
    args = ["eval", "--scenarios", str(path), "--model", "oracle", "-k", "2"]
    code = main([*args, "--out", str(out), "--no-progress"])
    printed = capsys.readouterr().out
    assert code == 0, printed
    assert "pass@2" in printed and "pass^2" in printed and "95% CI [" in printed
    for s in scenarios:
        assert s["id"] in printed
    report = json.loads((out / "metrics.json").read_text())
    metrics = report["metrics"]
    assert metrics["n_tasks"] == 2 and metrics["pass_at_k"]["1"]["value"] == 1.0
    assert report["episodes"] == {
        "ran": 4, "resumed": 0, "failed": 0, "not_run": 0, "repaired_lines": 0,
    }  # fmt: skip
    assert len((out / "rollouts.jsonl").read_text().splitlines()) == 4
    # rerun: everything resumes, nothing runs, the same metrics
    assert main([*args, "--out", str(out), "--no-progress", "--json"]) == 0
    again = json.loads(capsys.readouterr().out)
    assert again["episodes"]["resumed"] == 4 and again["episodes"]["ran"] == 0
    assert again["metrics"] == metrics


def test_against_the_stand_in_server(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    scenarios = _scenarios_file(tmp_path)
    with StandInServer(agent_or_user, model="tiny-llm", api_key="k") as server:
        code = main(
            ["eval", "--scenarios", str(scenarios), "--model", "tiny-llm", "--base-url",
             server.url, "--api-key", "k", "-k", "4", "--concurrency", "4", "--user", "heuristic",
             "--out", str(tmp_path / "out"), "--no-progress"]
        )  # fmt: skip
        printed = capsys.readouterr().out
        assert code == 0, printed
        report = json.loads((tmp_path / "out" / "metrics.json").read_text())
        metrics = report["metrics"]
        # the agent picks the right email for a seed-chosen 1 in 3 trials: some succeed
        successes = [t["successes"] for t in metrics["tasks"]]
        assert sum(successes) == round(metrics["pass_at_k"]["1"]["value"] * 8)
        assert 0 < metrics["pass_at_k"]["4"]["value"] <= 1.0
        assert metrics["pass_hat_k"]["4"]["value"] <= metrics["pass_at_k"]["4"]["value"]
        assert report["usage"]["requests"] == len(server.requests) == 16  # 8 episodes x 2
        assert "pass@4" in printed and "tokens:" in printed
        records = [json.loads(x) for x in (tmp_path / "out" / "rollouts.jsonl").open()]
        assert all(r["messages"][2]["tool_calls"] for r in records)
        assert all(r["messages"][3]["role"] == "tool" for r in records)

        # the model plays the user too (its sync calls run beside the driver's loop)
        code = main(
            ["eval", "--scenarios", str(scenarios), "--model", "tiny-llm", "--base-url",
             server.url, "--api-key", "k", "-k", "2", "--user", "llm", "--concurrency", "1",
             "--out", str(tmp_path / "llm-user"), "--no-progress"]
        )  # fmt: skip
        assert code == 0, capsys.readouterr()
        records = [json.loads(x) for x in (tmp_path / "llm-user" / "rollouts.jsonl").open()]
        assert {r["termination"] for r in records} == {"user_stop"}
        assert all(r["messages"][-1]["content"] == "Great, thanks!" for r in records)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_bad_input_exits_2_with_a_clear_message(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    scenarios = _scenarios_file(tmp_path)
    base = ["eval", "--out", str(tmp_path / "o"), "--no-progress"]

    def run(*extra: str) -> str:
        assert main([*base, *extra]) == 2
        return capsys.readouterr().err

    assert "no scenarios file" in run(
        "--scenarios", str(tmp_path / "nope.json"), "--model", "oracle"
    )
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps([{"id": "x", "user": {"goal": "g"}}]))
    assert "system_prompt" in run("--scenarios", str(bad), "--model", "oracle")
    unknown = tmp_path / "unknown.json"
    unknown.write_text(json.dumps([{"id": "x", "system_prompt": "p", "user": {"goal": "g"},
                                    "toolkit": "online_store_return"}]))  # fmt: skip
    assert "online_store_returns" in run("--scenarios", str(unknown), "--model", "oracle")
    url = f"http://127.0.0.1:{_free_port()}/v1"
    err = run("--scenarios", str(scenarios), "--model", "m", "--base-url", url)
    assert "cannot reach the model server" in err and "--base-url" in err
    with StandInServer(agent_or_user, model="tiny-llm") as server:
        err = run("--scenarios", str(scenarios), "--model", "tiny-lm", "--base-url", server.url)
        assert "does not serve 'tiny-lm'" in err and "Did you mean 'tiny-llm'" in err
    with StandInServer(agent_or_user, model="tiny-llm", api_key="right") as server:
        err = run("--scenarios", str(scenarios), "--model", "tiny-llm", "--base-url", server.url,
                  "--api-key", "wrong")  # fmt: skip
        assert "--api-key" in err
    assert "--user llm" in run("--scenarios", str(scenarios), "--model", "oracle", "--user", "llm")
    assert main(["eval", "--model", "oracle", "-k", "0"]) == 2
    assert not (tmp_path / "o").exists()  # nothing started


@pytest.mark.parametrize(("reward", "key"), [("verifier", "verification"), ("goal", "assertions")])
def test_the_reward_comes_from_the_verifiers_by_default(
    tmp_path: Path, reward: str, key: str, capsys: pytest.CaptureFixture[str]
) -> None:
    scenarios = [s.model_dump() for s in bundled_scenarios("online_store_returns")[:1]]
    path = tmp_path / "s.json"
    path.write_text(json.dumps(scenarios))
    out = tmp_path / "out"
    args = ["eval", "--scenarios", str(path), "--model", "oracle", "-k", "1"]
    extra = [] if reward == "verifier" else ["--reward", reward]
    assert main([*args, "--out", str(out), "--no-progress", *extra]) == 0, capsys.readouterr()
    record = json.loads((out / "rollouts.jsonl").read_text().splitlines()[0])
    assert record["rollout"]["reward"] == 1.0
    reward_info = record["rollout"]["info"]["reward_info"]
    assert key in reward_info
    if reward == "verifier":
        assert reward_info["verification"]["passed"] is True


def test_the_oracle_plans_on_a_toolkit_file_for_scenarios_that_name_none(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    fixtures = Path(__file__).parent / "fixtures"
    args = ["eval", "--model", "oracle", "-k", "1", "--no-progress", "--json"]
    args += ["--toolkit", str(fixtures / "network_inventory.json")]
    args += ["--scenarios", str(fixtures / "network_inventory_scenarios.json")]
    code = main([*args, "--out", str(tmp_path / "out")])
    report = json.loads(capsys.readouterr().out)
    assert code == 0, report
    assert (
        report["episodes"]["failed"] == 0
    )  # each used to fail: "pass HeuristicAgent(toolkit=...)"
    assert report["metrics"]["pass_at_k"]["1"]["value"] == 1.0


def test_a_real_model_meets_the_llm_user_by_default(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    scenarios = _scenarios_file(tmp_path)
    with StandInServer(agent_or_user, model="tiny-llm", api_key="k") as server:
        code = main(
            ["eval", "--scenarios", str(scenarios), "--model", "tiny-llm", "--base-url",
             server.url, "--api-key", "k", "-k", "1", "--concurrency", "1",
             "--out", str(tmp_path / "out"), "--no-progress"]
        )  # fmt: skip
        printed = capsys.readouterr().out
        assert code == 0, printed
        assert "user=llm" in printed
        users = [r for r in server.requests if "playing a user" in json.dumps(r)]
        assert users  # the model played the user
