"""Benchmark: the pipeline's request rate, its memory as the corpus grows, and its
speed per stage on the heuristic backend, as ratios measured in one run.

Run: ``python benchmarks/pipeline.py`` (``--json`` for machine-readable output;
``--quick`` for smaller corpora).

1. Request rate against the stand-in server at a fixed latency L = 0.2 s with C = 8
   documents in flight, every document dropped at relevance (one model call each): the
   run's wall time vs the ideal N * L / C. Target: a rate of at least 90% of C/L, i.e.
   a ratio of at most 1.11.
2. Peak memory (max RSS of the process) streaming 100k documents through the whole
   pipeline vs 1k documents, each in a fresh process, on a backend that answers at once
   (every document dropped at relevance, so the reader, the ledger, the cache and the
   outputs are what grows).                                          target <= 1.2x
3. Documents per second per stage on the heuristic backend over the bundled sample
   corpus (info): relevance, extraction (with the toolkit checks), grounding (with
   verification).
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.ratios import ratio_main  # noqa: E402

NOT_RELEVANT = json.dumps({"relevant": False, "procedural": False, "reason": "benchmark"})


def request_rate(documents: int = 192, latency: float = 0.2, concurrency: int = 8) -> dict:
    """Row 1: wall time of a run of one model call per document vs N * L / C."""
    from synth.backends import StandInServer
    from synth.backends.factory import make_backend
    from synth.config import RunConfig
    from synth.pipeline import Pipeline

    with tempfile.TemporaryDirectory() as tmp:
        corpus = Path(tmp) / "c.jsonl"
        _write_corpus(corpus, documents)
        with StandInServer(lambda body: NOT_RELEVANT, model="m", latency=latency) as server:
            config = RunConfig(corpus=str(corpus), out=str(Path(tmp) / "out"),
                               concurrency=concurrency, backend="openai", model="m",
                               base_url=server.url)  # fmt: skip
            backend = make_backend("openai", model="m", base_url=server.url,
                                   max_concurrency=2 * concurrency)  # fmt: skip
            backends = dict.fromkeys(("relevance", "extraction", "grounding"), backend)

            async def timed() -> float:
                await backend.check()  # as validate() does: the client exists before work
                started = time.perf_counter()
                await Pipeline(config, backends).run()
                return time.perf_counter() - started

            wall = asyncio.run(timed())
    ideal = documents * latency / concurrency
    return {
        "ratio": round(wall / ideal, 2),
        "target": round(1 / 0.9, 2),
        "s": [round(wall, 2), round(ideal, 2)],
        "ratio_rate_of_c_over_l": round(ideal / wall, 3),
    }


def peak_memory(small: int = 1_000, large: int = 100_000) -> dict:
    """Row 2: max RSS of a whole run over `large` documents vs `small` ones."""
    with tempfile.TemporaryDirectory() as tmp:
        sizes = {}
        for n in (small, large):
            corpus = Path(tmp) / f"c{n}.jsonl"
            _write_corpus(corpus, n)
            sizes[n] = _child_rss([sys.executable, __file__, "--child", str(corpus),
                                   str(Path(tmp) / f"out{n}")])  # fmt: skip
    return {
        "ratio": round(sizes[large] / sizes[small], 2),
        "target": 1.2,
        "MiB": [round(sizes[large] / 1024, 1), round(sizes[small] / 1024, 1)],
    }


def stage_speed() -> dict[str, dict[str, Any]]:
    """Row 3: documents per second of each stage on the heuristic backend (info)."""
    from synth.corpus import sample_corpus_path

    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "out"
        subprocess.run(
            [sys.executable, "-m", "synth", "run", str(sample_corpus_path()), "--out", str(out),
             "--no-progress"],
            check=True, cwd=ROOT, stdout=subprocess.DEVNULL,
        )  # fmt: skip
        stats = json.loads((out / "stats.json").read_text())
    rows = {}
    for stage in ("relevance", "extraction", "grounding"):
        row = stats["stages"][stage]
        rate = row["in"] / row["wall_s"] if row["wall_s"] else 0.0
        rows[f"heuristic {stage} docs/s"] = {
            "ratio": round(rate, 1),
            "target": None,
            "docs_s": [row["in"], round(row["wall_s"], 2)],
        }
    return rows


def _write_corpus(path: Path, n: int) -> None:
    with path.open("w", encoding="utf-8") as handle:
        for i in range(n):
            text = f"Document {i}. Open the app, tap Settings, then choose Save. " * 3
            handle.write(json.dumps({"id": f"d{i}", "text": text}) + "\n")


def _child_rss(command: list[str]) -> int:
    """Run `command`; its max RSS in KiB (from wait4)."""
    process = subprocess.Popen(command, cwd=ROOT)
    _, status, usage = os.wait4(process.pid, 0)
    if os.waitstatus_to_exitcode(status) != 0:
        raise RuntimeError(f"{command} failed")
    return int(usage.ru_maxrss)


def _child(corpus: str, out: str) -> None:
    """The memory benchmark's run: the pipeline on an instant backend."""
    from synth.backends.base import LLMBackend
    from synth.backends.openai_chat import TokenUsage
    from synth.config import RunConfig
    from synth.pipeline import Pipeline

    class Instant(LLMBackend):
        kind = "openai"

        def __init__(self) -> None:
            self.name, self.usage = "instant", TokenUsage()

        async def complete(self, messages: list[dict[str, Any]], **_: Any) -> dict[str, Any]:
            return {"role": "assistant", "content": NOT_RELEVANT}

    config = RunConfig(corpus=corpus, out=out, concurrency=8)
    backend = Instant()
    asyncio.run(
        Pipeline(config, dict.fromkeys(("relevance", "extraction", "grounding"), backend)).run()
    )


def run(quick: bool = False) -> dict[str, dict[str, Any]]:
    """Every row of the benchmark."""
    rows = {"request rate vs C/L (L=0.2s, C=8)": request_rate(96 if quick else 192)}
    rows["peak RSS 100k vs 1k documents"] = peak_memory(200, 5_000) if quick else peak_memory()
    rows.update(stage_speed())
    return rows


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "--child":
        _child(sys.argv[2], sys.argv[3])
        sys.exit(0)
    quick = "--quick" in sys.argv
    argv = [a for a in sys.argv[1:] if a != "--quick"]
    sys.exit(ratio_main(lambda: run(quick), __doc__, argv))
