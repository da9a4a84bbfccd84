"""`gem-env eval`: run an agent k times on every scenario; print and save pass@k / pass^k.

    gem-env eval --scenarios FILE --model M --base-url URL -k 4 [--concurrency N]
                 [--out DIR] [--api-key KEY] [--toolkit FILE]
                 [--executor local|ray] [--ray-address ADDR] [--ray-workers N]
    gem-env eval --model oracle               # offline: the embedded oracle agent

``--model oracle`` runs the embedded `OracleAgent`: it is privileged (it reads each
scenario's answer key and plans on a private toolkit), so its scores are an upper
bound that checks the scenarios, not a baseline; the table says so. ``heuristic`` is
its old name, still accepted with a note. Before any episode the scenarios pass the
static checks of `gem_env.check_scenario` (no do-nothing or echo agent would be paid,
no required output is given away, the assertions evaluate); ``--no-scenario-check``
skips them.

Everything is checked before the first episode (scenarios file, toolkits, the model
server and the model name): bad input exits 2 with a message saying what to fix.
Episodes stream to ``DIR/rollouts.jsonl`` (rerun the same command to resume after a
kill); ``DIR/metrics.json`` gets the metrics and the per-task rows. Exit 0 when every
episode ran, 1 when some failed (rerun to retry them), 2 on bad input.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import re
import sys
from pathlib import Path
from typing import Any, TextIO

from synth.eval_participants import ORACLE, chat_model, participants
from synth.executors.options import add_executor_arguments, positive_int
from synth.inputs import BadInputError, read_scenarios, read_toolkit
from synth.suites.accuracy import suite_accuracy

EXIT_OK, EXIT_FAIL, EXIT_BAD_INPUT = 0, 1, 2
ORACLE_ALIASES = ("heuristic",)  # the oracle's old name


def add_arguments(p: argparse.ArgumentParser) -> None:
    """The options of `gem-env eval`."""
    p.add_argument(
        "--scenarios", metavar="FILE",
        help="scenarios (JSON list, object with 'scenarios', or JSONL); default: the bundled ones",
    )  # fmt: skip
    p.add_argument(
        "--model", required=True, metavar="M",
        help=f"model name on the server, or '{ORACLE}' for the embedded offline oracle agent "
        "(privileged: it reads the scenario; an upper bound, not a baseline)",
    )  # fmt: skip
    p.add_argument("--base-url", metavar="URL", help="OpenAI-compatible API root (…/v1)")
    p.add_argument("--api-key", metavar="KEY", help="API key (default: $OPENAI_API_KEY)")
    p.add_argument(
        "-k", type=positive_int, default=4, metavar="K", help="trials per scenario (default 4)"
    )
    p.add_argument(
        "--concurrency",
        type=positive_int,
        default=8,
        metavar="N",
        help="episodes in flight (default 8)",
    )
    p.add_argument(
        "--out", metavar="DIR", help="output directory (default: eval-<model>); rerun resumes"
    )
    p.add_argument(
        "--toolkit", metavar="FILE",
        help="toolkit for scenarios that do not name a bundled one",
    )  # fmt: skip
    p.add_argument(
        "--user", choices=["heuristic", "llm"], default=None,
        help="user simulator: the model itself (the default with a real --model) or the "
        f"deterministic heuristic user (the default with --model {ORACLE})",
    )  # fmt: skip
    p.add_argument(
        "--no-scenario-check", action="store_true",
        help="run scenarios that fail the static scenario checks (see gem-env check-scenario)",
    )  # fmt: skip
    p.add_argument(
        "--reward", choices=["verifier", "goal"], default="verifier",
        help="verifier (default): 1.0 when the replayed episode breaks no invariant and meets "
        "the goal (verifiers.VerifierReward); goal: the goal assertions and outputs only",
    )  # fmt: skip
    p.add_argument("--temperature", type=float, metavar="T", help="sampling temperature")
    p.add_argument(
        "--max-tokens",
        type=positive_int,
        default=1024,
        metavar="N",
        help="tokens per reply (default 1024: small models otherwise ramble for minutes)",
    )
    p.add_argument("--seed", type=int, default=0, metavar="S", help="base seed (default 0)")
    add_executor_arguments(p, "episodes", default="local")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    p.add_argument("--json", action="store_true", help="print the metrics JSON, not the table")


def run(args: argparse.Namespace) -> int:
    """Validate everything, run the rollouts, print and write the metrics."""
    try:
        plan = _plan(args)
    except BadInputError as exc:
        print(f"gem-env eval: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    return asyncio.run(_run(args, plan))


def _plan(args: argparse.Namespace) -> dict[str, Any]:
    """Load and check the scenarios and toolkits (as an env would) before any episode."""
    from gem_env.env import ToolUseEnv
    from gem_env.errors import GemEnvError
    from gem_env.participants.heuristic import HeuristicUser
    from toolkits import ToolkitError

    if args.model in ORACLE_ALIASES:
        print(
            f"gem-env eval: note: --model {args.model} is the old name of the embedded oracle "
            f"agent (privileged: it reads the scenario); use --model {ORACLE}",
            file=sys.stderr,
        )
        args.model = ORACLE
    if args.user is None:  # a real model meets a user as capable as itself
        args.user = "heuristic" if args.model == ORACLE else "llm"
    if args.model == ORACLE and args.user == "llm":
        raise BadInputError("--user llm needs a model server: give --model M --base-url URL")
    scenarios = read_scenarios(args.scenarios, "--scenarios takes") if args.scenarios else None
    toolkit = read_toolkit(args.toolkit) if args.toolkit is not None else None
    try:  # what every env will do: resolve toolkits, check scenarios, compile
        env = ToolUseEnv(toolkit=toolkit, scenarios=scenarios, user=HeuristicUser())
    except (GemEnvError, ToolkitError) as exc:
        where = args.scenarios or "the bundled scenarios"
        raise BadInputError(f"{where}: {exc}") from None
    scenarios = env.scenarios
    env.close()
    if not args.no_scenario_check:
        _check_scenarios(scenarios, toolkit, args.scenarios or "the bundled scenarios")
    if args.executor == "ray":
        from synth.executors.ray_cluster import check_ray

        if (problem := check_ray(args.ray_address)) is not None:
            raise BadInputError(problem)
    out = Path(args.out) if args.out else Path(f"eval-{_slug(args.model)}")
    if out.exists() and not out.is_dir():
        raise BadInputError(f"--out {out} exists and is not a directory")
    return {"scenarios": scenarios, "toolkit": toolkit, "out": out}


def _check_scenarios(scenarios: list[Any], toolkit: Any, where: str) -> None:
    """The static scenario checks (no search); raise `BadInputError` listing findings."""
    from gem_env.registration import resolve_catalog
    from gem_env.scenario_check import check_scenario

    catalog = resolve_catalog(toolkit, scenarios)
    lines = []
    for scenario in scenarios:
        spec = catalog.specs[catalog.toolkit_key(scenario)]
        report = check_scenario(scenario, spec, search=False)
        lines += [f"  {report.id}: {f.code}: {f.detail}" for f in report.findings]
    if lines:
        raise BadInputError(
            f"{where}: some scenarios would pay an agent that does not do the task:\n"
            + "\n".join(lines)
            + "\nfix them (gem-env check-scenario FILE shows the full check), or pass "
            "--no-scenario-check to run them anyway"
        )


async def _run(args: argparse.Namespace, plan: dict[str, Any]) -> int:
    from gem_env.metrics import compute_metrics
    from gem_env.rollouts import run_rollouts
    from synth.executors import ExecutorError

    model = None
    runner: Any = None
    remote_usage: dict[str, int] = {}
    if args.model != ORACLE:
        model = await _connect(args)
        if model is None:
            return EXIT_BAD_INPUT
    try:
        make_env, make_agent = participants(args, plan, model)
        out: Path = plan["out"]
        out.mkdir(parents=True, exist_ok=True)
        try:
            if args.executor == "ray":
                from synth.executors.ray_episodes import RayEpisodeRunner

                runner = RayEpisodeRunner(args, plan)
                runner.start()
            result = await run_rollouts(
                make_env,
                make_agent,
                plan["scenarios"],
                args.k,
                concurrency=args.concurrency,
                out_path=out / "rollouts.jsonl",
                progress=not args.no_progress,
                base_seed=args.seed,
                max_failures=max(10, 2 * args.concurrency),
                serialize_env=args.user != "llm",  # an LLM user waits inside env.step
                episode_runner=runner.run if runner is not None else None,
            )
        except ExecutorError as exc:
            print(f"gem-env eval: {exc}", file=sys.stderr)
            return EXIT_BAD_INPUT
        except Exception as exc:  # a bad config surfaces while building the first env
            from gem_env.errors import GemEnvError

            if isinstance(exc, (GemEnvError, ValueError)):
                print(f"gem-env eval: {exc}", file=sys.stderr)
                return EXIT_BAD_INPUT
            raise
    finally:
        if runner is not None:
            remote_usage = await runner.close()
        if model is not None:
            await model.aclose()
    outcomes = {sid: rows for sid, rows in result.outcomes().items() if len(rows) == args.k}
    metrics = compute_metrics(outcomes, seed=args.seed) if outcomes else None
    report = {
        "model": args.model,
        "agent_privileged": args.model == ORACLE,
        "base_url": args.base_url,
        "k": args.k,
        "scenarios": args.scenarios,
        "base_seed": args.seed,
        "user": _user_label(args.user, plan["scenarios"]),
        "episodes": {
            "ran": result.ran,
            "resumed": result.resumed,
            "failed": len(result.failures),
            "not_run": result.not_run,
            "repaired_lines": result.repaired_lines,
        },
        "failures": [f.model_dump() for f in result.failures],
        "executor": args.executor,
        "usage": _usage(model, remote_usage),
        "metrics": metrics.model_dump(mode="json") if metrics else None,
        "suite_accuracy": suite_accuracy(plan["scenarios"], result.outcomes()),
    }
    (out / "metrics.json").write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    if args.json:
        print(json.dumps(report))
    else:
        _print_table(report, metrics, out, sys.stdout)
    from synth.report import write_report_at_end

    write_report_at_end(out, "eval")
    for failure in result.failures[:5]:
        print(
            f"gem-env eval: {failure.scenario_id} trial {failure.trial} failed: {failure.error}",
            file=sys.stderr,
        )
    if not result.complete:
        missing = len(result.failures) + result.not_run
        print(
            f"gem-env eval: {missing} episode(s) did not finish; rerun the same command to "
            "resume (finished episodes are kept)",
            file=sys.stderr,
        )
        return EXIT_FAIL
    return EXIT_OK


async def _connect(args: argparse.Namespace) -> Any:
    """The chat model, after checking the server answers and serves the model."""
    import difflib

    from synth.backends import BackendError

    model = chat_model(args)
    try:
        served = await model.list_models()
    except BackendError as exc:
        print(f"gem-env eval: {exc}", file=sys.stderr)
        await model.aclose()
        return None
    if served and args.model not in served:
        close = difflib.get_close_matches(args.model, served, n=3, cutoff=0.4)
        hint = f" Did you mean {', '.join(map(repr, close))}?" if close else ""
        print(
            f"gem-env eval: the server at {model.where} does not serve {args.model!r}.{hint} "
            f"It serves: {', '.join(served[:10])}.",
            file=sys.stderr,
        )
        await model.aclose()
        return None
    return model


def _usage(model: Any, remote: dict[str, int]) -> dict[str, int] | None:
    """The model's token usage: the driver's, plus what Ray workers reported."""
    if model is None:
        return None
    usage = model.usage.model_dump()
    for key, value in remote.items():
        usage[key] = usage.get(key, 0) + value
    return usage


def _user_label(user: str, scenarios: list[Any]) -> str:
    """The user simulator's name; ``script`` when every scenario plays its own script
    (`gem_env.participants.reference.ScriptFollowingUser`), ``script+<user>`` when some do."""
    from gem_env.participants.reference import user_script

    scripted = sum(user_script(s) is not None for s in scenarios)
    if scripted == len(scenarios) and scenarios:
        return "script"
    return f"script+{user}" if scripted else user


def _print_table(report: dict[str, Any], metrics: Any, out: Path, stream: TextIO) -> None:
    k = report["k"]
    agent = report["model"]
    if agent == ORACLE:
        agent += " (privileged: reads the scenario; an upper bound, not a baseline)"
    print(f"agent {agent}  k={k}  user={report['user']}", file=stream)
    if metrics is None:
        print("no scenario finished all its trials; no metrics", file=stream)
        return
    width = max(12, *(len(t.task_id) for t in metrics.tasks))
    head = f"{'task':<{width}}  successes  pass@1  pass@{k}  pass^{k}  flip"
    print(head, file=stream)
    print("-" * len(head), file=stream)
    for t in metrics.tasks:
        print(
            f"{t.task_id:<{width}}  {t.successes:>4}/{t.trials:<4}  {t.pass_at_k[1]:>6.2f}  "
            f"{t.pass_at_k[k]:>{len(str(k)) + 5}.2f}  {t.pass_hat_k[k]:>{len(str(k)) + 5}.2f}"
            f"  {t.flip_rate:>4.2f}",
            file=stream,
        )
    print("-" * len(head), file=stream)
    level = round(metrics.confidence * 100)
    total = sum(t.successes for t in metrics.tasks)
    trials = sum(t.trials for t in metrics.tasks)
    print(f"{metrics.n_tasks} tasks, {total}/{trials} successful trials", file=stream)
    rows = [("pass@1", metrics.pass_at_k[1])]
    if k > 1:  # with k = 1, pass@k is pass@1
        rows.append((f"pass@{k}", metrics.pass_at_k[k]))
    rows += [(f"pass^{k}", metrics.pass_hat_k[k]), ("mean reward", metrics.mean_reward)]
    for name, est in rows:
        print(f"{name:<12} {est.value:.3f}  {level}% CI {_interval(est)}", file=stream)
    mdd = metrics.mdd
    detectable = "n/a (no variance)" if mdd["independent"] is None else f"{mdd['independent']:.3f}"
    print(
        f"flip rate {metrics.flip_rate:.3f} ({metrics.flaky_tasks} flaky task(s)); "
        f"min. detectable pass@1 difference vs another run: {detectable} "
        f"(alpha {mdd['alpha']}, power {mdd['power']})",
        file=stream,
    )
    for category, row in ((report.get("suite_accuracy") or {}).get("bfcl") or {}).items():
        print(
            f"BFCL accuracy ({category}, first trial, BFCL's state and response checks): "
            f"{row['correct']}/{row['entries']} = {row['accuracy']:.3f}",
            file=stream,
        )
    usage = report["usage"]
    if usage:
        print(
            f"tokens: {usage['prompt_tokens']} prompt + {usage['completion_tokens']} completion "
            f"in {usage['requests']} requests ({usage['retries']} retries)",
            file=stream,
        )
    episodes = report["episodes"]
    print(
        f"episodes: {episodes['ran']} run, {episodes['resumed']} resumed; "
        f"results in {out / 'metrics.json'} and {out / 'rollouts.jsonl'}",
        file=stream,
    )
    stream.flush()


def _interval(est: Any) -> str:
    """An `Estimate`'s interval as printed: Wilson's is named (no variance across tasks)."""
    if est.ci_low is None or est.ci_high is None:
        return "n/a (no variance)"
    span = f"[{est.ci_low:.3f}, {est.ci_high:.3f}]"
    return f"{span} (Wilson: no variance across tasks)" if est.interval == "wilson" else span


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "-", text).strip("-") or "model"
