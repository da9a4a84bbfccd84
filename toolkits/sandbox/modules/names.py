"""Which modules tool code may import, the names each offers, and the names it refuses.

This is the static half of the sandbox's modules: the compile-time policy
(`toolkits.sandbox.rejections`) checks every ``import`` against it, and each facade
offers exactly these names at run time. It imports nothing heavy, so the policy can
use it without loading the modules themselves.
"""

from __future__ import annotations

import difflib
import math as _math

_SEED_IT = "seed it from the state: rng = random.Random(state['seed']), then rng.{name}(...)"
_RANDOM_FUNCTIONS = (
    "betavariate",
    "choice",
    "choices",
    "expovariate",
    "gammavariate",
    "gauss",
    "getrandbits",
    "getstate",
    "lognormvariate",
    "normalvariate",
    "paretovariate",
    "randbytes",
    "randint",
    "random",
    "randrange",
    "sample",
    "seed",
    "setstate",
    "shuffle",
    "triangular",
    "uniform",
    "vonmisesvariate",
    "weibullvariate",
)
_TYPING = (
    "Annotated",
    "Any",
    "Callable",
    "ClassVar",
    "Collection",
    "Counter",
    "DefaultDict",
    "Deque",
    "Dict",
    "Final",
    "FrozenSet",
    "Generator",
    "Hashable",
    "Iterable",
    "Iterator",
    "List",
    "Literal",
    "Mapping",
    "MutableMapping",
    "MutableSequence",
    "MutableSet",
    "Never",
    "NoReturn",
    "Optional",
    "OrderedDict",
    "Sequence",
    "Set",
    "Tuple",
    "Type",
    "TypeVar",
    "Union",
    "TYPE_CHECKING",
    "cast",
)
_ITERTOOLS = (
    "accumulate",
    "batched",
    "chain",
    "combinations",
    "combinations_with_replacement",
    "compress",
    "count",
    "cycle",
    "dropwhile",
    "filterfalse",
    "groupby",
    "islice",
    "pairwise",
    "permutations",
    "product",
    "repeat",
    "starmap",
    "takewhile",
    "zip_longest",
)
_RE = (
    "compile",
    "search",
    "match",
    "fullmatch",
    "findall",
    "finditer",
    "sub",
    "subn",
    "split",
    "escape",
    "purge",
    "error",
    "Pattern",
    "Match",
    "NOFLAG",
    "A",
    "ASCII",
    "I",
    "IGNORECASE",
    "M",
    "MULTILINE",
    "S",
    "DOTALL",
    "U",
    "UNICODE",
    "X",
    "VERBOSE",
)
_MATH = tuple(n for n in dir(_math) if not n.startswith("_"))

#: module -> the names its facade offers (what ``from X import name`` may bind).
OFFERED: dict[str, frozenset[str]] = {
    "datetime": frozenset(
        {"date", "datetime", "time", "timedelta", "timezone", "MINYEAR", "MAXYEAR", "UTC"}
    ),
    "math": frozenset(_MATH),
    "re": frozenset(_RE),
    "json": frozenset({"dumps", "loads", "JSONDecodeError"}),
    "copy": frozenset({"copy", "deepcopy"}),
    "typing": frozenset(_TYPING),
    "string": frozenset(
        {
            "ascii_letters",
            "ascii_lowercase",
            "ascii_uppercase",
            "digits",
            "hexdigits",
            "octdigits",
            "punctuation",
            "whitespace",
            "printable",
            "capwords",
        }
    ),
    "collections": frozenset({"Counter", "defaultdict", "OrderedDict", "deque"}),
    "itertools": frozenset(_ITERTOOLS),
    "random": frozenset({"Random"}),
}

#: (module, name) -> why a name the real module has is refused, and what to do instead.
REFUSED: dict[tuple[str, str], str] = {
    **{("random", n): _SEED_IT.format(name=n) for n in _RANDOM_FUNCTIONS},
    ("random", "SystemRandom"): "SystemRandom reads the OS's entropy; "
    + _SEED_IT.format(name="random"),
    ("collections", "namedtuple"): "namedtuple defines a class by running generated code; "
    "use a dict (record = {'name': ..., 'price': ...})",
    ("collections", "ChainMap"): "use {**defaults, **overrides}",
    ("collections", "UserDict"): "classes are not available; use a dict",
    ("collections", "UserList"): "classes are not available; use a list",
    ("collections", "UserString"): "classes are not available; use a str",
    ("collections", "abc"): "abstract base classes are not available; use isinstance(x, dict)",
    ("itertools", "tee"): "iterate over a list instead: items = list(iterable)",
    ("typing", "NamedTuple"): "classes are not available; use a dict",
    ("typing", "TypedDict"): "classes are not available; use a dict",
    ("typing", "Protocol"): "classes are not available",
    ("string", "Template"): "use an f-string",
    ("string", "Formatter"): "use an f-string",
    ("datetime", "tzinfo"): "use datetime.timezone (timezone.utc or timezone(timedelta(hours=2)))",
    ("json", "load"): "there are no files in the sandbox; use json.loads(text)",
    ("json", "dump"): "there are no files in the sandbox; use json.dumps(value)",
    ("json", "JSONEncoder"): "use json.dumps(value, sort_keys=..., indent=...)",
    ("json", "JSONDecoder"): "use json.loads(text)",
}

AVAILABLE = ", ".join(OFFERED)

#: ``from __future__ import annotations`` is a compiler directive; it binds a harmless flag.
FUTURE = frozenset({"annotations"})
OFFERED["__future__"] = FUTURE


def closest(word: str, choices: object) -> str:
    """`` (did you mean 'x'?)`` for the closest of `choices`, or an empty string."""
    found = difflib.get_close_matches(word, sorted(choices), n=1, cutoff=0.6)  # type: ignore[call-overload]
    return f" (did you mean '{found[0]}'?)" if found else ""


def module_problem(name: str, from_import: bool = False) -> str | None:
    """Why ``import name`` (`from_import`: ``from name import ...``) is refused, or None."""
    if name == "__future__" and from_import:
        return None
    if name in OFFERED and name != "__future__":
        return None
    top = name.split(".")[0]
    if "." in name and top in OFFERED:
        return f"submodule '{name}' is not available; import '{top}' and use its names"
    return (
        f"module '{name}' is not available in the sandbox{closest(name, OFFERED)}; "
        f"the sandbox offers {AVAILABLE}"
    )


def name_problem(module: str, name: str) -> str | None:
    """Why ``from module import name`` is refused, or None when the facade offers it."""
    if module == "__future__" and name not in FUTURE:
        return f"'from __future__ import {name}' is not available; only annotations is"
    offered = OFFERED[module]
    if name in offered:
        return None
    reason = REFUSED.get((module, name))
    if reason is not None:
        return f"'{module}.{name}' is not available in the sandbox: {reason}"
    return f"module '{module}' has no name '{name}' in the sandbox{closest(name, offered)}"
