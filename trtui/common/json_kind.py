"""Small JSON helpers: how error messages name the type of a JSON value ("a string", "an object"...),
and numbers made JSON-safe."""

from __future__ import annotations

import math


def json_number(x: float | None) -> float | None:
    """A JSON-safe number: None for None, NaN or infinity (JSON has neither)."""
    if x is None:
        return None
    x = float(x)
    return x if math.isfinite(x) else None


def json_kind(value: object) -> str:
    """How an error message names the type of a parsed JSON value: "null", "a boolean", "a number", "a
    string", "a list", "an object" (else the Python type's name)."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "an object"
    return type(value).__name__
