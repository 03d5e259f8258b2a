"""Sizes in trtexec's syntax, pool names in every common spelling, the search range."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from trtui.common.errors import UserError
from trtui.tune.sizes import (
    GIB,
    KIB,
    MIB,
    TACTIC_DRAM,
    TACTIC_SHARED_MEMORY,
    WORKSPACE,
    format_size,
    parse_pool,
    parse_range,
    parse_size,
    round_up,
    trtexec_size,
)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("16M", 16 * MIB),
        ("1.5G", 1536 * MIB),
        ("512K", 512 * KIB),
        ("1024", 1024 * MIB),  # a plain number is MiB, as in trtexec
        ("0.25M", 256 * KIB),
        ("2g", 2 * GIB),
        ("1T", 1024 * GIB),
        ("100B", 100),
        ("64KiB", 64 * KIB),
        ("8MB", 8 * MIB),  # base 2 whatever the spelling
        (" 3 G ", 3 * GIB),
        (".5G", 512 * MIB),
        ("1e3", 1000 * MIB),
    ],
)
def test_parse_size_reads_trtexec_syntax(text: str, expected: int) -> None:
    assert parse_size(text) == expected


@pytest.mark.parametrize("text", ["", "M", "12Q", "-1M", "1.2.3G", "1 2M", "G16", "nan", "inf"])
def test_bad_sizes_are_one_line_user_errors(text: str) -> None:
    with pytest.raises(UserError) as err:
        parse_size(text, "--budget")
    msg = str(err.value)
    assert "\n" not in msg and "--budget" in msg and "e.g. 512K, 16M, 1.5G" in msg


def test_absurd_sizes_are_refused() -> None:
    with pytest.raises(UserError, match="too large"):
        parse_size("100000T")


@given(st.integers(min_value=1, max_value=1 << 44))
def test_trtexec_size_round_trips(n: int) -> None:
    assert parse_size(trtexec_size(n)) == n


@pytest.mark.parametrize(
    ("n", "text"),
    [(512, "512 B"), (4 * KIB, "4.00 KiB"), (384 * MIB, "384 MiB"), (1536 * MIB, "1.50 GiB"), (None, "?")],
)
def test_format_size(n: int | None, text: str) -> None:
    assert format_size(n) == text


@pytest.mark.parametrize(
    ("text", "pool"),
    [
        ("workspace", WORKSPACE),
        ("WORKSPACE", WORKSPACE),
        ("kWORKSPACE", WORKSPACE),
        ("tactic_dram", TACTIC_DRAM),
        ("tacticDRAM", TACTIC_DRAM),
        ("tactic-dram", TACTIC_DRAM),
        ("kTACTIC_DRAM", TACTIC_DRAM),
        ("MemoryPoolType.TACTIC_DRAM", TACTIC_DRAM),
        ("tacticSharedMem", TACTIC_SHARED_MEMORY),  # trtexec
        ("tactic_shared_memory", TACTIC_SHARED_MEMORY),  # polygraphy
        ("TACTIC_SHARED_MEMORY", TACTIC_SHARED_MEMORY),
    ],
)
def test_pools_in_every_spelling(text: str, pool: object) -> None:
    assert parse_pool(text) is pool


def test_unknown_and_dla_pools_are_explained() -> None:
    with pytest.raises(UserError, match="unknown pool 'gpu'"):
        parse_pool("gpu")
    with pytest.raises(UserError, match="DLA pools are not tuned"):
        parse_pool("dlaSRAM")


def test_pool_facts_match_trtexec_and_polygraphy() -> None:
    assert TACTIC_DRAM.trtexec is None  # trtexec's --memPoolSize has no tactic DRAM pool
    assert TACTIC_SHARED_MEMORY.trtexec == "tacticSharedMem"
    assert {p.trt_enum for p in (WORKSPACE, TACTIC_DRAM, TACTIC_SHARED_MEMORY)} == {
        "WORKSPACE", "TACTIC_DRAM", "TACTIC_SHARED_MEMORY"}


def test_range() -> None:
    assert parse_range("1M:4G") == (MIB, 4 * GIB)
    for bad in ("4G", "4G:1M", "0:1G", ":1G", "1M:1M"):
        with pytest.raises(UserError):
            parse_range(bad)


def test_round_up() -> None:
    assert round_up(1.5 * MIB, MIB) == 2 * MIB
    assert round_up(2 * MIB, MIB) == 2 * MIB
    assert round_up(10, KIB) == KIB
