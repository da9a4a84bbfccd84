"""`gem-env run`: text to verified trajectories (the pipeline), resumable.

    gem-env run [CORPUS] [--backend heuristic|openai|vllm|llama-cpp] [--model M]
                [--base-url URL] [--out DIR] [--concurrency N] [--limit N]
                [--config FILE.toml] [--print-config] [--no-progress]
                [--executor local|ray] [--ray-address ADDR] [--ray-workers N]

With no arguments it runs the bundled sample corpus on the embedded heuristic backend
(offline: no GPU, no key, no download) into ``runs/default``. Everything is checked
before the first model call (`validate`: the config, the corpus and its fields, the
output directory, the backend and its model); bad input exits 2. Exit 0 when every
document has its final outcome (whatever the yield), 1 when some could not be
processed (the backend was unavailable) and a rerun of the same command would resume.

``--executor ray`` spreads the documents over Ray workers (`synth.executors`): the
cluster at ``--ray-address`` or ``$RAY_ADDRESS``, else a Ray started on this machine;
the outputs, the ledger and resume are the same as with the local executor.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from pathlib import Path
from typing import Any

from synth.config import ConfigError, RunConfig, load_config
from synth.executors.options import add_executor_arguments

EXIT_OK, EXIT_FAIL, EXIT_BAD_INPUT = 0, 1, 2
_RUN_FILE = "run.json"


def add_arguments(p: argparse.ArgumentParser) -> None:
    """The options of `gem-env run` (each overrides the --config file)."""
    p.add_argument("corpus", nargs="?", help="JSONL/Parquet file, directory or hf:NAME")
    p.add_argument("--config", metavar="FILE.toml", help="run config (flags override it)")
    p.add_argument("--print-config", action="store_true", help="print the config and exit")
    p.add_argument("--backend", choices=["heuristic", "openai", "vllm", "llama-cpp"])
    p.add_argument("--model", metavar="M", help="model name (openai, vllm)")
    p.add_argument("--base-url", metavar="URL", help="OpenAI-compatible API root (…/v1)")
    p.add_argument("--api-key", metavar="KEY", help="API key (default: $OPENAI_API_KEY)")
    p.add_argument("--model-path", metavar="GGUF", help="model file (llama-cpp)")
    p.add_argument("--out", metavar="DIR", help="output directory (default runs/default)")
    p.add_argument("--concurrency", type=int, metavar="N", help="documents in flight")
    p.add_argument("--limit", type=int, metavar="N", help="first N documents only")
    p.add_argument("--text-field", metavar="F", help="record field holding the text")
    p.add_argument("--id-field", metavar="F", help="record field holding the id")
    p.add_argument("--trials", type=int, metavar="N", help="episodes per scenario")
    p.add_argument("--repair-attempts", type=int, metavar="N", help="repairs per extraction")
    p.add_argument("--seed", type=int, metavar="S")
    add_executor_arguments(p, "documents", default=None)
    p.add_argument("--no-progress", action="store_true", help="no progress bars")


def run(args: argparse.Namespace) -> int:
    """Build the config, validate it, run the pipeline, write stats, print the funnel."""
    overrides = {
        "corpus": args.corpus,
        "backend": args.backend,
        "model": args.model,
        "base_url": args.base_url,
        "api_key": args.api_key,
        "model_path": args.model_path,
        "out": args.out,
        "concurrency": args.concurrency,
        "limit": args.limit,
        "text_field": args.text_field,
        "id_field": args.id_field,
        "trials": args.trials,
        "repair_attempts": args.repair_attempts,
        "seed": args.seed,
        "executor": args.executor,
        "ray_address": args.ray_address,
        "ray_workers": args.ray_workers,
    }
    try:
        config = load_config(args.config, overrides)
    except ConfigError as exc:
        print(f"gem-env run: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    if args.print_config:
        print(config.to_toml(), end="")
        return EXIT_OK
    return asyncio.run(_run(config, progress=not args.no_progress))


async def _run(config: RunConfig, *, progress: bool) -> int:
    from synth.pipeline import Pipeline
    from synth.report import write_report_at_end
    from synth.stats import funnel_text, write_stats

    try:
        backends = await validate(config)
    except ConfigError as exc:
        print(f"gem-env run: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    out = Path(config.out)
    (out / _RUN_FILE).write_text(
        json.dumps({"signature": config.signature()}, indent=2) + "\n", encoding="utf-8"
    )
    from synth.executors import ExecutorError

    bars = _Bars(enabled=progress)
    try:
        executor = _executor(config, backends)
        summary = await Pipeline(config, backends, progress=bars.tell, executor=executor).run()
    except ExecutorError as exc:
        print(f"gem-env run: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    finally:
        bars.close()
    stats = write_stats(out, config, summary.counters)
    print(funnel_text(stats))
    written = write_report_at_end(out, "run")
    if written is not None:
        print(f"report: {written}")
    print(
        f"outputs in {out}: trajectories.jsonl, rejected.jsonl, outcomes.jsonl, "
        f"workflows.jsonl, scenarios.jsonl, toolkits/, stats.json"
        + (
            f" ({summary.resumed} document(s) resumed from an earlier run)"
            if summary.resumed
            else ""
        )
    )
    if summary.uncommitted:
        print(
            f"gem-env run: {len(summary.uncommitted)} document(s) could not be processed "
            "(the model backend was unavailable, or an internal error: see outcomes.jsonl); "
            "rerun the same command to resume",
            file=sys.stderr,
        )
        return EXIT_FAIL
    return EXIT_OK


def _executor(config: RunConfig, backends: dict[str, Any]) -> Any:
    """The executor `config.executor` names (Ray: imported only when chosen)."""
    if config.executor == "ray":
        from synth.executors.ray_documents import RayDocumentExecutor

        return RayDocumentExecutor(config)
    from synth.executors.local import LocalDocumentExecutor

    return LocalDocumentExecutor(config, backends)


async def validate(config: RunConfig) -> dict[str, Any]:
    """Check the whole plan before the first model call; return a backend per stage.

    Raises:
        ConfigError: the corpus is missing or unreadable or lacks the text field, the
            output directory is not writable or holds a run made with another config,
            or a backend cannot serve (unreachable, model not served, extra missing).
    """
    from synth.backends import BackendError
    from synth.readers import CorpusError, check_corpus

    if config.corpus is not None:
        try:
            check_corpus(config.corpus, config.text_field, config.id_field)
        except CorpusError as exc:
            raise ConfigError(str(exc)) from None
    out = Path(config.out)
    try:
        out.mkdir(parents=True, exist_ok=True)
        probe = out / ".write-probe"
        probe.write_text("ok", encoding="utf-8")
        probe.unlink()
    except OSError as exc:
        raise ConfigError(f"--out {out} is not writable: {exc}") from None
    previous = out / _RUN_FILE
    if previous.exists():
        try:
            signature = json.loads(previous.read_text(encoding="utf-8")).get("signature")
        except (OSError, json.JSONDecodeError):
            signature = None
        if signature not in (None, config.signature()):
            raise ConfigError(
                f"{out} holds a run made with another config ({signature}, this one is "
                f"{config.signature()}); resume it with its own config, or give a new --out"
            )
    from synth.stage_backends import make_stage_backends

    if config.executor == "ray":
        from synth.executors.ray_cluster import check_ray
        from synth.executors.ray_hosted import HOSTED_KINDS

        if (problem := check_ray(config.ray_address)) is not None:
            raise ConfigError(problem)
        if config.backend in HOSTED_KINDS:
            return {}  # loaded once, in Ray actors, by the executor (which checks it)
    backends: dict[str, Any] = {}
    try:
        backends = make_stage_backends(config)
        for backend in _distinct(backends):
            await backend.check()
    except (BackendError, ValueError) as exc:
        for backend in _distinct(backends):
            await backend.aclose()
        raise ConfigError(f"backend {config.backend}: {exc}") from None
    return backends


def _distinct(backends: dict[str, Any]) -> list[Any]:
    """Each backend once (stages naming the same model share one)."""
    return list({id(b): b for b in backends.values()}.values())


class _Bars:
    """One tqdm bar per stage (outcomes seen), when enabled and on a terminal."""

    def __init__(self, enabled: bool):
        self.enabled = enabled and sys.stderr.isatty()
        self.bars: dict[str, Any] = {}

    def tell(self, stage: str, status: str) -> None:
        if not self.enabled:
            return
        if stage not in self.bars:
            from tqdm import tqdm

            self.bars[stage] = tqdm(
                desc=f"{stage:<10}", unit="doc", position=len(self.bars), leave=True
            )
        self.bars[stage].update(1)

    def close(self) -> None:
        for bar in self.bars.values():
            bar.close()
