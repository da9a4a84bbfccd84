"""The sandbox's ``datetime``: CPython's own date, time and timedelta types, vetted.

The classes are the real ones (arithmetic, comparison and construction are bounded C
code), but every attribute tool code reads goes through the whitelists below. Refused:
whatever reads the machine's clock or local time zone (``now()``, ``today()``,
``utcnow()``, ``fromtimestamp`` without ``tz``, ``timestamp()`` and ``astimezone()`` of
a naive datetime), with a message saying to read the time from the state. ``strftime``
and ``strptime`` take bounded formats and inputs; ``%s`` (local epoch seconds) is refused.
"""

from __future__ import annotations

import datetime as _dt
from typing import Any

from toolkits.sandbox.modules.core import PLAIN, Rules, check_text, method, violation

MAX_FORMAT = 200
MAX_DATE_TEXT = 200
STRPTIME_STEPS = 16  # CPython's strptime is Python code: ~200x a step's cost

_CLOCK = (
    "the sandbox has no clock; read the time from the state, "
    "e.g. datetime.fromisoformat(state['now'])"
)
_LOCAL_TZ = "it depends on the machine's local time zone"
_CLOCK_NAMES = ("now", "today", "utcnow")

# strftime directives that do not depend on the machine (C library, local time zone)
_DIRECTIVES = frozenset("aAwdbBmyYHIpMSfzZjUWcxXGuVeDFTRhnCgklPrt%")
_DASHABLE = frozenset("dmHIMSjyeklgGYU")


def _check_format(guards: Any, fmt: Any, parsing: bool) -> str:
    check_text(guards, fmt, MAX_FORMAT, "format")
    i = fmt.find("%")
    while i != -1 and i + 1 < len(fmt):
        c = fmt[i + 1]
        flagged = fmt[i + 2 : i + 3]
        if (c == "-" and flagged in _DASHABLE and not parsing) or (c == ":" and flagged == "z"):
            i += 1
        elif c == "s":
            violation(
                guards,
                f"%s in a date format: {_LOCAL_TZ}; use int(d.timestamp()) of an "
                "aware datetime (d.replace(tzinfo=timezone.utc))",
            )
        elif c == "Z" and parsing:
            violation(guards, f"%Z in strptime: which names it accepts {_LOCAL_TZ}; use %z")
        elif c not in _DIRECTIVES:
            violation(guards, f"%{c} is not a date format directive the sandbox offers")
        i = fmt.find("%", i + 2)
    return fmt


def _strftime(guards: Any, value: Any, fmt: Any) -> str:
    return value.strftime(_check_format(guards, fmt, parsing=False))


class Formatted:
    """A date, datetime or time about to be formatted with a spec (``f"{d:%Y}"``): the
    spec is a strftime format, so it is checked as `strftime` checks its format."""

    __slots__ = ("_guards", "_value")

    def __init__(self, guards: Any, value: Any):
        self._guards = guards
        self._value = value

    def __format__(self, spec: str) -> str:
        if spec:
            _check_format(self._guards, spec, parsing=False)
        return format(self._value, spec)


def _strptime(guards: Any, cls: Any, text: Any, fmt: Any) -> Any:
    check_text(guards, text, MAX_DATE_TEXT, "date text")
    guards.ctx.charge(STRPTIME_STEPS)
    return cls.strptime(text, _check_format(guards, fmt, parsing=True))


def _fromisoformat(guards: Any, cls: Any, text: Any) -> Any:
    return cls.fromisoformat(check_text(guards, text, MAX_DATE_TEXT, "date text"))


def _fromtimestamp(guards: Any, cls: Any, timestamp: Any, tz: Any = None) -> Any:
    if tz is None:
        violation(guards, f"fromtimestamp() without tz: {_LOCAL_TZ}; pass tz=timezone.utc")
    return cls.fromtimestamp(timestamp, tz)


def _timestamp(guards: Any, value: Any) -> float:
    if value.utcoffset() is None:
        violation(
            guards,
            f"timestamp() of a naive datetime: {_LOCAL_TZ}; "
            "use d.replace(tzinfo=timezone.utc).timestamp()",
        )
    return value.timestamp()


def _astimezone(guards: Any, value: Any, tz: Any = None) -> Any:
    if tz is None:
        violation(
            guards,
            f"astimezone() without a time zone: {_LOCAL_TZ}; "
            "pass one, e.g. d.astimezone(timezone.utc)",
        )
    if value.utcoffset() is None:
        violation(
            guards,
            f"astimezone() of a naive datetime: {_LOCAL_TZ}; "
            "set its zone first: d.replace(tzinfo=timezone.utc)",
        )
    return value.astimezone(tz)


def _class_text(guards: Any, value: Any, repr_: bool) -> str:
    return f"<class 'datetime.{value.__name__}'>"


def _text(guards: Any, value: Any, repr_: bool) -> str:
    return repr(value) if repr_ else str(value)


_DATE = {
    n: PLAIN
    for n in (
        "year", "month", "day", "weekday", "isoweekday", "isocalendar", "isoformat",
        "replace", "toordinal", "ctime", "min", "max", "resolution",
    )
}  # fmt: skip
_TIME = {
    n: PLAIN
    for n in (
        "hour", "minute", "second", "microsecond", "tzinfo", "fold", "utcoffset", "dst",
        "tzname", "isoformat", "replace", "min", "max", "resolution",
    )
}  # fmt: skip
_STRFTIME = {"strftime": method(_strftime)}
_CLASS_DATE = {
    "fromisoformat": method(_fromisoformat),
    "fromordinal": PLAIN,
    "fromisocalendar": PLAIN,
    "min": PLAIN,
    "max": PLAIN,
    "resolution": PLAIN,
}
_CLOCKS = dict.fromkeys(_CLOCK_NAMES, _CLOCK)
_CLASS_DATETIME = {
    **_CLASS_DATE,
    "combine": PLAIN,
    "strptime": method(_strptime),
    "fromtimestamp": method(_fromtimestamp),
}
_HINT_DATE = "use d.isoformat() (a JSON string)"

INSTANCE_RULES: dict[type, Rules] = {
    _dt.date: Rules(
        "datetime.date",
        {**_DATE, **_STRFTIME},
        refused={"today": _CLOCK, "fromtimestamp": _LOCAL_TZ},
        text=_text,
        hint=_HINT_DATE,
        formattable=True,
        exposed=True,
    ),
    _dt.datetime: Rules(
        "datetime.datetime",
        {
            **_DATE,
            **_TIME,
            **_STRFTIME,
            "date": PLAIN,
            "time": PLAIN,
            "timetz": PLAIN,
            "combine": PLAIN,
            "timestamp": method(_timestamp),
            "astimezone": method(_astimezone),
        },
        refused={**_CLOCKS, "fromtimestamp": _LOCAL_TZ, "utcfromtimestamp": _LOCAL_TZ},
        text=_text,
        hint=_HINT_DATE,
        formattable=True,
        exposed=True,
    ),
    _dt.time: Rules(
        "datetime.time",
        {**_TIME, **_STRFTIME},
        text=_text,
        hint="use t.isoformat() (a JSON string)",
        formattable=True,
        exposed=True,
    ),
    _dt.timedelta: Rules(
        "datetime.timedelta",
        {
            n: PLAIN
            for n in (
                "days",
                "seconds",
                "microseconds",
                "total_seconds",
                "min",
                "max",
                "resolution",
            )
        },
        text=_text,
        hint="use td.total_seconds() (a JSON number)",
        exposed=True,
    ),
    _dt.timezone: Rules(
        "datetime.timezone",
        {n: PLAIN for n in ("utcoffset", "tzname", "dst", "utc", "min", "max")},
        text=_text,
        hint="use str(tz) or tz.utcoffset(None).total_seconds()",
        exposed=True,
    ),
    type(_dt.date(2000, 1, 1).isocalendar()): Rules(
        "datetime.IsoCalendarDate",
        {n: PLAIN for n in ("year", "week", "weekday", "count", "index")},
        text=_text,
        hint="use list(d.isocalendar())",
    ),
}

CLASS_RULES: dict[type, Rules] = {
    _dt.date: Rules(
        "datetime.date",
        _CLASS_DATE,
        refused={
            "today": _CLOCK,
            "fromtimestamp": f"{_LOCAL_TZ}; use datetime.fromtimestamp(ts, tz=timezone.utc)",
        },
        text=_class_text,
    ),
    _dt.datetime: Rules(
        "datetime.datetime",
        _CLASS_DATETIME,
        refused={
            **_CLOCKS,
            "utcfromtimestamp": "use datetime.fromtimestamp(ts, tz=timezone.utc)",
        },
        text=_class_text,
    ),
    _dt.time: Rules(
        "datetime.time",
        {n: PLAIN for n in ("min", "max", "resolution")}
        | {"fromisoformat": method(_fromisoformat)},
        text=_class_text,
    ),
    _dt.timedelta: Rules(
        "datetime.timedelta",
        {n: PLAIN for n in ("min", "max", "resolution")},
        text=_class_text,
    ),
    _dt.timezone: Rules(
        "datetime.timezone",
        {n: PLAIN for n in ("utc", "min", "max")},
        text=_class_text,
    ),
}


def build(guards: Any) -> dict[str, Any]:
    """The names of the ``datetime`` facade."""
    return {
        "date": _dt.date,
        "datetime": _dt.datetime,
        "time": _dt.time,
        "timedelta": _dt.timedelta,
        "timezone": _dt.timezone,
        "MINYEAR": _dt.MINYEAR,
        "MAXYEAR": _dt.MAXYEAR,
        "UTC": _dt.timezone.utc,
    }
