"""Wording shared by the strict TOML validators (rule files, slot policies): how values and keys are named."""

from __future__ import annotations

import difflib
from collections.abc import Sequence
from typing import Any


def quote(value: Any) -> str:
    """A value quoted the way TOML writes strings."""
    if isinstance(value, str):
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    return repr(value)


def quote_list(values: Sequence[str]) -> str:
    return "[" + ", ".join(quote(v) for v in values) + "]"


def type_name(value: Any) -> str:
    """How a TOML value's type is described in messages."""
    names = {bool: "a boolean", int: "an integer", float: "a number", str: "a string", list: "a list"}
    if isinstance(value, dict):
        return "a table"
    return f"{names.get(type(value), type(value).__name__)} {quote(value)}"


def unknown_key(key: str, known: Sequence[str]) -> str:
    """An unknown key, with the closest known one suggested."""
    close = difflib.get_close_matches(key, known, n=1)
    hint = f"did you mean {quote(close[0])}?" if close else f"expected one of {', '.join(known)}"
    return f"unknown key {quote(key)} ({hint})"
