"""Strict checks for JSON that came over the network: each returns the typed value or raises
`WireError` naming where the message is wrong. Nothing from a peer is trusted: sizes, types,
lengths and numbers are all bounded here."""

from __future__ import annotations

import base64
import binascii
import math
from collections.abc import Callable
from typing import Any, TypeVar

import numpy as np
import numpy.typing as npt

MAX_STR = 65_536  # a Myelin layer name can be several KB
MAX_ITEMS = 1_000_000
MAX_CELLS = 20_000_000
DTYPES = {"f4": 4, "f8": 8, "i8": 8}


class WireError(ValueError):
    """A message that does not follow the wire format (a broken or hostile peer)."""


def obj(x: Any, where: str) -> dict[str, Any]:
    """A JSON object."""
    if not isinstance(x, dict):
        raise WireError(f"{where}: expected an object")
    return x


def lst(x: Any, where: str, max_items: int = MAX_ITEMS) -> list[Any]:
    """A JSON array of at most `max_items` items (the items are not checked)."""
    if not isinstance(x, list):
        raise WireError(f"{where}: expected a list")
    if len(x) > max_items:
        raise WireError(f"{where}: more than {max_items} items")
    return x


T = TypeVar("T")


def string(x: Any, where: str, max_len: int = MAX_STR) -> str:
    """A string of at most `max_len` characters."""
    if not isinstance(x, str):
        raise WireError(f"{where}: expected a string")
    if len(x) > max_len:
        raise WireError(f"{where}: longer than {max_len} characters")
    return x


def opt_string(x: Any, where: str, max_len: int = MAX_STR) -> str | None:
    """A string as `string` checks it, or None for null."""
    return None if x is None else string(x, where, max_len)


def boolean(x: Any, where: str) -> bool:
    """true or false (not a number)."""
    if not isinstance(x, bool):
        raise WireError(f"{where}: expected true or false")
    return x


def integer(x: Any, where: str, lo: int = 0, hi: int = 2**62) -> int:
    """A whole number in [lo, hi] (not a boolean, not a float such as 1.0)."""
    if not isinstance(x, int) or isinstance(x, bool):
        raise WireError(f"{where}: expected a whole number")
    if not lo <= x <= hi:
        raise WireError(f"{where}: {x} is out of range [{lo}, {hi}]")
    return x


def opt_integer(x: Any, where: str, lo: int = 0, hi: int = 2**62) -> int | None:
    """A whole number as `integer` checks it, or None for null."""
    return None if x is None else integer(x, where, lo, hi)


def number(x: Any, where: str) -> float:
    """A finite number (int or float, not a boolean), as a float."""
    if not isinstance(x, (int, float)) or isinstance(x, bool):
        raise WireError(f"{where}: expected a number")
    try:
        value = float(x)
    except OverflowError:  # an integer of hundreds of digits
        raise WireError(f"{where}: out of range") from None
    if not math.isfinite(value):
        raise WireError(f"{where}: not a finite number")
    return value


def opt_number(x: Any, where: str) -> float | None:
    """A number as `number` checks it, or None for null."""
    return None if x is None else number(x, where)


def choice(x: Any, where: str, allowed: tuple[str, ...]) -> str:
    """One of the strings in `allowed`."""
    value = string(x, where, 64)
    if value not in allowed:
        raise WireError(f"{where}: {value!r} is not one of {', '.join(allowed)}")
    return value


def _pairs(x: Any, where: str, max_items: int, second: Callable[[Any, str], T]) -> tuple[tuple[str, T], ...]:
    out = []
    for i, pair in enumerate(lst(x, where, max_items)):
        pair = lst(pair, f"{where}[{i}]", 2)
        if len(pair) != 2:
            raise WireError(f"{where}[{i}]: expected a pair")
        out.append((string(pair[0], f"{where}[{i}]"), second(pair[1], f"{where}[{i}]")))
    return tuple(out)


def str_pairs(x: Any, where: str, max_items: int = 10_000) -> tuple[tuple[str, str], ...]:
    """A list of [string, string] pairs, at most `max_items`, as a tuple of tuples."""
    return _pairs(x, where, max_items, string)


def num_pairs(x: Any, where: str, max_items: int = 10_000) -> tuple[tuple[str, float], ...]:
    """A list of [string, number] pairs, at most `max_items`, as a tuple of tuples."""
    return _pairs(x, where, max_items, number)


def strings(x: Any, where: str, max_items: int = MAX_ITEMS) -> tuple[str, ...]:
    """A list of at most `max_items` strings, as a tuple."""
    return tuple(string(s, f"{where}[{i}]") for i, s in enumerate(lst(x, where, max_items)))


def array(x: Any, where: str, dtype: str, shape: tuple[int | None, ...]) -> npt.NDArray[Any]:
    """A read-only array of `dtype` whose shape matches `shape` (None: any length, bounded)."""
    d = obj(x, where)
    if d.get("dt") != dtype:
        raise WireError(f"{where}: expected dtype {dtype}")
    dims = lst(d.get("shape"), f"{where}.shape", 4)
    if len(dims) != len(shape):
        raise WireError(f"{where}: expected {len(shape)} dimensions")
    got = tuple(integer(n, f"{where}.shape", 0, MAX_CELLS) for n in dims)
    for want, have in zip(shape, got, strict=True):
        if want is not None and want != have:
            raise WireError(f"{where}: length {have} where {want} was expected")
    cells = math.prod(got)
    if cells > MAX_CELLS:
        raise WireError(f"{where}: too large")
    text = string(d.get("b64"), f"{where}.b64", (cells * DTYPES[dtype] + 2) // 3 * 4)
    try:
        raw = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise WireError(f"{where}: bad base64") from None
    if len(raw) != cells * DTYPES[dtype]:
        raise WireError(f"{where}: {len(raw)} bytes for {cells} values")
    arr = np.frombuffer(raw, dtype=np.dtype(dtype).newbyteorder("<")).reshape(got)
    native = arr.astype(np.float64 if dtype.startswith("f") else np.int64)
    native.setflags(write=False)
    return native
