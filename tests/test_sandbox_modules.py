"""The sandbox's importable modules behave as CPython's for ordinary use.

Most tests run the same tool function twice, in the sandbox and as plain Python with
CPython's real modules, and compare the JSON results (`same_as_cpython`). The sources
are hand-written test fixtures (not model output), except where a test says otherwise.
"""

from __future__ import annotations

import copy
import json
import textwrap
from pathlib import Path
from typing import Any

import pytest

from tests.helpers import toolkit
from toolkits import CompileError, ErrorKind, canonical_json, check_toolkit, compile_toolkit
from toolkits.sandbox import modules
from toolkits.sandbox.modules import names

FIXTURES = Path(__file__).resolve().parent / "fixtures"


def sandboxed(source: str, state: dict[str, Any] | None = None, **args: Any) -> Any:
    """The result of ``run(state, **args)`` in the sandbox (the call must succeed)."""
    params = {name: {} for name in args}
    tk = compile_toolkit(toolkit(textwrap.dedent(source), {"run": params}, state=state or {}))
    result = tk.call("run", args)
    assert result.ok, result.error
    return result.value


def plain(source: str, state: dict[str, Any] | None = None, **args: Any) -> Any:
    """The JSON result of ``run(state, **args)`` as plain Python with CPython's modules."""
    namespace: dict[str, Any] = {}
    exec(compile(textwrap.dedent(source), "<plain>", "exec"), namespace)
    return json.loads(canonical_json(namespace["run"](copy.deepcopy(state or {}), **args)))


def same_as_cpython(source: str, state: dict[str, Any] | None = None, **args: Any) -> Any:
    """Run `source` both ways and check the results are equal; return the result."""
    expected = plain(source, state, **args)
    assert sandboxed(source, state, **args) == expected
    return expected


def failure(source: str, state: dict[str, Any] | None = None, **args: Any) -> Any:
    """The failed `ToolResult` of ``run(state, **args)`` in the sandbox."""
    params = {name: {} for name in args}
    tk = compile_toolkit(toolkit(textwrap.dedent(source), {"run": params}, state=state or {}))
    result = tk.call("run", args)
    assert not result.ok, result.content
    return result


def compile_problems(source: str) -> list[str]:
    with pytest.raises(CompileError) as info:
        compile_toolkit(toolkit(textwrap.dedent(source)))
    return [p.message for p in info.value.problems]


# -- imports ---------------------------------------------------------------------------


def test_import_forms_at_module_level_and_inside_functions() -> None:
    same_as_cpython("""
        import math
        import datetime as dt
        from re import compile as re_compile, IGNORECASE
        from collections import Counter

        def _helper():
            from itertools import chain
            import json as j
            return j.dumps(list(chain([1], [2])))

        def run(state):
            import string
            return [math.floor(2.5), dt.date(2024, 1, 2).isoformat(),
                    re_compile("a+", IGNORECASE).findall("aAb"), Counter("aab")["a"],
                    _helper(), string.digits]
    """)


def test_future_annotations_and_annotations_are_accepted() -> None:
    same_as_cpython("""
        from __future__ import annotations
        from typing import Any, Dict, List, Optional

        Json = Dict[str, Any]

        def _names(rows: List[Json], limit: Optional[int] = None) -> List[str]:
            return [r["name"] for r in rows][:limit]

        def run(state) -> Json:
            return {"names": _names([{"name": "a"}, {"name": "b"}], 1)}
    """)


@pytest.mark.parametrize(
    ("source", "fragment"),
    [
        ("import os", "module 'os' is not available"),
        ("import datetme", "did you mean 'datetime'"),
        ("import os.path", "module 'os.path' is not available"),
        ("import datetime.datetime", "submodule 'datetime.datetime' is not available"),
        ("from collections.abc import Mapping", "submodule 'collections.abc'"),
        ("from math import sqr", "did you mean 'sqrt'"),
        ("from math import *", "'from math import *' is not allowed"),
        ("from . import helpers", "relative imports are not available"),
        ("from random import choice", "random.Random(state['seed'])"),
        ("from random import SystemRandom", "OS's entropy"),
        ("from collections import namedtuple", "namedtuple defines a class"),
        ("from datetime import sys", "module 'datetime' has no name 'sys'"),
        ("from json import decoder", "module 'json' has no name 'decoder'"),
        ("from __future__ import braces", "only annotations"),
        ("import re as _getattr_", "reserved for the sandbox"),
    ],
)
def test_unavailable_imports_are_compile_errors(source: str, fragment: str) -> None:
    problems = compile_problems(f"{source}\n\ndef run(state):\n    return 1\n")
    assert any(fragment in p for p in problems), problems


def test_the_refusal_names_the_available_modules() -> None:
    (problem,) = compile_problems("def run(state):\n    import numpy\n    return 1\n")
    assert names.AVAILABLE in problem
    for module in ("datetime", "math", "re", "json", "random", "itertools"):
        assert module in problem


def test_each_facade_offers_exactly_the_names_the_policy_allows() -> None:
    tk = compile_toolkit(toolkit("def run(state):\n    return 1\n"))
    importer = tk._base_globals["__builtins__"]["__import__"]
    for module, offered in names.OFFERED.items():
        facade = importer(module, None, None, ("x",), 0)
        assert set(facade._attrs) == set(offered), module
        assert importer(module, None, None, None, 0) is facade  # built once per toolkit


def test_a_facade_has_no_module_name_so_from_import_cannot_reach_sys_modules() -> None:
    tk = compile_toolkit(toolkit("def run(state):\n    return 1\n"))
    facade = tk._base_globals["__builtins__"]["__import__"]("json", None, None, ("x",), 0)
    for name in ("__name__", "__spec__", "__path__", "__dict__", "decoder", "_json"):
        with pytest.raises(AttributeError):
            getattr(facade, name)


# -- datetime --------------------------------------------------------------------------


def test_datetime_arithmetic_formatting_and_parsing() -> None:
    same_as_cpython(
        """
        from datetime import date, datetime, time, timedelta, timezone

        def run(state):
            now = datetime.fromisoformat(state["now"])
            later = now + timedelta(days=1, hours=2, minutes=30)
            d = date(2024, 2, 28) + timedelta(days=2)
            gap = datetime(2024, 3, 1, 12) - datetime(2024, 2, 27, 6, 30)
            tz = timezone(timedelta(hours=2), "CEST")
            parsed = datetime.strptime("06/05/2024 14:05", "%d/%m/%Y %H:%M")
            return {
                "later": later.isoformat(), "d": d.isoformat(), "weekday": d.weekday(),
                "iso": list(d.isocalendar()), "isoweek": d.isocalendar().week,
                "gap": [gap.days, gap.seconds, gap.total_seconds()],
                "fmt": later.strftime("%A %d %B %Y %H:%M %z %j %U"),
                "fstr": f"{d:%Y/%m/%d} {later:%H:%M}",
                "cmp": [d < date(2024, 3, 2), now == now.replace(), max(d, date.min).year],
                "tz": [later.astimezone(tz).isoformat(), tz.tzname(None), str(tz)],
                "utc": datetime(2024, 1, 1, tzinfo=timezone.utc).timestamp(),
                "from_ts": datetime.fromtimestamp(86400, tz=timezone.utc).isoformat(),
                "combine": datetime.combine(d, time(9, 30)).isoformat(),
                "parsed": parsed.isoformat(), "ord": d.toordinal(),
                "back": date.fromordinal(d.toordinal()).isoformat(),
                "text": [str(d), repr(d), str(gap), repr(timedelta(seconds=5)), str(tz)],
                "attrs": [later.year, later.month, later.day, later.hour, later.minute,
                          later.second, later.microsecond, later.tzinfo is not None],
            }
    """,
        {"now": "2024-05-06T09:15:00+00:00"},
    )


@pytest.mark.parametrize(
    ("expr", "fragment"),
    [
        ("datetime.now()", "no clock"),
        ("datetime.now(timezone.utc)", "no clock"),
        ("datetime.utcnow()", "no clock"),
        ("date.today()", "no clock"),
        ("datetime.today()", "no clock"),
        ("datetime(2024, 1, 1).today()", "no clock"),
        ("datetime.fromtimestamp(0)", "local time zone"),
        ("date.fromtimestamp(0)", "local time zone"),
        ("datetime(2024, 1, 1).timestamp()", "naive"),
        ("datetime(2024, 1, 1, tzinfo=timezone.utc).astimezone()", "without a time zone"),
        ("datetime(2024, 1, 1).astimezone(timezone.utc)", "naive"),
        ("date(2024, 1, 1).strftime('%s')", "%s"),
        ("datetime.strptime('UTC', '%Z')", "%Z"),
        ("date(2024, 1, 1).timetuple()", "not available"),
    ],
)
def test_the_clock_and_the_local_time_zone_are_refused(expr: str, fragment: str) -> None:
    result = failure(f"""
        from datetime import date, datetime, timezone

        def run(state):
            return str({expr})
    """)
    assert result.error_kind == ErrorKind.sandbox_violation
    assert fragment in result.error


def test_format_specs_on_dates_are_checked_like_strftime_formats() -> None:
    assert sandboxed("""
        from datetime import date
        def run(state):
            d = date(2024, 5, 6)
            return [f"{d:%d.%m.%Y}", "{:%A}".format(d), "{0:%b %d}".format(d), f"{d}"]
    """) == ["06.05.2024", "Monday", "May 06", "2024-05-06"]
    for expr in ('f"{d:%s}"', '"{:%s}".format(d)', 'f"{d:%Q}"'):
        result = failure(f"""
            from datetime import date
            def run(state):
                d = date(2024, 5, 6)
                return {expr}
        """)
        assert result.error_kind in (ErrorKind.sandbox_violation, ErrorKind.runtime_error)
    huge = failure("""
        from datetime import date
        def run(state):
            return ("{:" + "%Y" * 1000 + "}").format(date(2024, 5, 6))
    """)
    assert huge.error_kind == ErrorKind.resource_limit


def test_datetime_values_in_the_state_or_result_get_a_hint() -> None:
    stored = failure("""
        from datetime import date
        def run(state):
            state["d"] = date(2024, 1, 1)
            return 1
    """)
    assert stored.error_kind == ErrorKind.invalid_state and "isoformat()" in stored.error
    returned = failure("from datetime import date\ndef run(state):\n    return date(2024, 1, 1)\n")
    assert returned.error_kind == ErrorKind.invalid_result and "isoformat()" in returned.error


# -- math ------------------------------------------------------------------------------


def test_math_functions_match_cpython() -> None:
    same_as_cpython("""
        import math

        def run(state):
            return [
                math.floor(-2.5), math.ceil(2.1), math.sqrt(2), math.isqrt(10**20 + 1),
                math.log(100, 10), math.log2(1024), math.log10(0.001), math.exp(1),
                math.pow(2, 0.5), math.sin(math.pi / 6), math.atan2(1, 1), math.hypot(3, 4),
                math.isclose(0.1 + 0.2, 0.3), math.isfinite(1e308), math.isnan(float("nan")),
                math.fsum([0.1] * 10), math.gcd(12, 18, 30), math.lcm(4, 6, 10),
                math.factorial(30), math.comb(52, 5), math.perm(10, 3), math.perm(6),
                math.prod([1, 2, 3, 4], start=2), math.prod(range(1, 15)), math.trunc(-3.7),
                math.copysign(1, -0.0), math.degrees(math.pi), math.dist([0, 0], [3, 4]),
                math.fmod(7, 3), math.modf(2.5), math.frexp(8.0), math.inf > 10**300,
                [math.pi, math.e, math.tau], math.remainder(7, 4),
            ]
    """)


@pytest.mark.parametrize(
    "expr",
    [
        "math.factorial(10**6)",
        "math.comb(10**6, 5 * 10**5)",
        "math.perm(10**5)",
        "math.prod([2**4000] * 3)",
        "math.lcm(*[2**4000 + i for i in range(3)])",
        "math.prod(['ab', 10**9])",
    ],
)
def test_math_refuses_results_past_the_integer_limit(expr: str) -> None:
    result = failure(f"import math\n\ndef run(state):\n    return str({expr})[:10]\n")
    assert result.error_kind == ErrorKind.resource_limit


# -- re --------------------------------------------------------------------------------


def test_re_functions_and_match_objects_match_cpython() -> None:
    same_as_cpython(r"""
        import re

        def run(state):
            text = "Ana <ana@example.com>, Bob <bob.b@test.org>; José <josé@exämple.es>"
            email = re.compile(r"(?P<user>[\w.]+)@(?P<host>[\w.]+)")
            m = email.search(text)
            out = {
                "findall": email.findall(text),
                "words": re.findall(r"\w+", "Ünïcode wörds, naïve café 42"),
                "spans": [x.span() for x in email.finditer(text)],
                "group": [m.group(), m.group(1), m.group("host"), m.group(0, 2), m["user"]],
                "groups": [m.groups(), m.groupdict(), m.start("host"), m.end(), m.span(2)],
                "expand": m.expand(r"\g<host>/\1 \\ \n"),
                "lastindex": [m.lastindex, m.lastgroup, m.pos, m.endpos, m.string == text],
                "sub": re.sub(r"(\d+)-(\d+)", r"\2..\1", "1-2 and 30-40"),
                "subfn": re.sub(r"\d+", lambda x: str(int(x.group()) * 2), "a1 b22 c333"),
                "subn": re.subn(r"a", "A", "banana", count=2),
                "subempty": re.sub(r"x*", "-", "abxd"),
                "split": re.split(r"(,|;)\s*", "a, b;c,d"),
                "split2": [re.split(r"\W+", "Words, words, words.", maxsplit=1),
                           re.split(r"x*", "axbc")],
                "flags": [re.findall(r"^\w", "ab\ncd", re.M),
                          re.findall("A.B", "a\nb", re.I | re.S)],
                "verbose": re.findall(r'''
                    (\d{3})   # area
                    [-\s]?    # separator
                    (\d{4})   # number
                ''', "555-1234 and 555 9876", re.VERBOSE),
                "full": [bool(re.fullmatch(r"[A-Z]{3}-\d{4}", "ABC-1234")),
                         re.match(r"b", "abc") is None, bool(re.match(r"a", "abc"))],
                "escape": re.escape("1+1=2? (yes) [ok] a.b"),
                "escaped": bool(re.search(re.escape("a.b*c"), "xa.b*cx")),
                "pattern": [email.pattern, email.groups, dict(email.groupindex)],
                "unicode": [re.findall(r"\d+", "٣٤ 56"), re.findall(r"\s+", "a\u00a0b\u2003c")],
                "end": [bool(re.search(r"c\Z", "abc")),
                        re.findall(r"(?i)straße", "STRASSE Straße")],
                "named_sub": re.sub(r"(?P<y>\d{4})-(?P<m>\d\d)", r"\g<m>/\g<y>", "2024-05"),
                "repr": repr(re.match(r"ab", "abc")),
                "bool": bool(re.search("b", "abc")),
            }
            return out
    """)


@pytest.mark.parametrize("pattern", [r"(a)\1", r"a(?=b)", r"(?<=a)b", r"(?!x)y", r"(?P=n)"])
def test_re_patterns_the_engine_cannot_run_raise_re_error(pattern: str) -> None:
    result = sandboxed(f"""
        import re

        def run(state):
            try:
                re.compile({pattern!r})
            except re.error as e:
                return ["re.error", str(e)]
            return "compiled"
    """)
    assert result[0] == "re.error"
    assert "linear time" in result[1] and "backreferences" in result[1]


def test_re_error_is_catchable_as_exception() -> None:
    assert sandboxed("""
        import re
        def run(state):
            try:
                re.sub("a", r"\\9", "abc")
            except Exception as e:
                return [type(e) is re.error, isinstance(e, re.error), str(e)]
    """) == [True, True, "invalid group reference 9"]


# -- json, copy, typing, string --------------------------------------------------------


def test_json_dumps_and_loads_match_cpython() -> None:
    same_as_cpython("""
        import json
        from collections import Counter, OrderedDict

        def run(state):
            value = {"b": [1, 2.5, None, True], "a": {"é": "x\\n\\"y\\""}, "t": (1, 2)}
            return [
                json.dumps(value), json.dumps(value, sort_keys=True),
                json.dumps(value, indent=2, ensure_ascii=False),
                json.dumps(value, separators=(",", ":"), sort_keys=True),
                json.dumps({1: "int key", None: 0}), json.dumps(Counter("aab")),
                json.dumps(OrderedDict([("z", 1), ("a", 2)])), json.dumps("\\u2603"),
                json.loads('{"a": [1, 2, {"b": null}], "c": 1.5e3}'),
                json.loads(json.dumps(value)),
            ]
    """)


def test_json_errors_are_catchable() -> None:
    assert sandboxed("""
        import json
        def run(state):
            out = []
            try:
                json.loads("{bad")
            except json.JSONDecodeError as e:
                out.append([e.msg, e.pos, e.lineno, e.colno])
            try:
                json.dumps({1, 2})
            except TypeError as e:
                out.append(str(e))
            return out
    """) == [
        ["Expecting property name enclosed in double quotes", 1, 1, 2],
        "Object of type set is not JSON serializable",
    ]


def test_copy_and_deepcopy_match_cpython() -> None:
    same_as_cpython(
        """
        import copy
        from collections import Counter, defaultdict, deque

        def run(state):
            shared = [1, 2]
            value = {"a": shared, "b": shared, "c": ({"t": 1},), "d": state["rows"]}
            deep = copy.deepcopy(value)
            shallow = copy.copy(value)
            deep["a"].append(3)
            shallow["d"].append("shallow")
            loop = [1]
            loop.append(loop)
            loop2 = copy.deepcopy(loop)
            dd = defaultdict(list, {"x": [1]})
            dd2 = copy.deepcopy(dd)
            dd2["y"].append(2)
            c = copy.copy(Counter("aab"))
            q = copy.deepcopy(deque([[1], [2]], maxlen=3))
            return {"deep": deep, "value": value, "shared": deep["a"] is deep["b"],
                    "loop": loop2[1] is loop2, "rows": state["rows"], "dd": [dict(dd), dict(dd2)],
                    "c": c, "q": [list(q), q.maxlen]}
    """,
        {"rows": [{"id": 1}]},
    )


def test_typing_names_are_inert() -> None:
    same_as_cpython("""
        from typing import Any, Callable, Dict, List, Literal, Optional, Tuple, Union, cast
        from typing import TYPE_CHECKING, TypeVar

        T = TypeVar("T")
        Row = Dict[str, Any]
        Handler = Callable[[Row], Optional[str]]
        Mode = Literal["fast", "slow"]
        Pair = Tuple[int, Union[int, str]]

        def run(state):
            return [cast(int, "not an int"), TYPE_CHECKING]
    """)


def test_string_constants_and_capwords() -> None:
    same_as_cpython("""
        import string
        def run(state):
            return [string.ascii_letters, string.digits, string.hexdigits, string.octdigits,
                    string.punctuation, string.whitespace, string.printable,
                    string.capwords("hello   big  world"), string.capwords("a-b-c", "-")]
    """)


# -- collections and itertools ---------------------------------------------------------


def test_collections_match_cpython() -> None:
    same_as_cpython("""
        from collections import Counter, OrderedDict, defaultdict, deque

        def run(state):
            c = Counter("abracadabra")
            c.update({"a": 2, "z": 1})
            c.update(["q", "q"])
            c.subtract("aaq")
            d = Counter(a=3, b=1) + Counter(a=1, c=2)
            e = Counter(a=3, b=1) - Counter(a=1, b=5)
            groups = defaultdict(list)
            for word in ["apple", "avocado", "banana", "blueberry", "cherry"]:
                groups[word[0]].append(word)
            counts = defaultdict(int)
            for ch in "hello":
                counts[ch] += 1
            od = OrderedDict([("a", 1), ("b", 2), ("c", 3)])
            zeros = OrderedDict.fromkeys("xyz", 0)
            od.move_to_end("a")
            od.move_to_end("c", last=False)
            last = od.popitem()
            first = od.popitem(last=False)
            q = deque([1, 2, 3], maxlen=4)
            q.append(4)
            q.append(5)
            q.appendleft(0)
            q.extend([6, 7])
            q.rotate(1)
            return {
                "c": c, "most": c.most_common(3), "total": c.total(), "missing": c["nope"],
                "elements": sorted(Counter(a=2, b=1).elements()), "d": d, "e": e,
                "or": Counter(a=1, b=3) | Counter(a=2), "and": Counter(a=1, b=3) & Counter(a=2),
                "eq": [Counter(a=1) == Counter(a=1, b=0), isinstance(c, dict)],
                "groups": groups, "counts": counts, "od": [list(od.items()), last, first, zeros],
                "keys": sorted(c.keys() - {"a"}), "deque": [list(q), q.maxlen, q.popleft(),
                q.pop(), len(q), q[0], 3 in q, q.count(3)],
                "text": [repr(Counter("aab")), str(OrderedDict(a=1)), repr(deque([1])),
                         repr(Counter())],
            }
    """)


def test_collections_values_serialize_as_results_but_not_in_the_state() -> None:
    assert sandboxed("""
        from collections import Counter, OrderedDict, defaultdict
        def run(state):
            return [Counter("aab"), OrderedDict(z=1, a=2), defaultdict(list, k=[1])]
    """) == [{"a": 2, "b": 1}, {"z": 1, "a": 2}, {"k": [1]}]
    result = failure("""
        from collections import Counter
        def run(state):
            state["c"] = Counter("aab")
            return 1
    """)
    assert result.error_kind == ErrorKind.invalid_state and "dict(" in result.error
    queue = failure("from collections import deque\ndef run(state):\n    return deque([1])\n")
    assert queue.error_kind == ErrorKind.invalid_result and "list(" in queue.error


def test_itertools_match_cpython() -> None:
    same_as_cpython("""
        import itertools as it
        from itertools import accumulate, chain, groupby, islice, product

        def run(state):
            return {
                "chain": list(chain([1, 2], (3,), "ab")),
                "from_iterable": list(chain.from_iterable([[1], [2, 3]])),
                "comb": list(it.combinations("abcd", 2)),
                "cwr": list(it.combinations_with_replacement([1, 2], 2)),
                "perm": list(it.permutations([1, 2, 3])), "perm2": list(it.permutations("abc", 2)),
                "product": list(product([1, 2], "xy")), "repeat": list(product([0, 1], repeat=3)),
                "islice": [list(islice(it.count(5, 2), 3)), list(islice("abcdefg", 1, 6, 2))],
                "groupby": [[k, list(g)] for k, g in groupby(sorted("mississippi"))],
                "groupby_key": [
                    [k, len(list(g))] for k, g in groupby([1, 3, 2, 4, 5], key=lambda x: x % 2)
                ],
                "accumulate": [list(accumulate([1, 2, 3, 4])), list(accumulate([3, 1, 2], max)),
                               list(accumulate(["a", "b"], initial="z"))],
                "cycle": list(islice(it.cycle("ab"), 5)), "rep": list(it.repeat("x", 3)),
                "zip_longest": list(it.zip_longest([1, 2, 3], "ab", fillvalue="-")),
                "starmap": list(it.starmap(pow, [(2, 3), (3, 2)])),
                "takewhile": list(it.takewhile(lambda x: x < 3, [1, 2, 3, 1])),
                "dropwhile": list(it.dropwhile(lambda x: x < 3, [1, 2, 3, 1])),
                "compress": list(it.compress("abcdef", [1, 0, 1, 0, 1, 1])),
                "pairwise": list(it.pairwise([1, 2, 3, 4])),
                "filterfalse": list(it.filterfalse(lambda x: x % 2, range(6))),
                "next": next(it.count(3)), "sum": sum(islice(it.count(), 10)),
            }
    """)


def test_itertools_batched_matches_its_recipe() -> None:
    assert sandboxed("""
        from itertools import batched
        def run(state):
            return list(batched("abcdefg", 3))
    """) == [["a", "b", "c"], ["d", "e", "f"], ["g"]]


# -- random ----------------------------------------------------------------------------


def test_seeded_random_matches_cpython() -> None:
    same_as_cpython(
        """
        import random

        def run(state):
            rng = random.Random(state["seed"])
            items = list(range(10))
            rng.shuffle(items)
            local = ["a", "b", "c", "d"]
            rng.shuffle(local)
            return {
                "random": rng.random(), "randint": rng.randint(1, 6),
                "randrange": rng.randrange(0, 100, 5), "choice": rng.choice("abc"),
                "choices": rng.choices(["x", "y"], weights=[1, 3], k=5),
                "sample": rng.sample(range(100), 4), "uniform": rng.uniform(1, 2),
                "gauss": rng.gauss(0, 1), "bits": rng.getrandbits(64), "items": items,
                "local": local, "str_seed": random.Random("order-17").random(),
                "float_seed": random.Random(1.5).randint(0, 10**6),
                "state": state["deck"],
            }
    """,
        {"seed": 42, "deck": [1, 2, 3]},
    )


def test_shuffling_a_state_list_is_journaled() -> None:
    source = """
        import random

        def shuffle(state, fail):
            deck = state["deck"]
            random.Random(state["seed"]).shuffle(deck)
            deck[0]["seen"] = True  # the shuffled cards are still the state's own
            if fail:
                raise ToolError("changed my mind")
            return deck

        def mark(state, fail):
            state["deck"][-1]["marked"] = True
            if fail:
                raise ToolError("changed my mind")
            return state["deck"][-1]
    """
    doc = toolkit(
        textwrap.dedent(source),
        {"shuffle": {"fail": {"type": "boolean"}}, "mark": {"fail": {"type": "boolean"}}},
        state={"seed": 7, "deck": [{"card": i} for i in range(8)]},
    )
    tk = compile_toolkit(doc)
    before = tk.state_hash()
    assert not tk.call("shuffle", {"fail": True}).ok
    assert tk.state_hash() == before
    shuffled = tk.call("shuffle", {"fail": False}).value
    expected = [{"card": i} for i in range(8)]
    import random as real_random

    real_random.Random(7).shuffle(expected)
    expected[0]["seen"] = True
    assert shuffled == expected == tk.state["deck"]
    after = tk.state_hash()
    assert not tk.call("mark", {"fail": True}).ok
    assert tk.state_hash() == after
    assert tk.call("mark", {"fail": False}).value == {**expected[-1], "marked": True}


@pytest.mark.parametrize(
    ("expr", "fragment"),
    [
        ("random.Random()", "explicit seed"),
        ("random.Random(None)", "explicit seed"),
        ("random.Random(1).seed()", "explicit seed"),
        ("random.random()", "random.Random(state['seed'])"),
        ("random.choice([1, 2])", "random.Random(state['seed'])"),
        ("random.shuffle([1, 2])", "random.Random(state['seed'])"),
    ],
)
def test_unseeded_randomness_is_refused(expr: str, fragment: str) -> None:
    result = failure(f"import random\n\ndef run(state):\n    return str({expr})\n")
    assert result.error_kind == ErrorKind.sandbox_violation
    assert fragment in result.error


# -- attributes, type(), hasattr, isinstance -------------------------------------------


def test_module_values_work_with_type_isinstance_and_hasattr() -> None:
    same_as_cpython("""
        import re
        from collections import Counter, deque
        from datetime import date, datetime, timedelta

        def run(state):
            d = date(2024, 1, 1)
            c = Counter("ab")
            return [
                type(d) is date, type(datetime(2024, 1, 1)) is datetime, isinstance(d, date),
                isinstance(datetime(2024, 1, 1), date), isinstance(c, Counter),
                isinstance(c, dict), type(c) is Counter, isinstance(timedelta(1), timedelta),
                hasattr(d, "year"), hasattr(d, "nope"), hasattr(re.match("a", "a"), "group"),
                isinstance(deque(), deque),
            ]
    """)


def test_missing_attributes_are_attribute_errors_and_blocked_ones_violations() -> None:
    assert sandboxed("""
        import math
        from datetime import date
        def run(state):
            out = []
            for get in (lambda: math.sqr, lambda: date(2024, 1, 1).yeer):
                try:
                    get()
                except AttributeError as e:
                    out.append(str(e))
            return out
    """) == [
        "module 'math' has no attribute 'sqr' (did you mean 'sqrt'?)",
        "'datetime.date' object has no attribute 'yeer' (did you mean 'year'?)",
    ]
    blocked = failure("import datetime\n\ndef run(state):\n    return str(datetime.sys)\n")
    assert blocked.error_kind == ErrorKind.sandbox_violation


def test_hooks_know_only_their_own_values() -> None:
    assert modules.attribute(None, object(), "x") is modules.NOT_HANDLED
    assert modules.text(None, object(), True) is None
    assert modules.json_hint(object()) is None
    assert modules.has_attribute(object(), "x") is None
    assert modules.exposed_type(object()) is None
    assert not modules.formattable("2024")


# -- a toolkit as a strong model would write it ----------------------------------------


def test_a_model_style_toolkit_passes_check_toolkit_and_replays() -> None:
    """`toolkit-meeting_rooms.json` is a hand-written stand-in for model output that uses
    datetime, re, math, collections and random.Random(state seed)."""
    path = FIXTURES / "toolkit-meeting_rooms.json"
    report = check_toolkit(path, examples=8)
    assert report.passed, [f.model_dump() for f in report.findings if f.severity == "error"]
    calls = [
        ("find_free_slots", {"room_id": "R2", "day": "2024-05-07", "duration_minutes": 45}),
        (
            "book_room",
            {
                "room_id": "R2",
                "start": "2024-05-07T10:00:00+00:00",
                "duration_minutes": 45,
                "title": "Design review",
                "attendees": ["ana@example.com", "bob@example.org"],
            },
        ),
        ("pick_random_room", {"min_capacity": 4}),
        ("pick_random_room", {"min_capacity": 4}),
        ("room_usage_report", {}),
        ("cancel_booking", {"booking_id": "BK-0001"}),
        (
            "book_room",
            {
                "room_id": "R1",
                "start": "2024-05-06T08:00:00+00:00",
                "duration_minutes": 30,
                "title": "Too early",
                "attendees": [],
            },
        ),
        (
            "book_room",
            {
                "room_id": "R1",
                "start": "2024-05-07T11:00:00+00:00",
                "duration_minutes": 30,
                "title": "Bad mail",
                "attendees": ["nope"],
            },
        ),
    ]
    first = compile_toolkit(path)
    outputs = [first.call(name, args).content for name, args in calls]
    final = first.state_hash()
    assert json.loads(outputs[1])["booking"]["id"] == "BK-0002"
    assert "error" in json.loads(outputs[6]) and "error" in json.loads(outputs[7])
    first.reset()
    assert [first.call(name, args).content for name, args in calls] == outputs
    assert first.state_hash() == final
    second = compile_toolkit(json.loads(path.read_text()))
    assert [second.call(name, args).content for name, args in calls] == outputs
    assert second.state_hash() == final
