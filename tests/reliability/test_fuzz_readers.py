"""Hypothesis fuzzing of the file and text readers that the recording tests do not cover (those
fuzz the trtexec JSON readers in tests/recording/test_fuzz.py): the engine file header check, the
tegrastats line parser, the sysfs / procfs readers, and the `--shapes` and size parsers.

Property: whatever the input, a reader returns a value of its documented kind or raises
`UserError` with a one-line message; nothing else escapes.
"""

from __future__ import annotations

import importlib
import string
from pathlib import Path
from types import ModuleType

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from trtui.common.errors import UserError

FUZZ = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


def module(name: str) -> ModuleType:
    return importlib.import_module(name)


def one_line(err: UserError) -> None:
    text = str(err)
    assert text and "\n" not in text


# -- engine files -------------------------------------------------------------------------------------

PREFIXES = [
    b"",
    b"ftrt",
    b"ptrt",
    b"\x0c\x00\x00\x00" + b'{"batch": 1}',  # Ultralytics: length + JSON metadata, then the plan
    b"\x0c\x00\x00\x00" + b'{"batch": 1}' + b"ftrt",
    b"\x08\x07\x12\x07pytorch",  # ONNX-like
    b"PK\x03\x04",
    b"\x80\x04\x95",
    b"\x7fELF",
    b"{",
    b"\xef\xbb\xbf[",
]


@FUZZ
@given(prefix=st.sampled_from(PREFIXES), body=st.binary(max_size=300))
def test_engine_header_check(tmp_path: Path, prefix: bytes, body: bytes) -> None:
    engine_file = module("trtui.sources.engine_file")
    path = tmp_path / "fuzz.engine"
    path.write_bytes(prefix + body)
    try:
        engine = engine_file.inspect_engine_file(path)
    except UserError as err:
        one_line(err)
        return
    data = path.read_bytes()
    assert engine.size == len(data)
    assert data[engine.plan_offset : engine.plan_offset + 4] in engine_file.PLAN_MAGICS


# -- tegrastats -----------------------------------------------------------------------------------------

_num = st.integers(min_value=0, max_value=10**12).map(str)
_fields = st.lists(
    st.one_of(
        st.builds(lambda a, b: f"RAM {a}/{b}MB", _num, _num),
        st.builds(lambda a, b: f"RAM {a}/{b}kB (lfb 1x4MB)", _num, _num),
        st.builds(lambda p, f: f"EMC_FREQ {p}%@{f}", _num, _num),
        st.builds(lambda p, f, g: f"GR3D_FREQ {p}%@[{f},{g}]", _num, _num, _num),
        st.builds(lambda f: f"GR3D_FREQ @[{f}]", _num),
        st.builds(lambda n, t: f"{n}@{t}.{t}C", st.sampled_from(["cpu", "gpu", "tj", "soc0"]), _num),
        st.builds(
            lambda n, a, b: f"{n} {a}mW/{b}mW", st.sampled_from(["VDD_GPU_SOC", "VIN", "RAM"]), _num, _num
        ),
        st.text(alphabet=string.printable, max_size=20),
    ),
    max_size=8,
)


@FUZZ
@given(fields=_fields)
def test_tegrastats_line_parser_on_near_real_lines(fields: list[str]) -> None:
    tegrastats = module("trtui.telemetry.tegrastats")
    reading = tegrastats.parse_line(" ".join(fields))
    assert reading is None or isinstance(reading, tegrastats.TegrastatsReading)


@FUZZ
@given(line=st.text(max_size=300))
def test_tegrastats_line_parser_on_any_text(line: str) -> None:
    tegrastats = module("trtui.telemetry.tegrastats")
    reading = tegrastats.parse_line(line)
    assert reading is None or isinstance(reading, tegrastats.TegrastatsReading)


# -- sysfs / procfs -------------------------------------------------------------------------------------


@FUZZ
@given(data=st.one_of(st.binary(max_size=100), st.text(max_size=60).map(str.encode)))
def test_sysfs_value_readers(tmp_path: Path, data: bytes) -> None:
    fsread = module("trtui.telemetry.fsread")
    path = tmp_path / "value"
    path.write_bytes(data)
    as_int = fsread.read_int(path)
    as_float = fsread.read_float(path)
    assert as_int is None or isinstance(as_int, int)
    assert as_float is None or (isinstance(as_float, float) and as_float == as_float)
    text = fsread.read_text(path)
    assert text is None or isinstance(text, str)


@FUZZ
@given(
    text=st.one_of(
        st.text(max_size=300),
        st.lists(
            st.builds(
                lambda k, v, u: f"{k}: {v} {u}",
                st.text(string.ascii_letters, max_size=12),
                _num,
                st.sampled_from(["kB", "", "MB", "x"]),
            ),
            max_size=10,
        ).map("\n".join),
    )
)
def test_meminfo_parser(text: str) -> None:
    fsread = module("trtui.telemetry.fsread")
    parsed = fsread.parse_meminfo(text)
    assert isinstance(parsed, dict)
    assert all(isinstance(k, str) and isinstance(v, int) for k, v in parsed.items())


# -- option strings -------------------------------------------------------------------------------------

_shape_like = st.lists(
    st.builds(
        lambda name, dims, sep: f"{name}{sep}{'x'.join(dims)}",
        st.one_of(st.text(string.ascii_letters + "._:/'", max_size=8), st.just("'in:0'")),
        st.lists(st.one_of(_num, st.sampled_from(["", "-1", "a", "1.5", " 3", "0"])), max_size=5),
        st.sampled_from([":", "=", "", "::"]),
    ),
    max_size=4,
).map(",".join)


@FUZZ
@given(text=st.one_of(_shape_like, st.text(max_size=60)))
def test_shapes_parser(text: str) -> None:
    shapes = module("trtui.engine_info.shapes")
    try:
        parsed = shapes.parse_shapes(text)
    except UserError as err:
        one_line(err)
        return
    assert parsed
    for name, dims in parsed:
        assert isinstance(name, str) and name
        assert dims and all(isinstance(d, int) and d >= 0 for d in dims)


_size_like = st.builds(
    lambda number, exp, unit, space: f"{space}{number}{exp}{space}{unit}",
    st.one_of(_num, st.builds(lambda a, b: f"{a}.{b}", _num, _num), st.just(".5")),
    st.one_of(st.just(""), st.integers(-500, 500).map(lambda e: f"e{e}")),
    st.sampled_from(["", "K", "M", "G", "T", "KiB", "MB", "gb", "B", "Q", "iB"]),
    st.sampled_from(["", " "]),
)


@FUZZ
@given(text=st.one_of(_size_like, st.text(max_size=30)))
def test_size_parser(text: str) -> None:
    sizes = module("trtui.tune.sizes")
    try:
        value = sizes.parse_size(text, "--budget")
    except UserError as err:
        one_line(err)
        return
    assert isinstance(value, int) and 0 <= value <= 64 * sizes.TIB
