"""Security battery: hostile toolkits against the sandbox (DESIGN.md sections 3.1 and 6).

Every case is a small `gem-env/toolkit@1` toolkit whose `attack` tool is the attack and
whose `ping` tool is a normal tool. A case passes when the attack is either rejected at
compile time (a `CompileError` whose problem points at the offending line) or contained
at run time: the call returns ``ok=False`` with the expected `ErrorKind`, within a
bounded time and memory, the state (values *and* dict key order) is exactly as before,
and the same `Toolkit` still serves a normal call afterwards.

Attacks that could hang or exhaust the memory of the test process run in a subprocess
with an address-space limit and a hard kill (see `isolated_results`), all at once.

Cases marked ``xfail(strict=True, reason="HOLE: ...")`` are real holes found by this
battery: they stay visible (and turn the suite red once fixed, so the mark gets removed).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from toolkits import CompileError, ErrorKind, Limits, Toolkit, ToolkitError, compile_toolkit
from toolkits.sandbox.watchdog import rss_bytes

ROOT = Path(__file__).resolve().parent.parent
K = ErrorKind
COMPILE = "compile"  # expectation: rejected by compile_toolkit
HARMLESS = "harmless"  # expectation (isolated cases): may succeed, bounded and harmless
V, B, R, OUT = K.sandbox_violation, K.budget_exceeded, K.resource_limit, K.output_too_large
BR = (B, R)

#: Small limits keep every case fast; the defaults are checked where they matter.
LIMITS = Limits(max_steps=20_000, timeout_seconds=2.0, max_output_chars=100_000)
BIG_STEPS = Limits(max_steps=100_000_000, timeout_seconds=1.0)
SECONDS = 10.0  # bound on any single contained call (generous; most take milliseconds)
RSS_GROWTH = 1_500 * 1024 * 1024  # bound on process growth across one call

PING = '''

def ping(state):
    """The normal tool: proves the toolkit (and the process) still work."""
    state["n"] += 1
    return {"n": state["n"]}
'''

INITIAL: dict[str, Any] = {
    "n": 0,
    "items": [1, {"k": [1, 2]}, 3],
    "d": {"b": 1, "a": {"x": [1]}, "c": 3},
    "s": "{0.__class__.__mro__}",
}


def hostile(
    source: str,
    params: dict[str, Any] | None = None,
    *,
    required: list[str] | None = None,
    state: dict[str, Any] | None = None,
    extra_tools: dict[str, dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """A toolkit whose `attack` tool runs `source`, plus the normal `ping` tool.

    `source` starts the module, so line numbers of problems are lines of `source`.
    """
    params = params or {}
    tools = {"attack": params, "ping": {}, **(extra_tools or {})}
    return {
        "format": "gem-env/toolkit@1",
        "name": "hostile_toolkit",
        "description": "a hand-written hostile toolkit (security battery)",
        "tools": [
            {
                "type": "function",
                "function": {
                    "name": name,
                    "description": f"hostile test tool {name}",
                    "parameters": {
                        "type": "object",
                        "properties": props,
                        "required": (
                            required if name == "attack" and required is not None else list(props)
                        ),
                    },
                },
            }
            for name, props in tools.items()
        ],
        "state_schema": {"type": "object"},
        "initial_state": json.loads(json.dumps(INITIAL if state is None else state)),
        "source": source.rstrip() + "\n" + PING,
    }


@dataclass(frozen=True)
class Case:
    """One hostile toolkit and what must happen to it."""

    id: str
    source: str
    expect: Any  # COMPILE, an ErrorKind, or a tuple of acceptable ErrorKinds
    line: int | tuple[int, ...] | None = None  # compile cases: line(s) of the offence
    params: dict[str, Any] = field(default_factory=dict)
    args: dict[str, Any] = field(default_factory=dict)
    limits: Limits = LIMITS
    fragment: str | None = None  # expected in the error message
    hole: str | None = None  # set: a known hole, the test is xfail(strict=True)


def src(body: str, signature: str = "state") -> str:
    """`def attack(<signature>):` followed by an indented `body` (line 1 = the def)."""
    return f"def attack({signature}):\n" + textwrap.indent(textwrap.dedent(body).strip(), "    ")


def params_of(case: Case) -> Any:
    marks = [pytest.mark.xfail(strict=True, reason=f"HOLE: {case.hole}")] if case.hole else []
    return pytest.param(case, id=case.id, marks=marks)


def kinds(expect: Any) -> tuple:
    return expect if isinstance(expect, tuple) else (expect,)


def ordered(state: Any) -> str:
    """Order-sensitive text of the state: equal only with the same key order everywhere."""
    return json.dumps(state)


def survives(tk: Toolkit) -> None:
    """The toolkit still serves a normal call, and its state is still JSON."""
    n = tk.state["n"]
    result = tk.call("ping", {})
    assert result.ok, result.error
    assert result.value == {"n": n + 1}
    assert tk.state_hash().startswith("sha256:")


def contained(case: Case) -> None:
    """Run the attack and check it was contained (see the module docstring)."""
    tk = compile_toolkit(hostile(case.source, case.params), limits=case.limits)
    before_hash, before_text = tk.state_hash(), ordered(tk.state)
    before_keys = list(tk.state["d"])
    rss_before = rss_bytes()
    start = time.monotonic()
    result = tk.call("attack", case.args)
    elapsed = time.monotonic() - start
    assert elapsed < SECONDS, f"call took {elapsed:.1f} s"
    assert rss_bytes() - rss_before < RSS_GROWTH
    assert not result.ok, f"attack succeeded: {result.content[:300]}"
    assert result.error_kind in kinds(case.expect), (result.error_kind, result.error)
    if case.fragment:
        assert case.fragment in result.error
    assert json.loads(result.content) == {"error": result.error}
    assert len(result.content) < 5_000
    assert tk.state_hash() == before_hash
    assert ordered(tk.state) == before_text
    assert list(tk.state["d"]) == before_keys
    survives(tk)


def rejected(case: Case) -> None:
    start = time.monotonic()
    with pytest.raises(CompileError) as info:
        compile_toolkit(hostile(case.source, case.params), limits=case.limits)
    assert time.monotonic() - start < SECONDS
    problems = info.value.problems
    assert problems and all(p.message for p in problems)
    if case.line is not None:
        lines = case.line if isinstance(case.line, tuple) else (case.line,)
        assert any(p.line in lines for p in problems), [(p.line, p.message) for p in problems]


def check(case: Case) -> None:
    if case.expect == COMPILE:
        rejected(case)
    else:
        contained(case)


# ---------------------------------------------------------------------------------------
# 1. Escape attempts rejected at compile time (with the line of the offence)
# ---------------------------------------------------------------------------------------

_H = "def _h():\n    return 1\n\n"  # a helper on lines 1-2; the attack's def is line 4

COMPILE_ESCAPES = [
    Case("import", src("import os\nreturn os.getcwd()"), COMPILE, 2),
    Case("from_import", src("from os import path\nreturn path.sep"), COMPILE, 2),
    Case("module_level_import", "import subprocess\n\n" + src("return 1"), COMPILE, 1),
    Case("dunder_import", src("return __import__('os').getcwd()"), COMPILE, 2),
    Case("builtins_lookup", src("return __builtins__['open']('/etc/passwd').read()"), COMPILE, 2),
    Case("class_walk", src("return ().__class__.__base__.__subclasses__()"), COMPILE, 2),
    Case("subclasses_on_type", src("return int.__subclasses__()"), COMPILE, 2),
    Case("mro_walk", src("x = 'a'\nreturn x.__class__.__mro__[-1]"), COMPILE, 3),
    Case("func_globals", _H + src("return _h.__globals__['__builtins__']"), COMPILE, 5),
    Case("func_code", _H + src("return _h.__code__.co_consts"), COMPILE, 5),
    Case("func_closure", src("return sorted.__closure__[0].cell_contents"), COMPILE, 2),
    Case(
        "gen_frame_walk",
        src("g = (i for i in [1])\nreturn g.gi_frame.f_back.f_globals"),
        COMPILE,
        3,
    ),
    Case(
        "traceback_walk",
        src("""
        try:
            1 / 0
        except ZeroDivisionError as e:
            return e.__traceback__.tb_frame.f_back.f_globals
    """),
        COMPILE,
        5,
    ),
    Case(
        "tb_frame_name",
        src("""
        try:
            1 / 0
        except ZeroDivisionError as e:
            return e.tb_frame
    """),
        COMPILE,
        5,
    ),
    Case("gen_code_object", src("g = (x for x in [1, 2])\nreturn str(g.gi_code)"), COMPILE, 3),
    Case("f_back_name", src("x = {}\nreturn x.f_back"), COMPILE, 3),
    Case(
        "exc_context_walk",
        src("""
        try:
            1 / 0
        except ZeroDivisionError as e:
            return e.__context__
    """),
        COMPILE,
        5,
    ),
    Case("private_attribute", src("s = {1, 2}\nreturn s._items"), COMPILE, 3),
    Case("fstring_dunder", src("return f'{state.__class__}'"), COMPILE, 2),
    Case("fstring_spec_dunder", src("return f'{1:{state.__class__}}'"), COMPILE, 2),
    Case("fstring_computed_spec", src("w = 10 ** 9\nreturn f'{1:>{w}}'"), COMPILE, 3),
    Case("fstring_huge_width", src("return f'{1:>1000000000}'"), COMPILE, 2),
    Case("fstring_huge_zero_pad", src("return f'{1:01000000000}'"), COMPILE, 2),
    Case("class_definition", "class _A:\n    pass\n\n" + src("return 1"), COMPILE, 1),
    Case("metaclass", src("class A(metaclass=type):\n    pass\nreturn 1"), COMPILE, 2),
    Case("decorator", "def _d(f):\n    return f\n\n@_d\n" + src("return 1"), COMPILE, (4, 5)),
    Case("with_open", src("with open('/etc/passwd') as f:\n    return f.read()"), COMPILE, 2),
    Case("eval", src("return eval('1 + 1')"), COMPILE, 2),
    Case("exec", src("exec('x = 1')\nreturn 1"), COMPILE, 2),
    Case(
        "except_star",
        src("""
        try:
            pass
        except* ValueError:
            pass
        return 1
    """),
        COMPILE,
        (2, 4),
    ),
    Case(
        "finally_return_swallows_budget",
        src("""
        try:
            while True:
                pass
        finally:
            return 'swallowed'
    """),
        COMPILE,
        6,
    ),
    Case(
        "finally_break_swallows_budget",
        src("""
        while True:
            try:
                while True:
                    pass
            finally:
                break
        return 'swallowed'
    """),
        COMPILE,
        7,
    ),
    Case(
        "finally_continue",
        src("""
        for i in range(3):
            try:
                pass
            finally:
                continue
        return 1
    """),
        COMPILE,
        6,
    ),
    Case("attribute_assignment", src("e = ValueError('x')\ne.args = ('y',)\nreturn 1"), COMPILE, 3),
    Case("attribute_delete", src("e = ValueError('x')\ndel e.args\nreturn 1"), COMPILE, 3),
    Case("attribute_augassign", src("e = ValueError('x')\ne.args += ('y',)\nreturn 1"), COMPILE, 3),
    Case("global_rebinding", "_X = 1\n\n" + src("global _X\n_X = 2\nreturn _X"), COMPILE, 4),
    Case(
        "nonlocal_rebinding",
        src("""
        x = 1
        def _f():
            nonlocal x
            x = 2
        return x
    """),
        COMPILE,
        4,
    ),
    Case("generator_yield", "def _g():\n    yield 1\n\n" + src("return list(_g())"), COMPILE, 2),
    Case("async_def", "async def _a():\n    return 1\n\n" + src("return 1"), COMPILE, 1),
    Case("match_statement", src("match state:\n    case _:\n        return 1"), COMPILE, 2),
    Case("rebind_getattr_guard", src("_getattr_ = lambda o, n: 1\nreturn 1"), COMPILE, 2),
    Case("rebind_guard_module_level", "_step_ = None\n\n" + src("return 1"), COMPILE, 1),
    Case("rebind_guard_as_lambda_arg", src("f = lambda _step_=None: 1\nreturn f()"), COMPILE, 2),
    Case(
        "rebind_guard_in_except",
        src("""
        try:
            1 / 0
        except ZeroDivisionError as _handler_:
            return 1
    """),
        COMPILE,
        4,
    ),
    Case("rebind_guard_in_comprehension", src("return [0 for _write_ in range(3)]"), COMPILE, 2),
    Case("rebind_guard_walrus", src("return (_enter_ := 1)"), COMPILE, 2),
    Case("define_guard_function", "def _leave_():\n    return 1\n\n" + src("return 1"), COMPILE, 1),
    Case("delete_guard", src("del _fmt_\nreturn 1"), COMPILE, 2),
    # identifiers are NFKC-normalized by the parser: U+FE4F is a low line, U+FF45.. letters
    Case("unicode_dunder_normalized", src("return ()._\ufe4fclass\ufe4f_"), COMPILE, 2),
    Case("unicode_eval_normalized", src("return \uff45\uff56\uff41\uff4c('1')"), COMPILE, 2),
    Case("lambda_default_dunder", src("f = lambda x=().__class__: x\nreturn f()"), COMPILE, 2),
    Case("module_level_statement", "while True:\n    pass\n\n" + src("return 1"), COMPILE, 1),
    Case(
        "module_level_infinite_init",
        "def _spin():\n    while True:\n        pass\n\n_X = _spin()\n\n" + src("return 1"),
        COMPILE,
    ),
    Case("source_too_long", src("return 1") + "\n\n_PAD = 1\n" * 30_000, COMPILE),
    Case("parse_depth_bomb", src("return " + "(" * 5_000 + "1" + ")" * 5_000), COMPILE),
    Case("unary_chain_bomb", src("return " + "-" * 60_000 + "1"), COMPILE),
    Case("null_byte", src("return 1\x00"), COMPILE),
]


@pytest.mark.parametrize("case", [params_of(c) for c in COMPILE_ESCAPES])
def test_escape_rejected_at_compile_time(case: Case) -> None:
    check(case)


# ---------------------------------------------------------------------------------------
# 2. Escape attempts stopped at run time
# ---------------------------------------------------------------------------------------

RUNTIME_ESCAPES = [
    Case("str_format_walk", src("return '{0.__class__.__mro__}'.format(1)"), V, fragment="format"),
    Case("str_format_on_state_string", src("return state['s'].format(state)"), V),
    Case("str_format_bound_method", src("f = state['s'].format\nreturn f(1)"), V),
    Case("str_format_map_walk", src("return '{x.__class__}'.format_map({'x': 1})"), V),
    Case("str_encode_bytes", src("return list('abc'.encode())"), V),
    Case("str_maketrans", src("return 'abc'.maketrans('a', 'b')"), V),
    Case(
        "exception_with_traceback",
        src("""
        try:
            1 / 0
        except ZeroDivisionError as e:
            return str(e.with_traceback(None))
    """),
        V,
    ),
    # attributes CPython does not have either: CPython's own AttributeError
    Case(
        "function_attribute",
        _H + src("return str(_h.func_globals)"),
        K.runtime_error,
        fragment="AttributeError: 'function' object has no attribute 'func_globals'",
    ),
    Case(
        "lambda_default_captures_builtin",
        src("f = lambda g=sorted: g\nreturn f().cell_contents"),
        K.runtime_error,
        fragment="has no attribute 'cell_contents'",
    ),
    Case("class_method_on_int", src("return str(int.mro())"), V),
    Case("class_method_on_exception", src("return str(ValueError.mro())"), V),
    Case("int_real_attribute", src("return (1).real"), V),
    Case("genexp_send", src("g = (x for x in [1, 2])\nreturn g.send(None)"), V),
    Case(
        "map_object_attribute",
        src("m = map(abs, [1])\nreturn str(m.close)"),
        K.runtime_error,
        fragment="AttributeError: 'list' object has no attribute 'close'",
    ),
    Case("list_append_unbound", src("return list.append"), K.invalid_result),
    Case(
        "set_private_via_method",
        src("s = {1}\nreturn str(s.mro)"),
        K.runtime_error,
        fragment="'set' object has no attribute 'mro'",
    ),
    Case(
        "str_format_after_mutation",
        src("""
        state['n'] += 1
        state['items'].append('{0.__class__}')
        return state['items'][-1].format(1)
    """),
        V,
    ),
]

_UNAVAILABLE = {
    "getattr": "1, 'real'",
    "setattr": "state, 'x', 1",
    "delattr": "state, 'x'",
    "vars": "",
    "globals": "",
    "locals": "",
    "dir": "",
    "compile": "'1', 'f', 'eval'",
    "open": "'/etc/passwd'",
    "input": "",
    "breakpoint": "",
    "object": "",
    "super": "",
    "id": "state",
    "hash": "'a'",
    "memoryview": "b''",
    "bytearray": "10",
    "bytes": "10",
    "format": "1, '>10'",
    "exit": "",
    "quit": "",
    "help": "",
    "classmethod": "len",
    "staticmethod": "len",
    "property": "len",
    "BaseException": "",
    "SystemExit": "",
    "KeyboardInterrupt": "",
    "GeneratorExit": "",
}
# a name that is neither defined nor a sandbox builtin is a compile error (line 2)
UNAVAILABLE = [
    Case(f"builtin_{name}", src(f"return str({name}({arg}))"), COMPILE, 2)
    for name, arg in _UNAVAILABLE.items()
]


@pytest.mark.parametrize("case", [params_of(c) for c in RUNTIME_ESCAPES + UNAVAILABLE])
def test_escape_stopped_at_run_time(case: Case) -> None:
    check(case)


def test_harmless_tricks_leak_nothing() -> None:
    """Things that run but must not reveal internals (names, addresses, modules)."""
    source = src("""
        f = lambda x=print: x
        out = [str(f()), repr(sorted), f'{isinstance}', str([len, map])]
        try:
            1 / 0
        except ZeroDivisionError as e:
            out.append(str(e))
            out.extend([str(a) for a in e.args])
        print('ignored', file=None)
        return out
    """)
    tk = compile_toolkit(hostile(source), limits=LIMITS)
    result = tk.call("attack", {})
    assert result.ok
    for leak in ("0x", "toolkits", "sandbox", "__", "make_builtins", "<locals>"):
        assert leak not in result.content, result.content
    survives(tk)


def test_shadowing_builtins_stays_inside_the_toolkit() -> None:
    source = "len = 5\n\n" + src("""
        sorted = lambda *a, **k: 'mine'
        ToolError = ValueError
        if len != 5:
            return 'not shadowed'
        return [sorted([2, 1]), len]
    """)
    tk = compile_toolkit(hostile(source), limits=LIMITS)
    result = tk.call("attack", {})
    assert result.ok and result.value == ["mine", 5]
    other = compile_toolkit(hostile(src("return [len([1, 2]), sorted([2, 1])]")), limits=LIMITS)
    assert other.call("attack", {}).value == [2, [1, 2]]
    survives(tk)


# ---------------------------------------------------------------------------------------
# 3. Infinite loops and recursion; 4. budget-swallowing try/except
# ---------------------------------------------------------------------------------------

LOOPS = [
    Case("while_true", src("while True:\n    pass"), B),
    Case("while_true_state_writes", src("while True:\n    state['n'] += 1"), B),
    Case("for_over_growing_local_list", src("x = [0]\nfor v in x:\n    x.append(v)"), (B, R)),
    Case(
        "for_over_growing_state_list",
        src("for v in state['items']:\n    state['items'].append(v)"),
        (B, R),
    ),
    Case(
        "recursion",
        "def _r(n):\n    return _r(n + 1)\n\n" + src("return _r(0)"),
        R,
        fragment="depth",
    ),
    Case(
        "mutual_recursion",
        "def _a(n):\n    return _b(n + 1)\n\ndef _b(n):\n    return _a(n + 1)\n\n"
        + src("return _a(0)"),
        R,
    ),
    Case("lambda_recursion", "_f = lambda n: _f(n + 1)\n\n" + src("return _f(0)"), R),
    Case("local_lambda_recursion", src("f = lambda n: f(n + 1)\nreturn f(0)"), R),
    Case(
        "recursion_through_sorted_key",
        "def _r(n):\n    return sorted([1, 2], key=lambda v: _r(n + 1))\n\n" + src("return _r(0)"),
        R,
    ),
    Case(
        "loop_in_except_handler",
        src("""
        try:
            1 / 0
        except ZeroDivisionError:
            while True:
                pass
    """),
        B,
    ),
    Case(
        "loop_in_finally",
        src("""
        try:
            return 1
        finally:
            while True:
                pass
    """),
        B,
    ),
    Case(
        "loop_in_else",
        src("""
        try:
            pass
        except Exception:
            pass
        else:
            while True:
                pass
    """),
        B,
    ),
    Case(
        "generator_expression",
        src("return sum(1 for i in range(100000) for j in range(100000))"),
        B,
    ),
    Case(
        "nested_list_comprehension",
        src("return len([(i, j) for i in range(100000) for j in range(100000)])"),
        B,
    ),
    Case("dict_comprehension", src("return len({str(i): i for i in range(100000)})"), B),
    Case("set_comprehension", src("return len({i for i in range(100000)})"), B),
    Case("sorted_key_lambda", src("return sorted(range(100000), key=lambda v: -v)[:3]"), B),
    Case(
        "sorted_key_lambda_loops",
        src("return sorted(range(10), key=lambda v: [w for w in range(100000)])"),
        B,
    ),
    Case(
        "sorted_key_helper_spins",
        "def _spin(v):\n    while True:\n        pass\n\n"
        + src("return sorted([3, 1], key=_spin)"),
        B,
    ),
    Case("max_key_lambda", src("return max(range(100000), key=lambda v: v % 7)"), B),
    Case(
        "map_lambda_silently_truncated", src("return len(list(map(lambda v: v, range(100000))))"), B
    ),
    Case("filter_lambda", src("return len(list(filter(lambda v: True, range(100000))))"), B),
    Case(
        "any_over_generator", src("return any(False for i in range(100000) for j in range(9))"), B
    ),
    Case(
        "exponential_recursion",
        "def _f(n):\n    return 1 if n == 0 else _f(n - 1) + _f(n - 1)\n\n" + src("return _f(60)"),
        B,
    ),
    Case(
        "while_in_helper_from_map",
        "def _spin(v):\n    while True:\n        pass\n\n" + src("return list(map(_spin, [1]))"),
        B,
    ),
]

SWALLOWERS = [
    Case(
        "except_exception_around_loop",
        src("""
        try:
            while True:
                pass
        except Exception:
            return 'swallowed'
    """),
        B,
    ),
    Case(
        "bare_except_around_loop",
        src("""
        try:
            while True:
                pass
        except:
            return 'swallowed'
    """),
        B,
    ),
    Case(
        "except_stopiteration_name",
        src("""
        try:
            while True:
                pass
        except StopIteration:
            return 'swallowed'
    """),
        B,
    ),
    Case(
        "except_runtimeerror_around_genexp",
        src("""
        try:
            return sum(1 for i in range(100000) for j in range(100000))
        except RuntimeError:
            return 'swallowed'
    """),
        B,
    ),
    Case(
        "except_tuple_with_undefined_base",
        src("""
        try:
            while True:
                pass
        except (Exception, BaseException):
            return 'swallowed'
    """),
        COMPILE,  # BaseException is not defined in the sandbox: a compile error now
        5,
    ),
    Case(
        "retry_loop_with_continue",
        src("""
        while True:
            try:
                while True:
                    pass
            except:
                continue
    """),
        B,
    ),
    Case(
        "nested_try_swallow",
        src("""
        try:
            try:
                while True:
                    pass
            except Exception:
                pass
            return 'inner swallowed'
        except:
            return 'outer swallowed'
    """),
        B,
    ),
    Case(
        "swallow_then_return_without_steps",
        src("""
        try:
            list(map(lambda v: v, range(100000)))
        except Exception:
            pass
        return 'swallowed'
    """),
        B,
    ),
    Case(
        "swallow_in_recursive_retry",
        """
def _f(n):
    try:
        return _f(n + 1)
    except Exception:
        return _f(n + 1)

"""
        + src("return _f(0)"),
        (R, B),
    ),
    Case(
        "swallow_recursion_error",
        src("""
        f = lambda n: f(n + 1)
        try:
            return f(0)
        except Exception:
            state['n'] = 99
            return 'swallowed'
    """),
        R,
    ),
    Case(
        "swallow_limit_error",
        src("""
        try:
            x = 'x' * 10 ** 10
        except Exception:
            return 'swallowed'
    """),
        R,
    ),
    Case(
        "swallow_violation",
        src("""
        try:
            return '{0.__class__}'.format(1)
        except:
            return 'swallowed'
    """),
        V,
    ),
    Case(
        "finally_loops_after_abort",
        src("""
        try:
            while True:
                pass
        finally:
            for i in range(100000):
                state['n'] = i
    """),
        B,
    ),
    Case(
        "swallow_timeout",
        src("""
        try:
            while True:
                pass
        except:
            pass
        return 'swallowed'
    """),
        K.timeout,
        limits=BIG_STEPS,
    ),
    Case(
        "slow_builtin_in_loop_times_out",
        src("""
        x = list(range(100000))
        while True:
            try:
                x.count(-1)
            except:
                pass
    """),
        K.timeout,
        limits=BIG_STEPS,
    ),
]


@pytest.mark.parametrize("case", [params_of(c) for c in LOOPS + SWALLOWERS])
def test_loops_recursion_and_swallowing_are_bounded(case: Case) -> None:
    check(case)


# ---------------------------------------------------------------------------------------
# 5. Memory bombs
# ---------------------------------------------------------------------------------------

_DAG = "x = [0]\nfor i in range(64):\n    x = [x, x]\n"
MEMORY = [
    Case("str_repeat", src("return len('x' * 10 ** 10)"), R),
    Case("list_repeat", src("return len([0] * 10 ** 9)"), R),
    Case("tuple_repeat", src("return len((0,) * 10 ** 9)"), R),
    Case("repeat_reversed_operands", src("return len(10 ** 9 * [0])"), R),
    Case("str_doubling_add", src("s = 'x'\nwhile True:\n    s = s + s"), BR),
    Case("str_doubling_augassign", src("s = 'x'\nwhile True:\n    s += s"), BR),
    Case("list_doubling_extend_self", src("x = [0]\nwhile True:\n    x.extend(x)"), BR),
    Case("list_doubling_augassign", src("x = [0]\nwhile True:\n    x += x"), BR),
    Case("list_doubling_imul", src("x = [0]\nwhile True:\n    x *= 2"), BR),
    Case("starred_display_doubling", src("x = [0]\nwhile True:\n    x = [*x, *x]"), BR),
    Case("starred_tuple_doubling", src("x = (0,)\nwhile True:\n    x = (*x, *x)"), BR),
    Case(
        "dict_star_merge_growth",
        src("""
        d = {'k': 0}
        while True:
            d = {**d, **{k + 'x': v for k, v in d.items()}}
    """),
        BR,
    ),
    Case("state_list_doubling", src("while True:\n    state['items'] += state['items']"), BR),
    Case(
        "state_list_extend_self", src("while True:\n    state['items'].extend(state['items'])"), BR
    ),
    Case(
        "state_string_doubling",
        src("state['s'] = 'x'\nwhile True:\n    state['s'] += state['s']"),
        BR,
    ),
    Case("join_many_refs", src("big = 'x' * 1000000\nreturn len(''.join([big] * 100000))"), BR),
    Case(
        "join_huge_separator", src("sep = 'x' * 1000000\nreturn len(sep.join(['a'] * 100000))"), BR
    ),
    Case("replace_empty_pattern", src("s = 'x' * 100000\nreturn len(s.replace('', s))"), BR),
    Case("replace_growth", src("s = 'a' * 1000000\nreturn len(s.replace('a', 'bbbbbbbb'))"), BR),
    Case("ljust_huge", src("return len('x'.ljust(10 ** 9))"), R),
    Case("rjust_huge", src("return len('x'.rjust(10 ** 9, '*'))"), R),
    Case("center_huge", src("return len('x'.center(10 ** 9))"), R),
    Case("zfill_huge", src("return len('1'.zfill(10 ** 9))"), R),
    Case("expandtabs_huge", src("return len(('\\t' * 100000).expandtabs(100000))"), BR),
    Case("percent_width", src("return len('%1000000000d' % 1)"), R),
    Case("percent_precision", src("return len('%.1000000000f' % 1.0)"), R),
    Case("percent_star_width", src("return len('%*d' % (10 ** 9, 1))"), R),
    Case("percent_mapping_width", src("return len('%(a)1000000000s' % {'a': 1})"), R),
    Case("pow_tower", src("return 10 ** 10 ** 10"), R),
    Case("pow_builtin", src("return pow(10, 10 ** 9) % 7"), R),
    Case("pow_float_overflow", src("return 10.0 ** 100000"), R),
    Case("lshift_huge", src("return (1 << 10 ** 9) % 7"), R),
    Case("lshift_augassign", src("x = 1\nx <<= 10 ** 9\nreturn x % 7"), R),
    Case("int_squaring", src("x = 3\nwhile True:\n    x = x * x"), R),
    Case("int_pow_augassign", src("x = 3\nwhile True:\n    x **= 2"), R),
    Case("int_from_huge_decimal_string", src("return int('9' * 100000) % 7"), (K.runtime_error, R)),
    Case("int_to_huge_str", src("return len(str(2 ** 4000 * 2 ** 4000))"), R),
    Case("range_materialized", src("return len(list(range(10 ** 12)))"), R),
    Case("range_iterated", src("for i in range(10 ** 12):\n    pass"), R),
    Case("range_huge_in_sorted", src("return sorted(range(10 ** 12))[:1]"), R),
    Case("dag_str", src(_DAG + "return len(str(x))"), BR),
    Case("dag_repr", src(_DAG + "return len(repr(x))"), BR),
    Case("dag_fstring", src(_DAG + "return len(f'{x}')"), BR),
    Case("dag_fstring_repr_conversion", src(_DAG + "return len(f'{x!r}')"), BR),
    Case("dag_percent", src(_DAG + "return len('%s' % (x,))"), BR),
    Case("dag_returned", src(_DAG + "return x"), (K.output_too_large, B)),
    Case("dag_stored_in_state", src(_DAG + "state['dag'] = x\nreturn 1"), (B, K.invalid_state, R)),
    Case(
        "dag_appended_to_state",
        src(_DAG + "state['items'].append(x)\nreturn 1"),
        (B, K.invalid_state, R),
    ),
    Case("dag_as_exception_text", src(_DAG + "raise ToolError(str(x))"), BR),
    Case(
        "dict_dag_str",
        src("d = {}\nfor i in range(64):\n    d = {'a': d, 'b': d}\nreturn len(str(d))"),
        BR,
    ),
    Case(
        "dag_depth_30_stored_in_state",
        src("x = [0]\nfor i in range(30):\n    x = [x, x]\nstate['x'] = x\nreturn 1"),
        (B, K.invalid_state),  # the DAG is walked once, then refused: x is stored twice
    ),
    Case(
        "dict_dag_depth_30_stored_in_state",
        src("x = {}\nfor i in range(30):\n    x = {'a': x, 'b': x}\nstate['x'] = x\nreturn 1"),
        (B, K.invalid_state),
    ),
    Case(
        "dag_depth_30_returned",
        src("x = {}\nfor i in range(30):\n    x = {'a': x, 'b': x}\nreturn x"),
        OUT,
    ),
    Case(
        "state_nested_into_itself",
        src("while True:\n    state['x'] = state"),
        (B, K.invalid_state, R),
    ),
    Case(
        "state_breadth_doubling",
        src("state['x'] = [0]\nwhile True:\n    state['x'] = state['x'] + state['x']"),
        BR,
    ),
    Case(
        "memory_growth_by_split_lists",
        src("""
        s = 'x' * 1000000
        keep = []
        while True:
            keep.append(s.split('x'))
    """),
        (K.memory_limit, B, R),
        limits=Limits(max_steps=10**8, timeout_seconds=5.0, max_memory_mb=256),
    ),
]


@pytest.mark.parametrize("case", [params_of(c) for c in MEMORY])
def test_memory_bombs_are_bounded(case: Case) -> None:
    check(case)


# ---------------------------------------------------------------------------------------
# 6. Huge outputs; 7. non-JSON values stored in the state; 8. non-JSON results
# ---------------------------------------------------------------------------------------

OUTPUTS = [
    Case("return_1m_string", src("return 'x' * 1000000"), OUT),
    Case("return_10m_chars", src("return ['x' * 1000000] * 10"), OUT),
    Case("return_huge_list", src("return [0] * 100000"), OUT),
    Case("return_many_keys", src("return {str(i): i for i in range(15000)}"), OUT),
    Case("return_shared_big_strings", src("s = 'x' * 100000\nreturn [s] * 1000"), OUT),
    Case("return_nested_refs", src("return [['x' * 1000] * 100] * 100"), OUT),
    Case(
        "return_deep_nesting",
        src("x = []\nfor i in range(1000):\n    x = [x]\nreturn x"),
        K.invalid_result,
    ),
    Case(
        "return_state_after_growth", src("state['items'] = ['x' * 1000] * 1000\nreturn state"), OUT
    ),
]

_STATE_WRITES = {
    "tuple": "state['bad'] = (1, 2)",
    "set_display": "state['bad'] = {1, 2}",
    "set_builtin": "state['bad'] = set([1])",
    "frozenset": "state['bad'] = frozenset([1])",
    "nan": "state['bad'] = float('nan')",
    "inf": "state['bad'] = float('inf')",
    "neg_inf_from_overflow": "state['bad'] = -1e308 * 10",
    "inf_from_string": "state['bad'] = float('9' * 400)",
    "complex": "state['bad'] = (-1) ** 0.5",
    "int_key": "state['d'][1] = 2",
    "none_key": "state['d'][None] = 2",
    "bool_key": "state['d'][True] = 2",
    "float_key": "state['d'][1.5] = 2",
    "int_key_in_new_dict": "state['bad'] = {1: 2}",
    "function": "state['bad'] = _h",
    "lambda": "state['bad'] = lambda: 1",
    "builtin_function": "state['bad'] = print",
    "exception_instance": "state['bad'] = ValueError('x')",
    "range_object": "state['bad'] = range(3)",
    "generator_object": "state['bad'] = (x for x in [1])",
    "list_cycle": "x = []\nx.append(x)\nstate['bad'] = x",
    "dict_cycle": "d = {}\nd['self'] = d\nstate['bad'] = d",
    "cycle_via_state": "state['items'].append(state['items'])\nstate['items'][-1].append(_h)",
    "too_deep": "x = 1\nfor i in range(100):\n    x = [x]\nstate['bad'] = x",
    "too_deep_by_append": "x = state['items']\nfor i in range(100):\n    x.append([])\n"
    "    x = x[-1]",
    "tuple_via_append": "state['items'].append((1,))",
    "tuple_via_insert": "state['items'].insert(0, (1,))",
    "tuple_via_extend": "state['items'].extend([1, (2,)])",
    "tuple_via_iadd": "state['items'] += [(1,)]",
    "tuple_via_slice": "state['items'][0:1] = [(1,)]",
    "tuple_via_index": "state['items'][0] = (1,)",
    "set_via_update": "state['d'].update({'z': {1}})",
    "set_via_setdefault": "state['d'].setdefault('z', {1})",
    "set_via_dict_ior": "x = state['d']\nx |= {'z': {1}}",
    "nested_bad_value": "state['d']['a']['x'].append({'deep': [1, {'k': float('nan')}]})",
}
STATE_CASES = [
    Case(f"state_{name}", _H + src(f"state['n'] += 7\n{write}\nreturn 'stored'"), K.invalid_state)
    for name, write in _STATE_WRITES.items()
]

_RESULTS = {
    "set": "{1, 2}",
    "set_builtin": "set()",
    "function": "_h",
    "lambda": "lambda: 1",
    "builtin": "print",
    "nan": "float('nan')",
    "inf": "float('inf')",
    "complex": "(-1) ** 0.5",
    "key_clash": "{1: 'a', '1': 'b'}",  # int keys are coerced as json.dumps does
    "tuple_key": "{(1, 2): 3}",
    "exception": "ValueError('x')",
    "range": "range(3)",
    "generator": "(x for x in [1])",
    "list_cycle": "_cycle()",
    "dict_cycle": "_dcycle()",
}
_CYCLES = (
    "def _cycle():\n    x = []\n    x.append(x)\n    return x\n\n"
    "def _dcycle():\n    d = {}\n    d['d'] = d\n    return d\n\n"
)
RESULT_CASES = [
    Case(f"result_{name}", _H + _CYCLES + src(f"state['n'] += 7\nreturn {expr}"), K.invalid_result)
    for name, expr in _RESULTS.items()
] + [
    # int() refuses to build it (resource_limit); no other way to reach 4300 digits
    Case(
        "result_huge_int",
        _H + src("state['n'] += 7\nreturn int('9' * 4300)"),
        (K.invalid_result, R),
    )
]


@pytest.mark.parametrize("case", [params_of(c) for c in OUTPUTS + STATE_CASES + RESULT_CASES])
def test_outputs_state_and_results_must_be_json(case: Case) -> None:
    check(case)


# ---------------------------------------------------------------------------------------
# 9. Module-level state cannot leak between calls
# ---------------------------------------------------------------------------------------

LEAKS = [
    ("module_list", "_SEEN = []\n\n" + src("_SEEN.append(1)\nreturn len(_SEEN)"), {}),
    ("module_dict", "_C = {}\n\n" + src("_C['k'] = _C.get('k', 0) + 1\nreturn _C['k']"), {}),
    (
        "module_nested",
        "_C = {'a': [[]]}\n\n" + src("_C['a'][0].append(1)\nreturn len(_C['a'][0])"),
        {},
    ),
    (
        "module_comprehension",
        "_C = {k: [] for k in 'ab'}\n\n" + src("_C['a'].append(1)\nreturn len(_C['a'])"),
        {},
    ),
    (
        "module_lambda_default",
        "_F = lambda acc=[]: acc\n\n" + src("_F().append(1)\nreturn len(_F())"),
        {},
    ),
    (
        "tool_mutable_default",
        src("acc.append(1)\nreturn len(acc)", "state, acc=[]"),
        {"acc": {"type": "array"}},
    ),
    (
        "helper_mutable_default",
        "def _h(x, acc=[]):\n    acc.append(x)\n    return len(acc)\n\n" + src("return _h(1)"),
        {},
    ),
    ("state_reference_kept", "_KEEP = []\n\n" + src("_KEEP.append(state)\nreturn len(_KEEP)"), {}),
    ("module_oset", "_S = set()\n\n" + src("_S.add(len(_S))\nreturn len(_S)"), {}),
]


@pytest.mark.parametrize(("source", "params"), [pytest.param(s, p, id=i) for i, s, p in LEAKS])
def test_module_level_values_do_not_leak_between_calls(source: str, params: dict) -> None:
    tk = compile_toolkit(hostile(source, params, required=[]), limits=LIMITS)
    before = tk.state_hash()
    results = [tk.call("attack", {}) for _ in range(3)]
    assert [r.ok for r in results] == [True] * 3
    assert [r.value for r in results] == [1, 1, 1]
    assert tk.state_hash() == before
    survives(tk)


# ---------------------------------------------------------------------------------------
# 10. Exceptions carrying huge messages
# ---------------------------------------------------------------------------------------

EXCEPTIONS = [
    Case("toolerror_huge_message", src("raise ToolError('x' * 1000000)"), K.tool_error),
    Case("toolerror_many_args", src("raise ToolError(*(['y' * 1000] * 10000))"), K.tool_error),
    Case("toolerror_huge_list_arg", src("raise ToolError(['x' * 1000] * 100000)"), K.tool_error),
    Case("toolerror_dag_arg", src(_DAG + "raise ToolError(x)"), K.tool_error),
    Case("toolerror_big_int", src("raise ToolError(int('9' * 4000))"), (K.tool_error, R)),
    Case(
        "toolerror_wrapping_exception",
        src("raise ToolError(ValueError('z' * 1000000))"),
        K.tool_error,
    ),
    Case(
        "toolerror_from_cause",
        src("raise ToolError('a') from ValueError('b' * 1000000)"),
        K.tool_error,
    ),
    Case("valueerror_huge_message", src("raise ValueError('x' * 1000000)"), K.runtime_error),
    Case("keyerror_huge_key", src("raise KeyError('k' * 1000000)"), K.runtime_error),
    Case("keyerror_from_lookup", src("return state['d']['q' * 1000000]"), K.runtime_error),
    Case(
        "exception_text_doubled",
        src("""
        try:
            raise ValueError('x' * 1000000)
        except ValueError as e:
            raise ToolError(str(e) + str(e))
    """),
        (K.tool_error, R),
    ),
    Case("raise_non_exception", src("raise 'x' * 1000000"), K.runtime_error),
    Case("raise_class_with_huge_args", src("raise ValueError(*range(100000))"), K.runtime_error),
]


@pytest.mark.parametrize("case", [params_of(c) for c in EXCEPTIONS])
def test_exceptions_with_huge_messages_are_bounded(case: Case) -> None:
    check(case)
    tk = compile_toolkit(hostile(case.source), limits=case.limits)
    result = tk.call("attack", {})
    assert len(result.error) <= 2_100 and len(result.content) <= 2_200


# ---------------------------------------------------------------------------------------
# 11. Mutating the state then failing: exact rollback, key order included
# ---------------------------------------------------------------------------------------

_MUTATIONS = """
    d = state['d']
    del d['b']
    d['b'] = 10
    d.pop('a')
    d['z'] = {'new': [1]}
    d.setdefault('y', [])
    d.update({'c': 30, 'w': 1})
    d.popitem()
    d |= {'v': 2}
    state['d2'] = d
    items = state['items']
    items.append({'q': 1})
    items.insert(0, 'first')
    items.sort(key=lambda v: str(v))
    items.reverse()
    items[1] = 'replaced'
    items[0:2] = [7, 8, 9]
    del items[-1]
    items += [4]
    items *= 2
    items.pop()
    items.pop(0)
    items.remove(8)
    items[0] = items
    state['d']['z']['new'].clear()
    state['n'] += 100
    state['s'] += 'tail'
    state['d']['x'] = state['items']
    state.pop('s')
    state['s'] = 'back'
    inner = state['d2']
    state.clear()
    state.update({'fresh': True, 'n': 1})
    inner['gone'] = 1
    for k in ['p', 'q', 'r']:
        state[k] = {'m': [k]}
    del state['q']
"""
_FAILURES = {
    "tool_error": ("raise ToolError('undo')", K.tool_error, LIMITS),
    "runtime_error": ("return 1 // 0", K.runtime_error, LIMITS),
    "budget": ("while True:\n    state['n'] += 1", B, LIMITS),
    "timeout": ("while True:\n    state['n'] += 1", K.timeout, BIG_STEPS),
    "invalid_state": ("state['p']['m'].append(float('nan'))", K.invalid_state, LIMITS),
    "invalid_result": ("return {1, 2}", K.invalid_result, LIMITS),
    "output_too_large": ("return 'x' * 1000000", OUT, LIMITS),
    "resource_limit": ("return 'x' * 10 ** 10", R, LIMITS),
    "recursion": ("f = lambda n: f(n + 1)\nreturn f(0)", R, LIMITS),
    "sandbox_violation": ("return '{0.real}'.format(1)", V, LIMITS),
    "swallowed_then_fails": (
        "try:\n    while True:\n        state['n'] += 1\nexcept:\n    return 'swallowed'",
        B,
        LIMITS,
    ),
}
ROLLBACKS = [
    Case(f"mutate_then_{name}", src(textwrap.dedent(_MUTATIONS) + failure), kind, limits=limits)
    for name, (failure, kind, limits) in _FAILURES.items()
]


def test_the_mutations_succeed_when_nothing_fails() -> None:
    """The rollback cases really mutate: the same code without the failure commits."""
    tk = compile_toolkit(hostile(src(textwrap.dedent(_MUTATIONS) + "return 'done'")), limits=LIMITS)
    before = tk.state_hash()
    result = tk.call("attack", {})
    assert result.ok, result.error
    assert tk.state_hash() != before
    assert list(tk.state) == ["fresh", "n", "p", "r"]


@pytest.mark.parametrize("case", [params_of(c) for c in ROLLBACKS])
def test_state_is_rolled_back_exactly(case: Case) -> None:
    check(case)


_AT_DEPTH = """
def _op(state, op):
    d, items = state['d'], state['items']
    if op == 'popitem':
        d['t'] = [1]
        d.popitem()
    elif op == 'pop':
        d['t'] = {'u': 1}
        d.pop('b')
    elif op == 'del':
        del d['a']
    elif op == 'set':
        d['b'] = {'v': [2]}
    elif op == 'update':
        d.update({'z': [1], 'b': 5})
    elif op == 'setdefault':
        d.setdefault('z', {'w': []})
    elif op == 'dict_ior':
        d |= {'a': 0, 'y': [3]}
    elif op == 'clear':
        d.clear()
    elif op == 'sort':
        items.sort(key=lambda v: -len(str(v)))
    elif op == 'insert':
        items.insert(1, {'k': [1]})
    elif op == 'append':
        items.append({'k': [1]})
    elif op == 'extend':
        items.extend([{'a': 1}, [2]])
    elif op == 'iadd':
        state['items'] += [{'a': 1}]
    elif op == 'pop_first':
        items.pop(0)
    elif op == 'index_set':
        items[0] = {'i': [0]}
    elif op == 'slice':
        items[0:2] = [9]
    elif op == 'del_slice':
        del items[:1]
    elif op == 'augassign':
        state['n'] += 1
    return 0

def attack(state, k, op):
    f = lambda n: _op(state, op) if n == 0 else f(n - 1)
    f(k)
    raise ToolError('undo')
"""
_DEPTH_OPS = [
    "popitem",
    "pop",
    "del",
    "set",
    "update",
    "setdefault",
    "dict_ior",
    "clear",
    "sort",
    "insert",
    "append",
    "extend",
    "iadd",
    "pop_first",
    "index_set",
    "slice",
    "del_slice",
    "augassign",
]


@pytest.fixture(scope="module")
def depth_toolkit() -> Toolkit:
    params = {"k": {"type": "integer"}, "op": {"type": "string"}}
    limits = Limits(max_steps=1_000_000, max_depth=100_000, timeout_seconds=5.0)
    return compile_toolkit(hostile(_AT_DEPTH, params), limits=limits)


@pytest.mark.parametrize("op", _DEPTH_OPS)
def test_rollback_is_exact_when_the_stack_runs_out_mid_write(op: str, depth_toolkit) -> None:
    """Stack exhaustion lands at every point of a journaled write; none corrupts the state."""
    tk = depth_toolkit
    tk.reset()
    before_hash, before_text = tk.state_hash(), ordered(tk.state)
    low, high = 0, 5_000  # the smallest k at which a plain call runs out of stack, from here
    while low < high:
        mid = (low + high) // 2
        if tk.call("attack", {"k": mid, "op": "noop"}).error_kind == R:
            high = mid
        else:
            low = mid + 1
    seen = set()
    for k in range(max(0, low - 60), low + 1):
        result = tk.call("attack", {"k": k, "op": op})
        seen.add(result.error_kind)
        assert result.error_kind in (R, K.tool_error), (k, result.error)
        assert tk.state_hash() == before_hash, (k, tk.state)
        assert ordered(tk.state) == before_text, (k, tk.state)
    assert seen == {R, K.tool_error}  # the sweep crossed the boundary
    survives(tk)


def test_hostile_invariants_are_read_only_and_bounded() -> None:
    spec = hostile(src("return 1"))
    spec["invariants"] = [
        {"description": "mutates", "expr": "state['items'].append(1) or state.clear() or True"},
        {"description": "loops", "expr": "len([0 for i in range(10 ** 5) for j in range(9)]) > 0"},
        {"description": "walks", "expr": "'{0.__class__}'.format(1) == ''"},
        {"description": "bombs", "expr": "len('x' * 10 ** 10) > 0"},
    ]
    tk = compile_toolkit(spec, limits=LIMITS, check_invariants=True)
    result = tk.call("ping", {})
    assert result.ok and result.value == {"n": 1}
    assert [v.split(" (")[0] for v in result.invariant_violations] == ["loops", "walks", "bombs"]
    expected = json.loads(json.dumps(INITIAL))
    expected["n"] = 1
    assert ordered(tk.state) == ordered(expected)
    bad = hostile(src("return 1"))
    bad["invariants"] = [{"description": "escape", "expr": "state.__class__.__mro__"}]
    with pytest.raises(CompileError):
        compile_toolkit(bad, limits=LIMITS)


DEFAULT_LIMIT_CASES = [
    Case("default_while_true", src("while True:\n    pass"), B),
    Case(
        "default_swallowed_loop",
        src("try:\n    while True:\n        pass\nexcept:\n    return 1"),
        B,
    ),
    Case("default_str_repeat", src("return len('x' * 10 ** 10)"), R),
    Case("default_dag_str", src(_DAG + "return len(str(x))"), BR),
    Case("default_dag_state", src(_DAG + "state['x'] = x\nreturn 1"), (B, K.invalid_state)),
    Case("default_recursion", "def _r(n):\n    return _r(n + 1)\n\n" + src("return _r(0)"), R),
    Case("default_output", src("return [0] * 100000"), OUT),
    Case("default_doubling", src("s = 'x'\nwhile True:\n    s += s"), BR),
]


@pytest.mark.parametrize("case", [params_of(c) for c in DEFAULT_LIMIT_CASES])
def test_default_limits_contain_the_classics(case: Case) -> None:
    check(Case(**{**case.__dict__, "limits": Limits()}))


def test_evaluate_cannot_mutate_the_state() -> None:
    tk = compile_toolkit(hostile(src("return 1")), limits=LIMITS)
    before_hash, before_text = tk.state_hash(), ordered(tk.state)
    for expr in (
        "state['items'].append(1) or state['d'].pop('a') or state.clear() or 1",
        "[state.update({'x': 1}), state['d'].popitem(), state['items'].sort()]",
        "state.setdefault('z', [float('nan')])",
        "[1 for _ in range(10 ** 6)]",
        "'{0.__class__}'.format(state)",
    ):
        tk.evaluate(expr)
        assert tk.state_hash() == before_hash
        assert ordered(tk.state) == before_text
    survives(tk)


# ---------------------------------------------------------------------------------------
# 12. Holes found by this battery, checked in-process (cheap, deterministic)
# ---------------------------------------------------------------------------------------

# Holes found by this battery and fixed since; kept as regression tests.
HOLES_IN_PROCESS = [
    Case(
        "fstring_result_not_size_checked",
        src("""
        s = 'x' * 1000000
        state['big'] = f'{s}{s}{s}'
        return len(state['big'])
    """),
        R,
    ),
    Case(
        "fstring_precision_not_bounded",
        src("""
        state['big'] = f'{1.5:.10000000f}'
        return len(state['big'])
    """),
        (R, COMPILE),
    ),
    Case(
        "int_parsing_bypasses_max_int_bits",
        src("""
        state['n'] = int('1' * 20000, 2)
        return 1
    """),
        (R, K.invalid_state),
    ),
    Case(
        "lone_surrogate_stored_in_state",
        src("""
        state['s'] = chr(0xD800)
        return 1
    """),
        (K.invalid_state, K.runtime_error),
    ),
    Case(
        "lone_surrogate_returned",
        src("return ['ok', chr(0xDFFF)]"),
        (K.invalid_result, K.runtime_error),
    ),
    Case(
        "str_case_mapping_expands",
        src("""
        state['big'] = ('\\u0390' * 1000000).upper()
        return len(state['big'])
    """),
        R,
    ),
]


def _guarded(case: Case) -> None:
    """`contained`, but a broken state_hash() is a failure of the case, not an error."""
    try:
        if COMPILE in kinds(case.expect):
            try:
                compile_toolkit(hostile(case.source, case.params), limits=case.limits)
            except CompileError:
                return
            case = Case(
                **{**case.__dict__, "expect": tuple(k for k in kinds(case.expect) if k != COMPILE)}
            )
        contained(case)
    except (ValueError, TypeError) as exc:
        pytest.fail(f"the toolkit broke after the attack: {type(exc).__name__}: {exc}")


@pytest.mark.parametrize("case", [params_of(c) for c in HOLES_IN_PROCESS])
def test_known_holes_in_process(case: Case) -> None:
    _guarded(case)


def test_state_stays_a_tree_when_a_value_repeats_a_container() -> None:
    """A container stored twice is refused (CPython would alias it), never copied."""
    source = src("y = []\nstate['x'] = [y, y]\nreturn 1")
    tk = compile_toolkit(hostile(source), limits=LIMITS)
    before = ordered(tk.state)
    result = tk.call("attack", {})
    assert result.error_kind == K.invalid_state
    assert "state.x[0] and at state.x[1]" in result.error and "copy" in result.error
    assert ordered(tk.state) == before
    survives(tk)


def test_lone_surrogate_in_arguments_cannot_break_the_state() -> None:
    source = src("state['s'] = name\nreturn 'stored'", "state, name")
    tk = compile_toolkit(hostile(source, {"name": {"type": "string"}}), limits=LIMITS)
    result = tk.call("attack", '{"name": "\\ud800"}')
    try:
        tk.state_hash().encode()
        ok_state = True
    except (UnicodeError, ValueError):
        ok_state = False
    assert ok_state and (not result.ok or result.content.encode())


def test_deeply_nested_initial_state_is_a_spec_error() -> None:
    deep: Any = []
    for _ in range(5_000):
        deep = [deep]
    spec = hostile(src("return 1"))
    spec["initial_state"] = {"n": 0, "d": {}, "deep": deep}
    start = time.monotonic()
    with pytest.raises(ToolkitError):
        compile_toolkit(spec, limits=LIMITS)
    assert time.monotonic() - start < SECONDS


def test_evaluate_does_not_leak_module_values_between_evaluations() -> None:
    tk = compile_toolkit(hostile("_C = []\n\n" + src("return len(_C)")), limits=LIMITS)
    values = [tk.evaluate("_C.append(1) or len(_C)").value for _ in range(3)]
    assert values == [1, 1, 1]


def test_percent_formatting_does_not_leak_addresses() -> None:
    tk = compile_toolkit(hostile(src("return ['%s' % (print,), '%r' % ([len],)]")), limits=LIMITS)
    result = tk.call("attack", {})
    assert not result.ok or ("0x" not in result.content and "<locals>" not in result.content)


# ---------------------------------------------------------------------------------------
# 12b. What the sandbox gives tool code to be faithful to CPython is attack surface too:
#      type(), iter()/next(), hasattr(), str.format, unbound methods, moves in the state
# ---------------------------------------------------------------------------------------

_IMPORT_DEFAULTDICT = "from collections import defaultdict\n\n"
FAITHFUL_SURFACE = [
    # type(): never the real metaclass, a function type or a class not already exposed
    Case("type_of_type_builds_a_class", src("return type(type(1))('X', (), {})"), K.runtime_error),
    Case("type_three_arguments", src("return type('X', (), {'f': 1})"), V, fragment="type()"),
    Case("type_mro_walk", src("return str(type(1).mro())"), V),
    Case("type_of_type_mro_walk", src("return str(type(type(1)).mro())"), V),
    Case("type_of_exception_mro", src("return str(type(ValueError('x')).mro())"), V),
    Case("type_subclasses_walk", src("return str(type(1).__subclasses__())"), COMPILE, 2),
    Case("type_bases_walk", src("return str(type(type(1)).__bases__)"), COMPILE, 2),
    Case("type_of_lambda_called", src("t = type(lambda: 0)\nreturn t(1)"), K.runtime_error),
    Case("type_of_builtin_called", src("return type(len)('x')"), K.runtime_error),
    Case("type_token_member_walk", src("return str(type(range(1)).start)"), V),
    Case("type_stand_in_walk", src("return str(type([]).mro)"), V),
    # str.format / format_map: no field lookups, bounded widths and size
    Case("format_index_lookup", src("return '{0[0]}'.format(state['items'])"), V),
    Case("format_deep_walk_on_state", src("return '{0.__class__.__mro__}'.format(state)"), V),
    Case("format_map_walk_on_state", src("return '{d.__class__}'.format_map(state)"), V),
    Case(
        "format_map_dict_subclass_walk",
        _IMPORT_DEFAULTDICT + src("return '{x.__class__}'.format_map(defaultdict(int))"),
        (V, COMPILE),
    ),
    Case("format_nested_width", src("return '{:{w}}'.format(1, w=10 ** 9)"), R),
    Case("format_nested_precision", src("return '{:.{p}f}'.format(1.5, p=10 ** 7)"), R),
    Case("format_direct_width", src("return '{:1000000000}'.format(1)"), R),
    Case("format_total_size", src("return len(('{:10000}' * 5000).format(*range(5000)))"), R),
    Case("format_recursion", src("return '{0:{1:{2}}}'.format(1, 2, 3)"), K.runtime_error),
    Case("format_spec_on_function", src("return '{:>10}'.format(print)"), K.runtime_error),
    Case("format_unbound_walk", src("return str.format('{0.real}', 1)"), V),
    # iter(callable, sentinel) would loop inside list() with no step charged
    Case("iter_callable_sentinel", src("return list(iter(int, 1))"), V, fragment="iter("),
    Case("iter_lambda_sentinel", src("return len(list(iter(lambda: 1, 2)))"), V),
    Case("iter_sentinel_via_star", src("a = [int, 1]\nreturn list(iter(*a))"), V),
    # unbound methods are the guarded methods: journaled, bounded, type-checked
    Case(
        "unbound_append_to_state_then_fail",
        src("list.append(state['items'], {'z': 1})\nstate['n'] += 1\nraise ToolError('undo')"),
        K.tool_error,
    ),
    Case(
        "unbound_update_state_with_nan",
        src("dict.update(state['d'], {'z': float('nan')})\nreturn 1"),
        K.invalid_state,
    ),
    Case("unbound_clear_state_then_fail", src("dict.clear(state)\nreturn 1 // 0"), K.runtime_error),
    Case(
        "unbound_sort_state_with_failing_key",
        src("list.sort(state['items'], key=lambda v: 1 // 0)\nreturn 1"),
        K.runtime_error,
    ),
    Case("unbound_on_a_wrong_type", src("return str.lower(state)"), K.runtime_error),
    Case("unbound_fromkeys_bomb", src("return len(dict.fromkeys(range(10 ** 6)))"), R),
    Case("unbound_join_bomb", src("return len(str.join('x' * 1000, ['y' * 1000] * 2000))"), R),
    Case("unbound_method_walk", src("return str(str.lower.x)"), K.runtime_error),
    Case("unbound_method_objclass", src("return str(str.lower.__objclass__)"), COMPILE, 2),
    Case("unbound_encode", src("return str.encode('x')"), V),
    # moves: a container keeps its identity; stored twice or inside itself is refused
    Case(
        "move_list_into_itself",
        src("state['items'].append(state['items'])\nreturn 1"),
        K.invalid_state,
    ),
    Case(
        "move_ancestor_into_descendant",
        src("state['d']['a']['x'].append(state['d'])\nreturn 1"),
        K.invalid_state,
        fragment="inside itself",
    ),
    Case("move_state_into_itself", src("state['me'] = state\nreturn 1"), K.invalid_state),
    Case("cycle_through_two", src("a = state['d']\na['a']['back'] = a\nreturn 1"), K.invalid_state),
    Case(
        "alias_kept_to_dodge_rollback",
        src("state['alias'] = state['d']\nreturn 1"),
        K.invalid_state,
        fragment="stored at state.d and at state.alias",
    ),
    Case(
        "alias_written_then_fail",
        src(
            "state['alias'] = state['d']\nstate['alias']['b'] = 99\ndel state['d']\n"
            "raise ToolError('undo')"
        ),
        K.tool_error,
    ),
    Case(
        "move_then_fail_keeps_key_order",
        src(
            "state['z'] = state.pop('d')\nstate['z']['b'] = 5\nstate['d'] = {}\n"
            "raise ToolError('undo')"
        ),
        K.tool_error,
    ),
    Case(
        "alias_via_shallow_copy", src("state['d2'] = state['d'].copy()\nreturn 1"), K.invalid_state
    ),
    Case("alias_via_list_repeat", src("state['items'] *= 2\nreturn 1"), K.invalid_state),
    Case(
        "alias_detached_then_reattached",
        src("a = state.pop('d')\nstate['y'] = {'x': a}\nstate['z'] = a\nreturn 1"),
        K.invalid_state,
    ),
    Case(
        "move_deeper_than_the_limit",
        src("x = state.pop('d')\nfor i in range(100):\n    x = {'k': x}\nstate['d'] = x\nreturn 1"),
        K.invalid_state,
        fragment="deeper than",
    ),
    Case(
        "move_a_long_chain_into_the_state",  # settling is linear in what moved
        src("""
        n = 100000
        for i in range(n):
            state['c' + str(i)] = {}
        prev = state.pop('c0')
        state['head'] = prev
        for i in range(1, n):
            cur = state.pop('c' + str(i))
            prev['k'] = cur
            prev = cur
        return 1
    """),
        K.invalid_state,
        fragment="deeper than",
        limits=Limits(max_steps=2_000_000, timeout_seconds=5.0),
    ),
    Case(
        "aliases_along_a_detached_chain",  # settling walks are charged to the budget
        src("""
        n = 3000
        for i in range(n):
            state['c' + str(i)] = {}
        chain = [state.pop('c' + str(i)) for i in range(n)]
        for i in range(1, n):
            chain[i - 1]['k'] = chain[i]
            chain[i - 1]['j'] = chain[i]
        return 1
    """),
        B,
        limits=Limits(),
    ),
    Case(
        "delete_many_keys_then_fail",  # the journal saves a dict once per call, not per key
        src("""
        for i in range(30000):
            state['d']['k' + str(i)] = i
        for i in range(30000):
            del state['d']['k' + str(i)]
        raise ToolError('undo')
    """),
        K.tool_error,
        limits=Limits(max_steps=1_000_000, timeout_seconds=5.0),
    ),
    Case(
        "pop_front_many_then_fail",
        src("""
        x = state['items']
        x.extend(range(30000))
        while x:
            x.pop(0)
        raise ToolError('undo')
    """),
        K.tool_error,
        limits=Limits(max_steps=1_000_000, timeout_seconds=5.0),
    ),
    Case(
        "moves_forever",
        src("while True:\n    state['x'] = state.pop('d')\n    state['d'] = state.pop('x')"),
        B,
    ),
]


@pytest.mark.parametrize("case", [params_of(c) for c in FAITHFUL_SURFACE])
def test_faithful_capabilities_are_contained(case: Case) -> None:
    _guarded(case)


def test_faithful_capabilities_leak_nothing() -> None:
    """type(), hasattr(), str.format and unbound methods print nothing internal."""
    source = src("""
        out = [str(type(print)), str(type(type(1))), repr(str.lower), str(type(len)), str(dict),
               '{}'.format(print), '{!r}'.format(sorted), '{}'.format(type(state)),
               str(iter([1])), str(type(iter([]))), '{}'.format(dict.fromkeys),
               str(type(str.lower)), '{}'.format(type(type(print)))]
        out.extend([hasattr(state, '__class__'), hasattr(print, '__globals__'),
                    hasattr(1, 'real'), hasattr(str.lower, '__self__')])
        x = [1]
        x.extend(iter(x))
        out.append(len(x))
        return out
    """)
    tk = compile_toolkit(hostile(source), limits=LIMITS)
    result = tk.call("attack", {})
    assert result.ok, result.error
    assert result.value[-5:] == [False, False, False, False, 2]
    for leak in ("0x", "toolkits", "sandbox", "__", "make_builtins", "<locals>", "Guards"):
        assert leak not in result.content, result.content
    survives(tk)


# ---------------------------------------------------------------------------------------
# 13. Attacks that can hang or exhaust memory: isolated in subprocesses, run all at once
# ---------------------------------------------------------------------------------------

ISOLATED_LIMITS = {"max_steps": 20_000, "timeout_seconds": 1.0, "max_memory_mb": 64}
KILL_AFTER = 5.0  # seconds before a subprocess is killed (a contained call takes ~1 s)
CALL_BOUND = 4.0  # a contained call returns within this
PEAK_GROWTH_MB = 300  # a contained call grows the process by less than this (64 MB allowed)
ADDRESS_SPACE_GB = 0.6  # hard cap on each subprocess, so a real hole cannot hurt the host

_ISOLATED_SCRIPT = r"""
import json, resource, sys, time
def hwm_kb():  # peak RSS of this process image (ru_maxrss would include the parent's)
    with open("/proc/self/status") as f:
        return int(next(l for l in f if l.startswith("VmHWM")).split()[1])
cap = int(float(sys.argv[1]) * (1 << 30))
resource.setrlimit(resource.RLIMIT_AS, (cap, cap))
from toolkits import Limits, ToolkitError, compile_toolkit
job = json.loads(sys.stdin.read())
try:
    tk = compile_toolkit(job["spec"], limits=Limits(**job["limits"]))
except ToolkitError as exc:  # rejecting the toolkit up front is a correct answer too
    print(json.dumps({"rejected": str(exc)[:300]}))
    sys.exit(0)
before = tk.state_hash()
peak0 = hwm_kb()
start = time.monotonic()
r = tk.call("attack", job["args"])
elapsed = time.monotonic() - start
peak = hwm_kb()
rolled_back = r.ok or tk.state_hash() == before
ping = tk.call("ping", {})
print(json.dumps({
    "ok": r.ok, "kind": None if r.error_kind is None else r.error_kind.value,
    "content": r.content[:300], "elapsed": elapsed, "peak_growth_mb": (peak - peak0) // 1024,
    "rolled_back": rolled_back, "ping_ok": ping.ok,
}))
"""


@dataclass(frozen=True)
class Isolated:
    """An attack run in a subprocess; `kinds` are the acceptable contained outcomes."""

    id: str
    source: str
    kinds: tuple
    hole: str  # what the attack did in-process when found; open while in OPEN_IN_PROCESS
    params: dict[str, Any] = field(default_factory=dict)
    args: dict[str, Any] = field(default_factory=dict)
    env: dict[str, str] = field(default_factory=dict)
    limits: dict[str, Any] = field(default_factory=lambda: dict(ISOLATED_LIMITS))


_STARS = ", ".join(["*x"] * 500)
ISOLATED = [
    Isolated(
        "list_extend_with_iterator_over_itself",
        src("""
        x = [1]
        x.extend(filter(None, x))
        return len(x)
    """),
        (R, K.memory_limit, HARMLESS),
        "list.extend(filter(None, x)) / extend(map(abs, x)) on a local "
        "list iterates the list it grows: an endless C loop (no steps, the watchdog cannot "
        "interrupt it) that eats all memory",
    ),
    Isolated(
        "list_iadd_with_iterator_over_itself",
        src("""
        x = [1]
        x += map(abs, x)
        return len(x)
    """),
        (R, K.memory_limit, HARMLESS),
        "x += map(abs, x) on a local list: same endless C loop "
        "(Guards.add/inplace skip the size check when the operand has no __len__)",
    ),
    Isolated(
        "percent_format_total_size",
        src("""
        return len(('%(a)10000s' * 10000) % {'a': '\\U0001F600'})
    """),
        (R,),
        "'%' checks each width (<= 10000) but not the total: 45454 fields of width "
        "10000 of a 4-byte character allocate ~1.8 GB in one C call before check_size "
        "(10000 fields here: 400 MB)",
    ),
    Isolated(
        "starred_display_total_size",
        src(f"""
        x = list(range(100000))
        return len([{_STARS}])
    """),
        (R, B),
        "starred displays are size-checked only after they are built: [*x, *x, ...] "
        "(500 stars of a 100k list) allocates 400 MB in one C call; the source limit "
        "allows ~66000 stars (53 GB)",
    ),
    Isolated(
        "dag_equality_hangs",
        src("""
        a = [0]
        b = [0]
        for i in range(60):
            a = [a, a]
            b = [b, b]
        return a == b
    """),
        (K.timeout, B, R),
        "== on two equal DAGs (x = [x, x] built twice) compares 2**60 "
        "leaves inside one C call: the timeout cannot interrupt it, the call never ends",
    ),
    Isolated(
        "tuple_dag_hash_hangs",
        src("""
        t = ()
        for i in range(60):
            t = (t, t)
        return len({t: 1})
    """),
        (K.timeout, B, R),
        "hashing a tuple DAG (t = (t, t)) as a dict key or set member "
        "walks 2**60 nodes inside one C call: the call never ends",
    ),
    Isolated(
        "list_count_is_quadratic",
        src("""
        a = list(range(5000))
        b = list(range(5000))
        return ([a] * 100000).count(b)
    """),
        (K.timeout, B, R),
        "one C call can do steps x max_container_length work: "
        "([a] * 100000).count(b) with 5000-item lists is 5e8 comparisons (~4 s; 20k-item "
        "lists take 16 s) while timeout_seconds is 1",
    ),
    Isolated(
        "big_int_modular_pow_hangs",
        src("""
        x = int('1' * 100000, 2)
        return pow(x, x, x - 2) % 7
    """),
        (K.timeout, B, R),
        "int(text, 2) builds a 100k-bit int (past max_int_bits) and "
        "3-argument pow() is unguarded: one C call that runs for minutes",
    ),
    Isolated(
        "zip_star_args_total_size",
        src("""
        x = list(range(100000))
        return len(list(zip(*([x] * 1000))))
    """),
        (R, K.memory_limit),
        "zip(*[x] * n) only checks the number of arguments: "
        "list(zip(*[x] * 2000)) over a 100k list builds 100k tuples of 2000 (1.6 GB) in one "
        "C call (here 1000 copies, stopped by the 0.6 GB address-space cap)",
    ),
    Isolated(
        "set_update_many_iterables_runs_on",
        src("""
        s = set()
        r = range(100000)
        s.update(*([r] * 5000))
        return len(s)
    """),
        (K.timeout, B, R),
        "OrderedSet methods loop over their arguments in host Python "
        "without charging steps: s.update(*[range(100000)] * 2000) runs ~13 s past a 1 s "
        "timeout (the watchdog only acts at the next sandbox step)",
    ),
    Isolated(
        "percent_guard_regex_is_quadratic",
        src("""
        s = '%(' * 200000
        return s % {}
    """),
        (K.timeout, B, R, K.runtime_error),
        "Guards.mod scans the format with the regex "
        "%(?:\\([^)]*\\))?..., which is quadratic on '%(' * n: '%(' * 100000 (200k "
        "characters) takes ~12 s (400k here: ~50 s), a 1M-character string hours",
    ),
    Isolated(
        "schema_pattern_redos",
        src("return name", "state, name"),
        (K.invalid_arguments, K.timeout),
        "argument validation runs the toolkit's own "
        "JSON Schema patterns with Python re, outside the sandbox, budget and watchdog: "
        "pattern '^(a+)+$' and the argument 'a' * 30 + '!' backtrack for minutes",
        params={"name": {"type": "string", "pattern": "^(a+)+$"}},
        args={"name": "a" * 30 + "!"},
    ),
    Isolated(
        "nested_map_iteration_crashes_the_process",
        src("""
        m = [1]
        for i in range(100000):
            m = map(abs, m)
        return list(m)
    """),
        (R, B, HARMLESS),
        "iterating 100k nested map() objects (also zip/filter/enumerate) recurses "
        "in C with no recursion check: SIGSEGV kills the whole process (~60k levels "
        "suffice; needs ~100k steps, well inside the default 1M)",
        limits={**ISOLATED_LIMITS, "max_steps": 300_000},
    ),
    Isolated(
        "deep_tuple_hash_crashes_the_process",
        src("""
        t = ()
        for j in range(2):
            for i in range(99999):
                t = (t,)
        return len({t: 1})
    """),
        (R, B),
        "hashing a 200k-deep nested tuple (dict key, set member, `in`) recurses "
        "in C with no recursion check: SIGSEGV kills the whole process",
        limits={**ISOLATED_LIMITS, "max_steps": 500_000},
    ),
]
#: Holes the in-process sandbox still has: one C-level operation it cannot interrupt.
#: `isolation="process"` contains them (see test_process_isolation_contains_open_holes).
OPEN_IN_PROCESS = {
    "dag_equality_hangs",
    "tuple_dag_hash_hangs",
    "list_count_is_quadratic",
    "deep_tuple_hash_crashes_the_process",
}
_SEEDS = ("1", "2", "3")
_DICT_VIEW_SOURCE = src("return list(state['d'].keys() | ['zz', 'yy', 'xx', 'ww', 'vv'])")


def _run_isolated(
    spec: dict, limits: dict, env: dict[str, str], args: dict | None = None
) -> dict[str, Any]:
    job = json.dumps({"spec": spec, "limits": limits, "args": args or {}})
    full_env = {**os.environ, "PYTHONPATH": str(ROOT), **env}
    start = time.monotonic()
    try:
        proc = subprocess.run(
            [sys.executable, "-c", _ISOLATED_SCRIPT, str(ADDRESS_SPACE_GB)],
            input=job,
            capture_output=True,
            text=True,
            timeout=KILL_AFTER,
            cwd=ROOT,
            env=full_env,
        )
    except subprocess.TimeoutExpired:
        return {"killed": True, "wall": time.monotonic() - start}
    lines = proc.stdout.strip().splitlines()
    if proc.returncode != 0 or not lines:
        return {"crashed": proc.returncode, "stderr": proc.stderr[-2000:]}
    return json.loads(lines[-1])


@pytest.fixture(scope="module")
def isolated_results() -> dict[str, Any]:
    """Run every isolated attack (and the hash-seed runs) concurrently, once per module."""
    jobs: dict[str, tuple] = {
        case.id: (hostile(case.source, case.params), case.limits, case.env, case.args)
        for case in ISOLATED
    }
    for seed in _SEEDS:
        jobs[f"dict_view_seed_{seed}"] = (
            hostile(_DICT_VIEW_SOURCE),
            ISOLATED_LIMITS,
            {"PYTHONHASHSEED": seed},
            {},
        )
    with ThreadPoolExecutor(max_workers=3) as pool:
        futures = {name: pool.submit(_run_isolated, *job) for name, job in jobs.items()}
        return {name: future.result() for name, future in futures.items()}


@pytest.mark.parametrize(
    "case",
    [
        pytest.param(
            c,
            id=c.id,
            marks=[pytest.mark.xfail(strict=True, reason=f"HOLE: {c.hole}")]
            if c.id in OPEN_IN_PROCESS
            else [],
        )
        for c in ISOLATED
    ],
)
def test_isolated_attack_is_contained(case: Isolated, isolated_results: dict) -> None:
    outcome = isolated_results[case.id]
    if "rejected" in outcome:
        return
    assert "killed" not in outcome, f"the call did not end: killed after {KILL_AFTER} s"
    assert "crashed" not in outcome, (
        f"the process crashed (exit {outcome.get('crashed')}): {outcome}"
    )
    if outcome["ok"]:  # the attack ran and did no harm (e.g. map() is now eager)
        assert HARMLESS in case.kinds, f"attack succeeded: {outcome['content']}"
    else:
        assert outcome["kind"] in [getattr(k, "value", k) for k in case.kinds], outcome
    assert outcome["elapsed"] < CALL_BOUND, f"the call took {outcome['elapsed']:.1f} s"
    assert outcome["peak_growth_mb"] < PEAK_GROWTH_MB, f"grew {outcome['peak_growth_mb']} MB"
    assert outcome["ping_ok"]


def test_dict_view_set_operations_do_not_depend_on_hash_seed(isolated_results: dict) -> None:
    outcomes = [isolated_results[f"dict_view_seed_{seed}"] for seed in _SEEDS]
    assert all("killed" not in o and "crashed" not in o for o in outcomes), outcomes
    assert len({o["content"] for o in outcomes}) == 1, [o["content"] for o in outcomes]


# ---------------------------------------------------------------------------------------
# 14. Process isolation contains what the in-process sandbox cannot interrupt
# ---------------------------------------------------------------------------------------


def test_process_isolation_contains_open_holes() -> None:
    """Under ``isolation="process"`` every open in-process hole is a contained failure:
    the worker is killed (hang) or dies (crash), the caller gets an error result within
    the time bound, the state is exactly as before, and the toolkit keeps serving."""
    open_cases = [c for c in ISOLATED if c.id in OPEN_IN_PROCESS]
    assert len(open_cases) == len(OPEN_IN_PROCESS)
    for case in open_cases:
        limits = Limits(**{**case.limits, "timeout_seconds": 1.0})
        tk = compile_toolkit(hostile(case.source, case.params), limits=limits, isolation="process")
        try:
            assert tk.call("ping", {}).ok
            before = tk.state_hash()
            start = time.monotonic()
            result = tk.call("attack", case.args)
            elapsed = time.monotonic() - start
            assert not result.ok, (case.id, result)
            assert result.error_kind in (K.timeout, K.resource_limit, B, R), (case.id, result)
            assert elapsed < SECONDS, (case.id, elapsed)
            assert tk.state_hash() == before, case.id
            assert tk.call("ping", {}).ok, case.id
        finally:
            tk.close()
