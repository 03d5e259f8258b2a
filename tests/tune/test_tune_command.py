"""`trtui tune` end to end: the demo headless, bad input as one-line errors, the missing builder, and
real child builds through `python -m trtui.gpu.build.builder` against a fake `tensorrt` module."""

from __future__ import annotations

import importlib.util
import json
import os
import tempfile
from pathlib import Path

import pytest

from trtui.cli import main
from trtui.telemetry.sample import TelemetrySample
from trtui.tune.budget import MIN_MARGIN, free_from_sample, from_free
from trtui.tune.sizes import GIB, MIB

FAKE_TRT = str(Path(__file__).with_name("fake_trt"))
FAKE_CUDA = str(Path(__file__).with_name("fake_cuda"))


def one_line_error(capsys: pytest.CaptureFixture[str]) -> str:
    err = capsys.readouterr().err
    assert err.startswith("trtui: error: ") and err.count("\n") == 1, err
    assert "Traceback" not in err
    return err


def test_demo_headless_prints_the_plan_first_and_writes_every_attempt(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out_json = tmp_path / "tune.json"
    assert main(["tune", "demo", "--headless", "--json", str(out_json)]) == 0
    out = capsys.readouterr().out
    lines = out.splitlines()
    assert "SIMULATED" in lines[0]
    assert lines[1].startswith("plan: ") and "at most " in lines[1]
    promised = int(lines[1].split("at most ")[1].split()[0])
    doc = json.loads(out_json.read_text())
    assert doc["simulated"] is True and doc["source"] == "demo"
    attempts = doc["attempts"]
    assert 0 < len(attempts) <= promised == doc["plan"]["max_builds"]
    assert [a["index"] for a in attempts] == list(range(1, len(attempts) + 1))
    outcomes = {a["outcome"] for a in attempts}
    assert {"ok", "crashed", "timeout", "no_implementation", "out_of_memory"} <= outcomes
    chosen = doc["chosen"]
    assert chosen is not None and chosen["fits"] and chosen["within_tolerance"]
    assert chosen["flags"]["trtexec"] == f"--memPoolSize=workspace:{chosen['limit']}"
    assert f"chosen: workspace {chosen['limit']}" in out
    for a in attempts:  # every attempt is on a progress line and in the table
        assert f"[{a['index']}/{promised}]" in out
    assert not list(tmp_path.glob("*.partial"))


def test_max_builds_is_a_hard_limit(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out_json = tmp_path / "t.json"
    main(["tune", "demo", "--headless", "--max-builds", "3", "--json", str(out_json)])
    doc = json.loads(out_json.read_text())
    assert len(doc["attempts"]) == 3 and doc["stopped"] == "max_builds"
    assert "at most 3 builds" in capsys.readouterr().out


@pytest.mark.parametrize("pool", ["tactic_dram", "tacticSharedMem"])
def test_demo_other_pools(pool: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out_json = tmp_path / "t.json"
    assert main(["tune", "demo", "--headless", "--pool", pool, "--json", str(out_json)]) == 0
    doc = json.loads(out_json.read_text())
    assert doc["plan"]["pool"] in ("tactic_dram", "tactic_shared_memory")
    if doc["plan"]["pool"] == "tactic_dram":
        assert doc["chosen"] is None or doc["chosen"]["flags"]["trtexec"] is None  # trtexec has no such pool


def test_demo_refuses_save(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    assert main(["tune", "demo", "--headless", "--save", str(tmp_path / "best.engine")]) == 2
    assert "simulated build produces no engine" in one_line_error(capsys)
    assert not (tmp_path / "best.engine").exists()


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["--pool", "foo"], "unknown pool 'foo'"),
        (["--budget", "12Q"], "--budget '12Q' is not a size"),
        (["--budget", "100K"], "search range is empty"),
        (["--tolerance", "-1"], "--tolerance"),
        (["--timeout", "0"], "--timeout"),
        (["--max-builds", "0"], "--max-builds"),
        (["--range", "4G:1M"], "larger than the start"),
        (["--json", "/nonexistent-dir/x.json"], "does not exist"),
    ],
)
def test_bad_options_are_one_line_errors(
    args: list[str], words: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["tune", "demo", "--headless", *args]) == 2
    assert words in one_line_error(capsys)


def test_bad_model_files(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    cases = {
        tmp_path / "missing.onnx": "no such file or folder",
        tmp_path: "is a folder",
        tmp_path / "model.engine": "is a TensorRT engine, not an ONNX model",
        tmp_path / "renamed.onnx": "is a TensorRT engine, not an ONNX model",  # by content, not name
        tmp_path / "garbage.engine": "is not an ONNX model (it is a file that starts with bytes ff 00 13 37)",
        tmp_path / "model.pt": "is not an ONNX model (it is a zip archive",
        tmp_path / "empty.onnx": "is empty",
        tmp_path / "text.onnx": "is not an ONNX model (it is a text file)",
    }
    (tmp_path / "model.engine").write_bytes(b"ftrt" + bytes(64))
    (tmp_path / "renamed.onnx").write_bytes(b"ftrt" + bytes(64))
    (tmp_path / "garbage.engine").write_bytes(b"\xff\x00\x13\x37" + bytes(64))
    (tmp_path / "model.pt").write_bytes(b"PK\x03\x04" + bytes(64))
    (tmp_path / "empty.onnx").write_bytes(b"")
    (tmp_path / "text.onnx").write_text("not a model")
    for path, words in cases.items():
        assert main(["tune", str(path), "--headless"]) == 2
        assert words in one_line_error(capsys)


@pytest.mark.skipif(importlib.util.find_spec("tensorrt") is not None, reason="a tensorrt module is installed")
def test_without_the_full_tensorrt_a_real_model_exits_2_and_points_to_the_demo(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    model = tmp_path / "m.onnx"
    model.write_bytes(b"\x08\x07")
    assert main(["tune", str(model), "--headless", "--budget", "1G"]) == 2
    err = one_line_error(capsys)
    assert "needs the TensorRT builder: the full 'tensorrt' package is not installed" in err
    assert "'trtui tune demo' runs without it" in err


def test_budget_from_telemetry_samples() -> None:
    s = TelemetrySample(t=0.0, mem_free_mib=8192.0, mem_total_mib=16384.0,
                        sources=(("mem_free_mib", "nvml"),))
    assert free_from_sample(s) == (8 * GIB, "nvml")
    s = TelemetrySample(t=0.0, mem_used_mib=1024.0, mem_total_mib=4096.0, unified_memory=True)
    assert free_from_sample(s) == (3 * GIB, "telemetry, unified memory")
    assert free_from_sample(TelemetrySample(t=0.0)) is None
    b = from_free(8 * GIB, "nvml")
    assert b.bytes == 8 * GIB - int(0.8 * GIB) and "nvml" in b.source
    assert from_free(1 * GIB, "x").bytes == GIB - MIN_MARGIN


# --- real child builds against the fake tensorrt module -------------------------------------------


def fake_model(path: Path, **fields: object) -> Path:
    model = {
        "inputs": [{"name": "x", "shape": [-1, 3, 8, 8]}],
        "essential": 20 * MIB,
        "tactics": [30 * MIB, 100 * MIB, 700 * MIB],
        "weights": 5 * MIB,
        "activations": 40 * MIB,
        **fields,
    }
    path.write_bytes(b"\x08" + json.dumps(model).encode())
    return path


@pytest.fixture
def fake_trt(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    calls = tmp_path / "calls.jsonl"
    monkeypatch.setenv("PYTHONPATH", FAKE_TRT)
    monkeypatch.setenv("FAKE_TRT_CALLS", str(calls))
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path / "tmp"))
    (tmp_path / "tmp").mkdir()
    return calls


def read_calls(path: Path) -> list[dict[str, object]]:
    return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []


def test_real_builds_through_the_child_save_the_chosen_engine(
    fake_trt: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    model = fake_model(tmp_path / "m.onnx")
    out_json, best, cache = tmp_path / "t.json", tmp_path / "best.engine", tmp_path / "timing.cache"
    rc = main(["tune", str(model), "--headless", "--budget", "2G", "--shapes", "x:1x3x8x8",
               "--max-builds", "6", "--json", str(out_json), "--save", str(best),
               "--timing-cache", str(cache)])
    out = capsys.readouterr().out
    assert rc == 0, out
    doc = json.loads(out_json.read_text())
    attempts = doc["attempts"]
    assert len(attempts) == 6 and doc["simulated"] is False
    assert doc["builder"]["tensorrt"] == "10.13.0.35"
    chosen = doc["chosen"]
    # the saved engine is the chosen attempt's, built at the chosen limit
    plan = json.loads(best.read_bytes()[len(b"FAKEPLAN"):])
    assert plan["limit"] == chosen["limit_bytes"]
    assert chosen["limit_bytes"] >= 20 * MIB  # below "essential" nothing builds
    by_limit = {a["limit_bytes"]: a for a in attempts}
    assert all(a["outcome"] == "no_implementation" for lim, a in by_limit.items() if lim < 20 * MIB)
    assert all(a["outcome"] == "ok" for lim, a in by_limit.items() if lim >= 20 * MIB)
    ok = by_limit[chosen["limit_bytes"]]
    assert ok["device_memory_bytes"] == 40 * MIB + max((t for t in (30 * MIB, 100 * MIB, 700 * MIB)
                                                         if t <= chosen["limit_bytes"]), default=0)
    assert ok["weights_bytes"] == 5 * MIB and ok["latency_ms"] is None  # no pycuda here: not measured
    assert "latency not measured: pycuda is not installed" in ok["message"]
    calls = read_calls(fake_trt)
    limits = [c["size"] for c in calls if c["call"] == "set_memory_pool_limit"]
    assert limits == [a["limit_bytes"] for a in attempts]
    assert {c["pool"] for c in calls if c["call"] == "set_memory_pool_limit"} == {"WORKSPACE"}
    assert {c["flags"] for c in calls if c["call"] == "create_network"} == {0}
    profiles = [c["shapes"] for c in calls if c["call"] == "add_optimization_profile"]
    assert profiles == [{"x": [[1, 3, 8, 8]] * 3}] * 6  # min = opt = max = the --shapes shape
    # one timing cache, shared: each build loaded what the previous one saved
    sizes = [c["size"] for c in calls if c["call"] == "create_timing_cache"]
    assert sizes == list(range(6))
    assert cache.read_bytes() == b"+" * 6
    assert list((tmp_path / "tmp").iterdir()) == []  # the work directory with the attempts' engines is gone


@pytest.mark.parametrize(
    ("model_fields", "args", "words"),
    [
        ({}, [], "input 'x' has a dynamic shape (-1x3x8x8): pass --shapes x:1x3x8x8"),
        ({"parse_error": "In node 3 (importConv): UNSUPPORTED_NODE"}, ["--shapes", "x:1x3x8x8"],
         "the ONNX model does not parse: In node 3 (importConv): UNSUPPORTED_NODE"),
        ({}, ["--shapes", "y:1x3x8x8"], "--shapes names input 'y'"),
        ({}, ["--shapes", "x:1x4x8x8"], "does not match the model's -1x3x8x8"),
    ],
)
def test_model_errors_stop_after_one_build_with_one_line(
    fake_trt: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str],
    model_fields: dict[str, object], args: list[str], words: str,
) -> None:
    model = fake_model(tmp_path / "m.onnx", **model_fields)
    out_json = tmp_path / "t.json"
    assert main(["tune", str(model), "--headless", "--budget", "1G", "--json", str(out_json), *args]) == 2
    assert words in one_line_error(capsys)
    doc = json.loads(out_json.read_text())
    assert [a["outcome"] for a in doc["attempts"]] == ["fatal"]


def test_tensorrt_11_has_no_precision_flags(
    fake_trt: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("FAKE_TRT_VERSION", "11.4.0.106")
    model = fake_model(tmp_path / "m.onnx", inputs=[{"name": "x", "shape": [1, 3, 8, 8]}])
    assert main(["tune", str(model), "--headless", "--budget", "1G", "--fp16"]) == 2
    assert "has no precision flags" in one_line_error(capsys)


def test_tensorrt_10_precision_flag_and_the_tactic_dram_pool(
    fake_trt: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    model = fake_model(tmp_path / "m.onnx", inputs=[{"name": "x", "shape": [1, 3, 8, 8]}])
    assert main(["tune", str(model), "--headless", "--budget", "1G", "--fp16", "--pool", "tacticDRAM",
                 "--max-builds", "2"]) == 0
    calls = read_calls(fake_trt)
    assert [c["flag"] for c in calls if c["call"] == "set_flag"] == ["FP16", "FP16"]
    assert {c["pool"] for c in calls if c["call"] == "set_memory_pool_limit"} == {"TACTIC_DRAM"}
    assert "polygraphy: --pool-limit tactic_dram:" in capsys.readouterr().out


def test_latency_io_and_budget_measured_in_the_child_with_a_fake_gpu(
    fake_trt: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """The adapter's measuring path -- the live run's worker, engine adapter, buffers, CUDA graphs and
    inference loop -- against a fake pycuda and cuda-python (tests/tune/fake_cuda, over rt_fakes' virtual
    GPU clock): the fake engine runs 20% slower for every tactic the limit skipped."""
    monkeypatch.setenv("PYTHONPATH", f"{FAKE_TRT}{os.pathsep}{FAKE_CUDA}")
    monkeypatch.setenv("TRTUI_BUILD_MEASURE_S", "0.1")  # 0.1 s of timed inferences per build (1 s by default)
    monkeypatch.setattr("trtui.commands.tune.read_free_from_telemetry", lambda open_telemetry: None)
    model = fake_model(tmp_path / "m.onnx")
    out_json = tmp_path / "t.json"
    assert main(["tune", str(model), "--headless", "--shapes", "x:2x3x8x8", "--json", str(out_json)]) == 0
    doc = json.loads(out_json.read_text())
    assert doc["plan"]["budget_source"].endswith("from cuda")  # the probe's cudaMemGetInfo (6 GiB free)
    assert doc["plan"]["budget_bytes"] == 6 * GIB - int(0.6 * GIB)
    tactics = (30 * MIB, 100 * MIB, 700 * MIB)
    built = [a for a in doc["attempts"] if a["outcome"] == "ok"]
    assert built
    for a in built:
        skipped = sum(t > a["limit_bytes"] for t in tactics)
        assert a["latency_ms"] == round(1.2 ** skipped, 4)
        assert a["io_bytes"] == 2 * 3 * 8 * 8 * 4 + 2 * 10 * 4  # input at --shapes, output resolved
        assert "CUDA graphs" not in (a["message"] or "") and "not measured" not in (a["message"] or "")
    chosen = doc["chosen"]["limit_bytes"]
    assert 700 * MIB <= chosen <= 700 * MIB * 1.1 + MIB  # every tactic matters (20% each > 3%)
    calls = read_calls(fake_trt)
    assert {tuple(c["shape"]) for c in calls if c["call"] == "set_input_shape"} == {(2, 3, 8, 8)}


def test_real_builds_with_tensorrt_8_5_take_trtexec_tactic_sources(
    fake_trt: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # TensorRT 8.5 (the fake has the real 8.5.3 names): EXPLICIT_BATCH networks, no progress monitor,
    # INT8 for Q/DQ models, and the tactic sources the CUDA 11 library stubs make necessary.
    monkeypatch.setenv("FAKE_TRT_VERSION", "8.5.3.1")
    model = fake_model(tmp_path / "m.onnx")
    out_json = tmp_path / "t.json"
    rc = main(["tune", str(model), "--headless", "--budget", "2G", "--shapes", "x:1x3x8x8",
               "--max-builds", "3", "--json", str(out_json), "--int8", "--fp16",
               "--tactic-sources=-CUBLAS,-cublas_lt,-CUDNN"])
    out = capsys.readouterr().out
    assert rc == 0, out
    doc = json.loads(out_json.read_text())
    assert doc["builder"]["tensorrt"] == "8.5.3.1" and len(doc["attempts"]) == 3
    calls = read_calls(fake_trt)
    assert {c["flags"] for c in calls if c["call"] == "create_network"} == {1}  # 1 << EXPLICIT_BATCH
    assert {c["flag"] for c in calls if c["call"] == "set_flag"} == {"INT8", "FP16"}
    # the default (all five sources) less cuBLAS, cuBLASLt and cuDNN: edge-mask and JIT convolutions
    assert {c["mask"] for c in calls if c["call"] == "set_tactic_sources"} == {0b11000}
    assert {c["verbosity"] for c in calls if c["call"] == "build"} == {"DETAILED"}


def test_a_pool_tensorrt_8_5_lacks_is_one_line(
    fake_trt: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("FAKE_TRT_VERSION", "8.5.3.1")
    model = fake_model(tmp_path / "m.onnx")
    rc = main(["tune", str(model), "--headless", "--budget", "2G", "--shapes", "x:1x3x8x8",
               "--pool", "tactic_dram", "--max-builds", "2"])
    err = capsys.readouterr().err
    assert rc == 2
    assert "the tactic_dram pool is not available with TensorRT 8.5.3.1 (it has: workspace)" in err
    assert "Traceback" not in err


@pytest.mark.parametrize("bad", ["CUDNN", "-", "+CUDNN,,-CUBLAS", "-CU DNN"])
def test_tactic_sources_syntax_errors_are_one_line(bad: str, capsys: pytest.CaptureFixture[str],
                                                   tmp_path: Path) -> None:
    model = fake_model(tmp_path / "m.onnx")
    rc = main(["tune", str(model), "--headless", "--budget", "2G", f"--tactic-sources={bad}"])
    err = capsys.readouterr().err
    assert rc == 2 and "--tactic-sources" in err and len(err.strip().splitlines()) == 1, err


def test_an_unknown_tactic_source_names_the_known_ones(
    fake_trt: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("FAKE_TRT_VERSION", "8.5.3.1")
    model = fake_model(tmp_path / "m.onnx")
    rc = main(["tune", str(model), "--headless", "--budget", "2G", "--shapes", "x:1x3x8x8",
               "--max-builds", "2", "--tactic-sources=-CUBLAS,+FLASH"])
    err = capsys.readouterr().err
    assert rc == 2
    assert "this TensorRT has no tactic source FLASH (it has CUBLAS, CUBLAS_LT, CUDNN" in err
