"""How an exception raised by tool code reads in a result: bounded and deterministic."""

from __future__ import annotations

from toolkits.result import MAX_ERROR_MESSAGE


def exception_text(exc: BaseException) -> str:
    """The message of an exception raised by tool code, bounded and deterministic."""
    parts = []
    for arg in exc.args[:5]:
        if type(arg) is str:
            parts.append(arg[:MAX_ERROR_MESSAGE])
        elif type(arg) in (int, float, bool) or arg is None:
            parts.append(repr(arg) if type(arg) is not int or arg.bit_length() < 256 else "<int>")
        else:
            parts.append(f"<{type(arg).__name__}>")
    return ", ".join(parts)


def describe(exc: BaseException) -> str:
    """``TypeName: message`` of an exception (a KeyError shows its key as CPython does)."""
    text = exception_text(exc)
    if isinstance(exc, KeyError) and exc.args and type(exc.args[0]) is str:
        text = repr(exc.args[0][:200])
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__
