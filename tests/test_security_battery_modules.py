"""Security battery of the importable modules (DESIGN.md sections 3.1 and 6).

The same structure as `tests/test_security_battery.py`, whose helpers it uses: every
case is a hostile toolkit whose `attack` tool is the attack. A case passes when the
attack is rejected at compile time (a `CompileError` pointing at the offending line) or
contained at run time: ``ok=False`` with an expected `ErrorKind`, the state (values and
key order) exactly as before, and the toolkit still serving its normal `ping` tool.

Attacks that would hang or exhaust the memory of the test process if a guard regressed
(catastrophic regexes, endless iterators, huge integers, bombs built in one C call)
run in subprocesses with an address-space cap and a hard kill, all at once.

Cases that must *succeed* to prove a point (a catastrophic regex runs in linear time,
`hasattr` finds no private attribute) end with ``raise ToolError("canary: ...")``, so
reaching the end of the attack is an ``ok=False`` result of kind ``tool_error`` whose
message is checked.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import pytest

from tests.test_security_battery import (
    CALL_BOUND,
    COMPILE,
    ISOLATED_LIMITS,
    KILL_AFTER,
    PEAK_GROWTH_MB,
    Case,
    _run_isolated,
    check,
    hostile,
    params_of,
    src,
)
from toolkits import ErrorKind

K = ErrorKind
V, B, R, RT, T = (
    K.sandbox_violation,
    K.budget_exceeded,
    K.resource_limit,
    K.runtime_error,
    K.tool_error,
)
S, RES = K.invalid_state, K.invalid_result
ESCAPED = (V, RT)  # blocked (sandbox_violation) or CPython's AttributeError/TypeError


def mod(imports: str, body: str) -> str:
    """`imports` at module level (line 1..n), then ``def attack(state):`` and `body`."""
    return imports.strip() + "\n\n" + src(body)


# ---------------------------------------------------------------------------------------
# 1. Imports and names refused at compile time (with the line of the offence)
# ---------------------------------------------------------------------------------------

COMPILE_CASES = [
    Case(f"import_{name}", f"import {name}\n\n" + src("return 1"), COMPILE, 1)
    for name in ("os", "sys", "subprocess", "builtins", "importlib", "ctypes", "socket", "time")
] + [
    Case("import_inside_function", src("import pickle\nreturn 1"), COMPILE, 2),
    Case("import_submodule", "import json.decoder\n\n" + src("return 1"), COMPILE, 1),
    Case("from_submodule", "from os.path import join\n\n" + src("return 1"), COMPILE, 1),
    Case("datetime_sys", "from datetime import sys\n\n" + src("return 1"), COMPILE, 1),
    Case("json_decoder_module", "from json import decoder\n\n" + src("return 1"), COMPILE, 1),
    Case("re_internal", "from re import _compile\n\n" + src("return 1"), COMPILE, 1),
    Case("re_enum", "from re import enum\n\n" + src("return 1"), COMPILE, 1),
    Case("copy_dispatch", "from copy import _deepcopy_dispatch\n\n" + src("return 1"), COMPILE, 1),
    Case("random_os", "from random import _os\n\n" + src("return 1"), COMPILE, 1),
    Case("collections_sys", "from collections import _sys\n\n" + src("return 1"), COMPILE, 1),
    Case("dunder_name", "from math import __loader__\n\n" + src("return 1"), COMPILE, 1),
    Case("dunder_alias", "import math as __m\n\n" + src("return 1"), COMPILE, 1),
    Case("guard_alias", "from math import floor as _getattr_\n\n" + src("return 1"), COMPILE, 1),
    Case("star_import", "from math import *\n\n" + src("return 1"), COMPILE, 1),
    Case("relative_import", "from . import x\n\n" + src("return 1"), COMPILE, 1),
    Case("future_feature", "from __future__ import barry_as_FLUFL\n\n" + src("return 1"), COMPILE),
    Case("namedtuple_exec", "from collections import namedtuple\n\n" + src("return 1"), COMPILE, 1),
    Case("random_function", "from random import randint\n\n" + src("return 1"), COMPILE, 1),
    Case("facade_private", mod("import math", "return str(math._attrs)"), COMPILE, 4),
    Case("facade_dunder", mod("import json", "return str(json.__dict__)"), COMPILE, 4),
    Case("module_loader", mod("import re", "return str(re.__loader__)"), COMPILE, 4),
    Case("class_guards", mod("from collections import Counter", "return Counter._g"), COMPILE, 4),
    Case("match_inner", mod("import re", "return re.match('a', 'a')._m"), COMPILE, 4),
    Case("date_subclasses", mod("from datetime import date", "return date.__subclasses__()"),
         COMPILE, 4),
    Case("method_self", mod("import math", "return str(math.floor.__self__)"), COMPILE, 4),
    Case("iterator_inner", mod("import itertools", "return itertools.count()._it"), COMPILE, 4),
]  # fmt: skip


@pytest.mark.parametrize("case", [params_of(c) for c in COMPILE_CASES])
def test_module_escape_rejected_at_compile_time(case: Case) -> None:
    check(case)


# ---------------------------------------------------------------------------------------
# 2. Attribute walks from module values, stopped at run time
# ---------------------------------------------------------------------------------------

_C = "from collections import Counter, OrderedDict, defaultdict, deque"
RUNTIME_ESCAPES = [
    Case("datetime_module_sys", mod("import datetime", "return str(datetime.sys)"), V),
    Case("class_init_dunder", mod("import random", "return str(random.Random.__init__)"), COMPILE,
         4),
    Case("date_class_mro", mod("from datetime import date", "return str(type(date.min).mro())"), V),
    Case("datetime_timetuple", mod("from datetime import date",
                                   "return str(date.min.timetuple())"), V),
    Case("timedelta_walk", mod("from datetime import timedelta", "return str(timedelta(1).mro)"),
         ESCAPED),
    Case("timezone_walk", mod("from datetime import timezone", "return str(timezone.utc.fromutc)"),
         V),
    Case("pattern_class_method", mod("import re", "return str(type(re.compile('a')).search)"), V),
    Case("pattern_scanner", mod("import re", "return str(re.compile('a').scanner('a'))"), V),
    Case("match_regs", mod("import re", "return str(re.match('a', 'a').regs)"), V),
    Case("bound_method_globals", mod("import re", "f = re.compile('a').search\n"
                                     "return str(f.func_globals)"), ESCAPED),
    Case("function_code", mod("import math", "return str(math.factorial.func_code)"), ESCAPED),
    Case("counter_fromkeys", mod(_C, "return Counter.fromkeys('ab')"), V),
    Case("counter_reduce", mod(_C, "return str(Counter('a').most_common.im_self)"), ESCAPED),
    Case("iterator_send", mod("import itertools", "return str(itertools.count().send)"),
         ESCAPED),
    Case("chain_walk", mod("from itertools import chain", "return str(chain.mro)"), ESCAPED),
    Case("random_setstate_bad", mod("import random", "random.Random(1).setstate([3, [1], None])"),
         RT),
    Case("random_module_function", mod("import random", "return random.random()"), V),
    Case("random_unseeded", mod("import random", "return random.Random().random()"), V,
         fragment="explicit seed"),
    Case("random_none_seed", mod("import random", "return random.Random(None).random()"), V),
    Case("random_nan_seed", mod("import random", "return random.Random(float('nan')).random()"),
         RT),
    Case("system_random", mod("import random", "return str(random.SystemRandom)"), V),
    Case("json_default_hook", mod("import json", "return json.dumps(state, default=str)"), V),
    Case("json_cls_hook", mod("import json", "return json.dumps(state, cls=dict)"), V),
    Case("json_object_hook", mod("import json", "return json.loads('{}', object_hook=print)"), V),
    Case("json_encoder_class", mod("import json", "return str(json.JSONEncoder)"), V),
    Case("typing_call", mod("import typing", "return typing.List()"), RT),
    Case("typing_get_hints", mod("import typing", "return str(typing.get_type_hints)"), V),
    Case("copy_facade", mod("import copy, math", "return str(copy.copy(math))"), RT),
    Case("deepcopy_memo", mod("import copy", "return copy.deepcopy([], {})"), RT),
    Case("copy_iterator", mod("import copy, itertools", "return copy.copy(itertools.count())"), RT),
    Case("facade_type_call", mod("import math", "return str(type(math)('os'))"), RT),
    Case("now", mod("from datetime import datetime", "return str(datetime.now())"), V,
         fragment="no clock"),
    Case("strftime_epoch", mod("from datetime import date", "return date.min.strftime('%s')"), V),
    Case("fstring_epoch_spec", mod("from datetime import date", "return f'{date.min:%s}'"), V),
    Case("format_epoch_spec", mod("from datetime import date", "return '{:%s}'.format(date.min)"),
         V),
    Case("format_private_walk", mod(_C, "return '{0._g}'.format(Counter)"), ESCAPED),
    Case("format_dunder_walk", mod("import math", "return '{0.__self__}'.format(math.floor)"),
         ESCAPED),
    Case("format_match_walk", mod("import re", "return '{0.re._g}'.format(re.match('a', 'a'))"),
         ESCAPED),
    Case("format_deque_walk", mod(_C, "return '{0._d}'.format(deque())"), ESCAPED),
    Case("format_facade_walk", mod("import math", "return '{0._attrs}'.format(math)"), ESCAPED),
    Case(
        "hasattr_sees_no_private",
        mod(_C + "\nimport math, re", """
            found = [hasattr(Counter, "_g"), hasattr(math, "_attrs"), hasattr(math, "__name__"),
                     hasattr(re.match("a", "a"), "_m"), hasattr(deque(), "_d")]
            raise ToolError(f"canary: {found}")
        """),
        T,
        fragment="canary: [False, False, False, False, False]",
    ),
    Case(
        "printing_leaks_no_address",
        mod(_C + "\nimport math, re, itertools, random", """
            shown = [str(math), repr(math.floor), str(itertools.count()), str(re.compile("a")),
                     str(re.match("a", "a")), str(random.Random(1)), str(Counter),
                     str(deque([1])), str(type(re.compile("a"))), str(itertools.chain)]
            if any("0x" in s or "object at" in s for s in shown):
                return shown
            raise ToolError(f"canary: {shown}")
        """),
        T,
        fragment="canary: [\"<module 'math'>\"",
    ),
]  # fmt: skip

STATE_CASES = [
    Case(f"store_{name}", mod(imports, f"state['n'] = 1\nstate['x'] = {expr}\nreturn 1"), S)
    for name, imports, expr in [
        ("counter", _C, "Counter('ab')"),
        ("defaultdict", _C, "defaultdict(list)"),
        ("deque", _C, "deque([1])"),
        ("date", "from datetime import date", "date(2024, 1, 1)"),
        ("timedelta", "from datetime import timedelta", "timedelta(1)"),
        ("match", "import re", "re.match('a', 'a')"),
        ("pattern", "import re", "re.compile('a')"),
        ("iterator", "import itertools", "itertools.count()"),
        ("facade", "import math", "math"),
        ("class", _C, "Counter"),
        ("random", "import random", "random.Random(1)"),
        ("typing", "from typing import List", "List"),
    ]
] + [
    Case("append_counter", mod(_C, "state['items'].append(Counter('a'))\nreturn 1"), S),
    Case("nested_date", mod("from datetime import date", "state['d']['a']['x'].append("
                            "{'when': date.min})\nreturn 1"), S, fragment="isoformat"),
    Case("return_date", mod("from datetime import date", "return {'d': date.min}"), RES,
         fragment="isoformat"),
    Case("return_facade", mod("import math", "return math"), RES),
    Case("return_iterator", mod("import itertools", "return [itertools.count()]"), RES),
    Case("return_deque", mod(_C, "return deque([1])"), RES, fragment="list("),
    Case(
        "shuffle_state_then_fail",
        mod("import random", """
            random.Random(state["n"]).shuffle(state["items"])
            random.Random(1).shuffle(state["d"]["a"]["x"])
            state["n"] += 1
            raise ToolError("fail after shuffling")
        """),
        T,
    ),
    Case("shuffle_state_dict", mod("import random", "random.Random(1).shuffle(state['d'])"), RT),
    Case(
        "deepcopy_self_containing_list",
        mod("import copy", "a = [1]\na.append(a)\nreturn copy.deepcopy(a)"),
        RES,
    ),
    Case(
        "deepcopy_dag_returned",
        mod("import copy", "x = [1]\nfor i in range(40):\n    x = [x, x]\nreturn copy.deepcopy(x)"),
        K.output_too_large,
    ),
    Case(
        "deepcopy_too_deep",
        mod("import copy", "x = []\nfor i in range(1000):\n    x = [x]\n"
            "return len(copy.deepcopy(x))"),
        R,
    ),
]  # fmt: skip


@pytest.mark.parametrize("case", [params_of(c) for c in RUNTIME_ESCAPES + STATE_CASES])
def test_module_escape_or_state_misuse_stopped_at_run_time(case: Case) -> None:
    check(case)


# ---------------------------------------------------------------------------------------
# 3. Exhaustion: each bomb in a subprocess (capped address space, hard kill)
# ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Bomb:
    """An attack run in a subprocess; `kinds` are the acceptable contained outcomes."""

    id: str
    source: str
    kinds: tuple
    fragment: str | None = None
    limits: dict[str, Any] = field(default_factory=lambda: dict(BOMB_LIMITS))


#: The battery's subprocess limits, with room for a loaded machine before the watchdog
#: (the deterministic bounds, not the timeout, are what these cases expect to hit).
BOMB_LIMITS = {**ISOLATED_LIMITS, "timeout_seconds": 3.0}
_IT = "import itertools"
_LINEAR = "canary: linear"
_REDOS = [  # (pattern, subject): each backtracks for hours in CPython's re
    (r"^(a+)+$", "'a' * 100000 + '!'"),
    (r"^(a|aa)+$", "'a' * 100000 + '!'"),
    (r"^(a|a?)+$", "'a' * 100000 + '!'"),
    (r"(x+x+)+y", "'x' * 100000"),
    (r"^(\w+\s?)*$", "'word ' * 20000 + '!'"),
    (r"^([a-zA-Z0-9])(([\-.]|[_]+)?([a-zA-Z0-9]+))*(@){1}[a-z0-9]+[.]{1}"
     r"(([a-z]{2,3})|([a-z]{2,3}[.]{1}[a-z]{2,3}))$", "'a' * 50000 + '!'"),  # email ReDoS
    (r"(.*a){12}", "'a' * 5000 + 'b' * 50000"),
]  # fmt: skip
BOMBS = [
    Bomb(
        f"regex_linear_{i}",
        mod("import re", f"""
            found = re.search({pattern!r}, {subject})
            raise ToolError(f"{_LINEAR} {{found is None}}")
        """),
        (T,),
        fragment=_LINEAR,
    )
    for i, (pattern, subject) in enumerate(_REDOS)
] + [
    Bomb("count_list", mod(_IT, "return len(list(itertools.count()))"), (B,)),
    Bomb("repeat_list", mod(_IT, "return len(list(itertools.repeat('x')))"), (B,)),
    Bomb("cycle_list", mod(_IT, "return len(list(itertools.cycle([1, 2])))"), (B,)),
    Bomb("repeat_sorted", mod(_IT, "return sorted(itertools.repeat(1))"), (B, R)),
    Bomb("repeat_in_set", mod(_IT, "return len(set(itertools.repeat(1)))"), (B,)),
    Bomb("repeat_join", mod(_IT, "return len(''.join(itertools.repeat('ab')))"), (B, R)),
    Bomb("repeat_contains", mod(_IT, "return 2 in itertools.repeat(1)"), (B,)),
    Bomb("count_unpack", mod(_IT, "a, *b = itertools.count()\nreturn a"), (B, R)),
    Bomb("count_max", mod(_IT, "return max(itertools.count())"), (B, R)),
    Bomb("product_huge", mod(_IT, "return len(list(itertools.product(range(100), repeat=5)))"),
         (R,)),
    Bomb("product_wide", mod(_IT, "return len(list(itertools.product([1], repeat=10**6)))"), (R,)),
    Bomb("product_many_inputs", mod(_IT, "r = range(10)\nreturn len(list(itertools.product("
         "*[r] * 10)))"), (R,)),
    Bomb("combinations_list", mod(_IT, "return len(list(itertools.combinations(range(60), 30)))"),
         (B, R)),
    Bomb("permutations_list", mod(_IT, "return len(list(itertools.permutations(range(50))))"),
         (B, R)),
    Bomb("islice_skip", mod(_IT, "return next(itertools.islice(itertools.count(), 10**12, None))"),
         (B,)),
    Bomb("dropwhile_forever", mod(_IT, "return next(itertools.dropwhile(lambda x: True, "
         "itertools.count()))"), (B,)),
    Bomb("filterfalse_forever", mod(_IT, "return next(itertools.filterfalse(None, "
         "itertools.repeat(1)))"), (B,)),
    Bomb("compress_forever", mod(_IT, "return next(itertools.compress(itertools.count(), "
         "itertools.repeat(0)))"), (B,)),
    Bomb("chain_from_empty_forever", mod(_IT, "return next(itertools.chain.from_iterable("
         "itertools.repeat([])))"), (B,)),
    Bomb("zip_longest_forever", mod(_IT, "return len(list(itertools.zip_longest("
         "itertools.count(), [])))"), (B,)),
    Bomb("groupby_forever", mod(_IT, "g = itertools.groupby(itertools.repeat(1))\nnext(g)\n"
         "return next(g)"), (B,)),
    Bomb("accumulate_strings", mod(_IT, "return len(list(itertools.accumulate(['x' * 100000] * "
         "1000)))"), (R, B)),
    Bomb(
        "nested_chain_recursion",
        mod(_IT, "it = [1]\nfor i in range(100000):\n    it = itertools.chain(it)\n"
            "return list(it)"),
        (R, B),
        limits={**BOMB_LIMITS, "max_steps": 300_000},
    ),
    Bomb("counter_elements", mod(_C, "return len(list(Counter(a=10**18).elements()))"), (B,)),
    Bomb("counter_string_counts", mod(_C, "c = Counter({'a': 'x' * 300000})\nfor i in range(10):"
         "\n    c.update(c)\nreturn 1"), (R,)),
    Bomb("counter_add_loop", mod(_C, "c = Counter(range(50000))\nfor i in range(1000):\n"
         "    d = c + c\nreturn 1"), (B,)),
    Bomb("strptime_loop", mod("from datetime import datetime", "for i in range(100000):\n"
         "    datetime.strptime('2024-05-06', '%Y-%m-%d')\nreturn 1"), (B,)),
    Bomb("deque_growth", mod(_C, "d = deque(range(100000))\nd.extend(range(100000))\n"
         "return len(d)"), (R,)),
    Bomb("defaultdict_recursion", mod(_C, "d = defaultdict(lambda: d[len(d)])\nreturn d[0]"),
         (R, B)),
    Bomb("factorial_huge", mod("import math", "return math.factorial(10**6) % 7"), (R,)),
    Bomb("comb_huge", mod("import math", "return math.comb(10**6, 5 * 10**5) % 7"), (R,)),
    Bomb("perm_huge", mod("import math", "return math.perm(10**7, 10**6) % 7"), (R,)),
    Bomb("prod_huge", mod("import math", "return math.prod(range(1, 100000)) % 7"), (R,)),
    Bomb("prod_string", mod("import math", "return len(math.prod(['ab', 10**8]))"), (R,)),
    Bomb("lcm_huge", mod("import math", "return math.lcm(*range(1, 5000)) % 7"), (R,)),
    Bomb("getrandbits_huge", mod("import random", "return random.Random(1).getrandbits(10**8)"),
         (R,)),
    Bomb("choices_huge", mod("import random", "return len(random.Random(1).choices([1], k=10**8))"),
         (R,)),
    Bomb("sample_huge", mod("import random", "return len(random.Random(1).sample(range(10**8), "
         "10**7))"), (R,)),
    Bomb("findall_empty", mod("import re", "return len(re.findall('', 'x' * 10**6))"), (R, B)),
    Bomb("finditer_list", mod("import re", "return len(list(re.finditer('x', 'x' * 10**6)))"),
         (B,)),
    Bomb("split_huge", mod("import re", "return len(re.split('x', 'x' * 10**6))"), (R, B)),
    Bomb("sub_growing", mod("import re", "return len(re.sub('', 'yy', 'x' * 10**6))"), (R, B)),
    Bomb("sub_template_growing", mod("import re", "return len(re.sub('(x+)', r'\\1\\1\\1\\1', "
         "'x' * 400000))"), (R,)),
    Bomb("sub_function_growing", mod("import re", "return len(re.sub('x', lambda m: 'y' * 1000, "
         "'x' * 100000))"), (R, B)),
    Bomb("expand_growing", mod("import re", "m = re.match('(x+)', 'x' * 1000)\n"
         "return len(m.expand(r'\\1' * 100000))"), (R,)),
    Bomb("regex_work_limit", mod("import re", "return bool(re.search('(a|b| )*a(a|b| ){500}c', "
         "'ab ' * 300000))"), (R,)),
    Bomb("regex_pattern_too_long", mod("import re", "return bool(re.compile('a' * 100000))"),
         (R,)),
    Bomb("regex_program_too_big", mod("import re", "return bool(re.compile('(((a{1000}){1000})"
         "{1000})'))"), (RT,)),
    Bomb("json_loads_deep", mod("import json", "return json.loads('[' * 100000 + ']' * 100000)"),
         (R, RT)),
    Bomb("json_loads_wide", mod("import json", "return len(json.loads('[' + '0,' * 300000 + "
         "'0]'))"), (R,)),
    Bomb("json_loads_big_int", mod("import json", "return json.loads('9' * 4000) % 7"), (R, RT)),
    Bomb("json_dumps_dag", mod("import json", "x = [1]\nfor i in range(60):\n    x = [x, x]\n"
         "return len(json.dumps(x))"), (R,)),
    Bomb("json_dumps_cycle", mod("import json", "a = []\na.append(a)\nreturn json.dumps(a)"),
         (RT, R)),
    Bomb("json_dumps_indent", mod("import json", "return len(json.dumps([[[1]]] * 1000, "
         "indent=10**6))"), (RT,)),
    Bomb("json_dumps_escapes", mod("import json", "return len(json.dumps(['\\x00' * 400000]))"),
         (R,)),
    Bomb("strftime_huge", mod("from datetime import date", "return len(date.min.strftime('%c' * "
         "100000))"), (R,)),
    Bomb("strptime_huge", mod("from datetime import datetime", "return str(datetime.strptime("
         "'1' * 10**6, '%Y'))"), (R,)),
    Bomb("fromisoformat_huge", mod("from datetime import date", "return str(date.fromisoformat("
         "'2' * 10**6))"), (R,)),
    Bomb("format_spec_huge", mod("from datetime import date", "return len(('{:' + '%c' * 200000 +"
         " '}').format(date.min))"), (R,)),
    Bomb("timedelta_overflow", mod("from datetime import timedelta", "return str(timedelta("
         "days=10**9))"), (RT,)),
    Bomb("capwords_huge", mod("import string", "return len(string.capwords('a ' * 400000))"),
         (R,)),
]  # fmt: skip


@pytest.fixture(scope="module")
def bomb_results() -> dict[str, Any]:
    """Run every bomb in its own subprocess, three at a time, once per module."""
    with ThreadPoolExecutor(max_workers=3) as pool:
        futures = {
            b.id: pool.submit(_run_isolated, hostile(b.source), b.limits, {}, {}) for b in BOMBS
        }
        return {name: future.result() for name, future in futures.items()}


@pytest.mark.parametrize("bomb", [pytest.param(b, id=b.id) for b in BOMBS])
def test_module_bombs_are_contained(bomb: Bomb, bomb_results: dict[str, Any]) -> None:
    outcome = bomb_results[bomb.id]
    assert "rejected" not in outcome, outcome  # every bomb compiles: it is stopped at run time
    assert "killed" not in outcome, f"the call did not end: killed after {KILL_AFTER} s"
    assert "crashed" not in outcome, f"the process crashed: {outcome}"
    assert not outcome["ok"], f"attack succeeded: {outcome['content']}"
    assert outcome["kind"] in [k.value for k in bomb.kinds], outcome
    if bomb.fragment:
        assert bomb.fragment in outcome["content"], outcome
    assert outcome["elapsed"] < CALL_BOUND, f"the call took {outcome['elapsed']:.1f} s"
    assert outcome["peak_growth_mb"] < PEAK_GROWTH_MB, f"grew {outcome['peak_growth_mb']} MB"
    assert outcome["rolled_back"] and outcome["ping_ok"], outcome


_HASH_SEEDS = ("1", "2", "3")
_HASH_SENSITIVE = mod(
    _C + "\nimport json, re, copy, itertools",
    """
    words = re.findall(r"\\w+", "the cat and the hat and the bat sat on the mat")
    counts = Counter(words)
    index = defaultdict(set)
    for i, w in enumerate(words):
        index[w[0]].add(w)
    shown = [
        counts.most_common(),
        list(counts.keys() - {"the"}),
        {k: list(v) for k, v in index.items()},
        json.dumps(copy.deepcopy({w: 1 for w in set(words)})),
        [[k, list(g)] for k, g in itertools.groupby(set(words), key=len)],
    ]
    text = json.dumps(shown, separators=(",", ":"))
    code = 0
    for ch in text:  # a checksum: the isolated run reports 300 characters of the content
        code = (code * 31 + ord(ch)) % 1000000007
    raise ToolError(f"canary {code} {text[:150]}")
    """,
)


def test_module_results_do_not_depend_on_the_hash_seed() -> None:
    """Counter, defaultdict(set), set operations on keys, json.dumps and groupby give the
    same result in processes with different string hash seeds (replay needs it)."""
    with ThreadPoolExecutor(max_workers=3) as pool:
        outcomes = list(
            pool.map(
                lambda seed: _run_isolated(
                    hostile(_HASH_SENSITIVE), BOMB_LIMITS, {"PYTHONHASHSEED": seed}, {}
                ),
                _HASH_SEEDS,
            )
        )
    assert all(o.get("kind") == T.value for o in outcomes), outcomes
    assert len({o["content"] for o in outcomes}) == 1, [o["content"] for o in outcomes]
