"""--shapes parsing (trtexec's syntax) and checks against an engine's profile."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from trtui.common.errors import UserError
from trtui.engine_info.shapes import InputProfile, format_shape, parse_shapes, resolve_shapes, shape_within


def test_parse_several() -> None:
    assert parse_shapes("input:1x3x224x224,mask:1x10") == (("input", (1, 3, 224, 224)), ("mask", (1, 10)))


def test_names_with_colons() -> None:
    assert parse_shapes("input:0:1x3") == (("input:0", (1, 3)),)
    assert parse_shapes("'in:0':2x3,'a,b':4") == (("in:0", (2, 3)), ("a,b", (4,)))


def test_uppercase_x_and_spaces() -> None:
    assert parse_shapes(" input : 1X3 ") == (("input", (1, 3)),)


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("", "empty"),
        ("input", "NAME:DIMS"),
        ("input:1x3,,b:2", "empty entry"),
        (":1x3", "name is missing"),
        ("input:1x-3", "whole numbers"),
        ("input:1xx3", "whole numbers"),
        ("input:abc", "whole numbers"),
        ("input:1x3,input:1x4", "given twice"),
        ("'input:1x3", "quote"),
        ("input:1x0x3", "a dimension is 0"),
    ],
)
def test_bad_strings(text: str, fragment: str) -> None:
    with pytest.raises(UserError) as info:
        parse_shapes(text)
    assert fragment in str(info.value)
    assert "\n" not in str(info.value)


@given(st.lists(st.tuples(st.from_regex(r"[A-Za-z_][A-Za-z0-9_.]{0,8}", fullmatch=True),
                          st.lists(st.integers(1, 4096), min_size=1, max_size=5)),
                min_size=1, max_size=4, unique_by=lambda t: t[0]))
def test_round_trip(items: list[tuple[str, list[int]]]) -> None:
    text = ",".join(f"{n}:{format_shape(d)}" for n, d in items)
    assert parse_shapes(text) == tuple((n, tuple(d)) for n, d in items)


DYN = InputProfile("input", (-1, 3, -1, -1), (1, 3, 224, 224), (4, 3, 320, 320), (8, 3, 640, 640))
STATIC = InputProfile("mask", (1, 10))


def test_default_is_opt_shape_and_static_shape() -> None:
    assert resolve_shapes([DYN, STATIC], ()) == (("input", (4, 3, 320, 320)), ("mask", (1, 10)))


def test_requested_inside_profile() -> None:
    assert resolve_shapes([DYN], (("input", (8, 3, 224, 640)),)) == (("input", (8, 3, 224, 640)),)


@pytest.mark.parametrize(
    ("req", "fragment"),
    [
        ((("input", (16, 3, 320, 320)),), "outside the engine's profile"),
        ((("input", (1, 3, 100, 320)),), "min 1x3x224x224, max 8x3x640x640"),
        ((("input", (1, 4, 320, 320)),), "dimension 1 is fixed at 3"),
        ((("input", (1, 3, 320)),), "3 dimensions"),
        ((("other", (1,)),), "'input', 'mask'"),
        ((("mask", (2, 10)),), "fixed at 1"),
    ],
)
def test_bad_requests(req: tuple[tuple[str, tuple[int, ...]], ...], fragment: str) -> None:
    with pytest.raises(UserError) as info:
        resolve_shapes([DYN, STATIC], req)
    assert fragment in str(info.value)


def test_dynamic_without_profile_needs_shapes() -> None:
    with pytest.raises(UserError, match="--shapes x:DIMS"):
        resolve_shapes([InputProfile("x", (-1, 4))], ())


def test_shape_within_checks_rank_and_every_dimension() -> None:
    lo, hi = (1, 3, 224, 224), (32, 3, 224, 224)
    assert shape_within((1, 3, 224, 224), lo, hi) and shape_within((32, 3, 224, 224), lo, hi)
    assert not shape_within((33, 3, 224, 224), lo, hi)
    assert not shape_within((8, 3, 225, 224), lo, hi)
    assert not shape_within((8, 3, 224), lo, hi)  # another rank is never within
