"""The unchanged CLI on engines built and run by a real TensorRT (the PyPI 8.5.3 wheel on the GPU
machine, through ../shared/device/stage-trt85.sh; any full TensorRT with a builder works).

Engines are built once per session from `sample_engines/make_onnx.py`'s ResNet-18 and ResNet-50 with
`sample_engines/build_engine.py` (the real ONNX parser and builder): FP32, FP16, and INT8 from an
explicitly quantized (Q/DQ) model, plus a dynamic-batch ResNet-18. `TRTUI_REAL_TACTICS` gives the
tactic sources (default `-CUBLAS,-CUBLAS_LT,-CUDNN`: the staged 8.5 has stub CUDA 11 libraries that
answer every call with an error). `TRTUI_REAL_ENGINES` keeps the engines (and the timing cache)
between runs; `TRTUI_REAL_OUT` receives what the tests record (summaries, inspector JSON, an export);
`TRTUI_REAL_ONLY=r18_fp16,r50_int8` builds only those engines (tests that need others skip).

Marked `gpu` and `real_trt`; skipped without a full `tensorrt` module, pycuda or a CUDA device.
Run with: pytest -m real_trt tests/gpu/test_real_trt.py -s
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
import uuid
from pathlib import Path
from typing import Any

import pytest

pytestmark = [pytest.mark.gpu, pytest.mark.real_trt]

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
TACTICS = os.environ.get("TRTUI_REAL_TACTICS", "-CUBLAS,-CUBLAS_LT,-CUDNN")
WARNINGS = ("out-of-thread", "cuda warning", "cudaerror", "could not be cleaned up", "traceback")

# name -> (model, qdq, dynamic, precision flags)
ENGINES: dict[str, tuple[str, str, bool, tuple[str, ...]]] = {
    "r18_fp16": ("resnet18", "none", False, ("--fp16",)),
    "r18_int8": ("resnet18", "residual", False, ("--int8", "--fp16")),
    "r18_dyn_fp16": ("resnet18", "none", True, ("--fp16",)),
    "r50_fp32": ("resnet50", "none", False, ()),
    "r50_fp16": ("resnet50", "none", False, ("--fp16",)),
    "r50_int8": ("resnet50", "residual", False, ("--int8", "--fp16")),
}
LADDER = ("r50_fp32", "r50_fp16", "r50_int8")


def _real_tensorrt() -> Any:
    try:
        import tensorrt as trt
    except Exception as err:  # not installed, or its libraries do not load
        pytest.skip(f"no real TensorRT: {err}")
    if not hasattr(trt, "Builder") or "standin" in str(getattr(trt, "__file__", "")):
        pytest.skip("the tensorrt module here has no builder (lean runtime or the stand-in)")
    return trt


@pytest.fixture(scope="session")
def trt() -> Any:
    mod = _real_tensorrt()
    from gpu_support import pycuda_or_skip

    pycuda_or_skip()
    return mod


@pytest.fixture(scope="session")
def out_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = Path(os.environ.get("TRTUI_REAL_OUT") or tmp_path_factory.mktemp("real-out"))
    path.mkdir(parents=True, exist_ok=True)
    return path


@pytest.fixture(scope="session")
def engines(trt: Any, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Every engine of ENGINES, built with the real builder (kept in TRTUI_REAL_ENGINES if set)."""
    where = Path(os.environ.get("TRTUI_REAL_ENGINES") or tmp_path_factory.mktemp("real-engines"))
    where.mkdir(parents=True, exist_ok=True)
    made: dict[str, Path] = _Engines()
    only = [k for k in os.environ.get("TRTUI_REAL_ONLY", "").split(",") if k]
    for key, (model, qdq, dynamic, flags) in ENGINES.items():
        if only and key not in only:
            continue
        engine = where / f"{key}.engine"
        if not (engine.is_file() and (where / f"{key}.layers.json").is_file()):
            made_onnx = make_onnx(where, model, qdq, dynamic)
            cmd = [
                sys.executable,
                str(ROOT / "sample_engines" / "build_engine.py"),
                f"--onnx={made_onnx}",
                f"--saveEngine={engine}",
                *flags,
                f"--tacticSources={TACTICS}",
                f"--timingCacheFile={where / f'timing-{key}.cache'}",
                f"--exportLayerInfo={where / f'{key}.layers.json'}",
            ]
            if dynamic:
                cmd += [
                    "--minShapes=input:1x3x224x224",
                    "--optShapes=input:8x3x224x224",
                    "--maxShapes=input:32x3x224x224",
                ]
            done = subprocess.run(cmd, capture_output=True, text=True, timeout=600, cwd=ROOT)
            assert done.returncode == 0, done.stderr[-3000:]
            print(f"\n{key}: {done.stdout.strip()}")
        made[key] = engine
    return made


class _Engines(dict[str, Path]):
    """The engines built; a test that needs one not built (TRTUI_REAL_ONLY) is skipped."""

    def __missing__(self, key: str) -> Path:
        pytest.skip(f"{key} was not built (TRTUI_REAL_ONLY)")


def make_onnx(where: Path, model: str, qdq: str, dynamic: bool) -> Path:
    sys.path.insert(0, str(ROOT))
    from sample_engines.make_onnx import build_resnet, output_name

    path = where / output_name(model, 1, dynamic, qdq)
    if not path.is_file():
        path.write_bytes(build_resnet(model, dynamic_batch=dynamic, qdq=qdq).SerializeToString())
    return path


def trtui(*args: str, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "TERM": "xterm-256color", "SHELL": "/bin/sh"}
    return subprocess.run(
        [sys.executable, "-m", "trtui", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=ROOT,
        env=env,
    )


def profile(engine: Path, out: Path, *extra: str, duration: float = 4.0) -> dict[str, Any]:
    res = trtui("profile", str(engine), "--duration", str(duration), "--json", str(out), "--quiet", *extra)
    assert res.returncode == 0, res.stderr[-3000:]
    noisy = [line for line in res.stderr.lower().splitlines() if any(w in line for w in WARNINGS)]
    assert not noisy, res.stderr
    doc: dict[str, Any] = json.loads(out.read_text())
    return doc


def _major(version: str) -> int:
    return int(version.split(".")[0])


def inspector_layers(path: Path) -> list[dict[str, Any]]:
    doc = json.loads(path.read_text())
    layers = doc["Layers"]
    assert layers and isinstance(layers[0], dict), "built with detailed profiling verbosity"
    return list(layers)


def _int8_input(layer: dict[str, Any]) -> bool:
    ins = layer.get("Inputs") or []
    text = str(ins[0].get("Format/Datatype", "")) if ins else ""
    return "int8" in text.lower()


# ------------------------------------------------------------------------ what TensorRT itself says


@pytest.mark.parametrize("key", list(ENGINES))
def test_layers_are_what_the_inspector_says(
    key: str, engines: dict[str, Path], out_dir: Path, tmp_path: Path
) -> None:
    engine = engines[key]
    shapes = ("--shapes", "input:8x3x224x224") if "dyn" in key else ()
    doc = profile(engine, tmp_path / f"{key}.json", "--profile-every", "5", *shapes)
    shutil.copy(tmp_path / f"{key}.json", out_dir / f"{key}.summary.json")
    src = doc["source"]
    assert src["kind"] == "engine" and not src["simulated"] and src["trt_module"] == "tensorrt"
    truth = {x["Name"]: x for x in inspector_layers(engine.with_name(f"{key}.layers.json"))}
    got = {x["name"]: x for x in doc["layers"]}
    if "dyn" in key and _major(src["trt_version"]) < 10:  # one context per profile on 8.x: no profiling
        assert not got and any("has no optimization profile" in n for n in doc["notices"]), doc["notices"]
        return
    assert set(got) == set(truth), (sorted(set(got) ^ set(truth)))[:10]
    for name, layer in got.items():
        t = truth[name]
        assert layer["type"] == t.get("LayerType"), name
        if t.get("TacticName"):
            assert layer["tactic"] == t["TacticName"], name
        if _int8_input(t) and "Reformat" not in str(t.get("LayerType")):
            assert "INT8" in str(layer["precision"]), (name, layer["precision"], t.get("Inputs"))
    if "int8" in key:
        int8 = [n for n, x in got.items() if "INT8" in str(x["precision"])]
        assert len(int8) >= 0.5 * sum(1 for x in truth.values() if "Convolution" in str(x.get("LayerType")))
    prof = doc["profiler"]
    layer_sum, gpu, median = prof["layer_sum_ms"], prof["profiled_gpu_ms"], doc["latency_ms"]["median"]
    print(
        f"\n{key}: {len(got)} layers, latency median {median:.4f} ms, {doc['throughput_per_s']:.0f}/s, "
        f"layer sum {layer_sum:.4f} ms, profiled GPU {gpu:.4f} ms, tax {prof['tax_pct']:+.1f}% "
        f"(profiled as graph: {prof.get('profiled_as_graph')})"
    )
    # the layer times account for the profiled inference's GPU time (events between layers cost a little)
    assert 0.85 * gpu <= layer_sum <= 1.02 * gpu
    assert doc["iterations"] > 100 and doc["profiled_iterations"] > 5


# ------------------------------------------------------------------------ latency, like for like


@pytest.mark.parametrize("key", ["r18_fp16", "r50_fp16"])
def test_latency_matches_an_independent_event_loop(
    key: str, engines: dict[str, Path], tmp_path: Path
) -> None:
    loop = subprocess.run(
        [sys.executable, str(HERE / "real_trt_loop.py"), str(engines[key]), "2000"],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=ROOT,
    )
    assert loop.returncode == 0, loop.stderr[-3000:]
    ref = json.loads(loop.stdout.strip().splitlines()[-1])
    plain = profile(engines[key], tmp_path / "plain.json", "--no-cuda-graph", "--profile-every", "0")
    graph = profile(engines[key], tmp_path / "graph.json", "--profile-every", "0")
    got_plain, got_graph = plain["latency_ms"]["median"], graph["latency_ms"]["median"]
    print(
        f"\n{key}: execute_async_v3 loop {ref['plain_ms']:.4f} ms vs trtui --no-cuda-graph {got_plain:.4f}; "
        f"graph loop {ref['graph_ms']:.4f} ms vs trtui (graphs) {got_graph:.4f}"
    )
    assert abs(got_plain - ref["plain_ms"]) <= 0.05 * ref["plain_ms"] + 0.003
    assert abs(got_graph - ref["graph_ms"]) <= 0.05 * ref["graph_ms"] + 0.003


# ------------------------------------------------------------------------ the rest of the CLI


CASES = {
    "graphs": ("--profile-every", "5"),
    "no-graphs": ("--no-cuda-graph", "--profile-every", "5"),
    "4-streams": ("--streams", "4", "--profile-every", "5"),
    "transfers": ("--transfers", "--profile-every", "5"),
}


@pytest.mark.parametrize("case", list(CASES))
def test_profile_modes(case: str, engines: dict[str, Path], tmp_path: Path) -> None:
    doc = profile(engines["r50_fp16"], tmp_path / "p.json", *CASES[case], duration=3.0)
    med, layer_sum = doc["latency_ms"]["median"], doc["profiler"]["layer_sum_ms"]
    print(
        f"\nr50_fp16 {case}: median {med:.4f} ms, {doc['throughput_per_s']:.0f}/s, layer sum "
        f"{layer_sum:.4f} ms, tax {doc['profiler']['tax_pct']:+.1f}%, mode {doc['source']['mode']}"
    )
    assert doc["iterations"] > 100 and doc["profiled_iterations"] > 5
    if case == "transfers":  # the copies (600 KB in, 4 KB out) are in the latency
        plain = profile(engines["r50_fp16"], tmp_path / "plain.json", *CASES["graphs"], duration=3.0)
        assert med > plain["latency_ms"]["median"] + 0.005
    if case == "4-streams":
        assert len(doc["streams"]) == 4


def test_dynamic_batch_shapes(engines: dict[str, Path], tmp_path: Path) -> None:
    one = profile(engines["r18_dyn_fp16"], tmp_path / "b1.json", "--shapes", "input:1x3x224x224", duration=2)
    big = profile(
        engines["r18_dyn_fp16"], tmp_path / "b32.json", "--shapes", "input:32x3x224x224", duration=2
    )
    assert one["source"]["shapes"]["input"] in ([1, 3, 224, 224], "1x3x224x224")
    assert big["latency_ms"]["median"] > 2 * one["latency_ms"]["median"]
    # TensorRT 8.x gives the one optimization profile to one context: no profiling context here
    if _major(one["source"]["trt_version"]) < 10:
        assert any("has no optimization profile" in n for n in one["notices"]), one["notices"]
    bad = trtui("profile", str(engines["r18_dyn_fp16"]), "--shapes", "input:64x3x224x224", "--duration", "1")
    assert bad.returncode == 2 and len(bad.stderr.strip().splitlines()) == 1, bad.stderr


def test_kernels_and_trace(engines: dict[str, Path], tmp_path: Path) -> None:
    pytest.importorskip("cupti", reason="cupti-python is not installed")
    trace = tmp_path / "t.trace.json"
    doc = profile(
        engines["r18_fp16"],
        tmp_path / "k.json",
        "--kernels",
        "--trace",
        str(trace),
        "--profile-every",
        "5",
        duration=3,
    )
    k = doc.get("kernels")
    assert k is not None, doc["notices"]
    print("\nkernels:", json.dumps({x: k[x] for x in k if x != "layers"})[:1500])
    layers = k.get("layers") or []
    assert layers, k
    print("first layers' kernels:", json.dumps(layers[:3])[:2000])
    json.loads(trace.read_text())


def test_compare_the_precision_ladder(engines: dict[str, Path], tmp_path: Path, out_dir: Path) -> None:
    docs = {key: profile(engines[key], tmp_path / f"{key}.json", "--profile-every", "5") for key in LADDER}
    med = {key: d["latency_ms"]["median"] for key, d in docs.items()}
    print("\nResNet-50 ladder (median ms): " + ", ".join(f"{k} {v:.4f}" for k, v in med.items()))
    assert med["r50_fp16"] < med["r50_fp32"]
    assert med["r50_int8"] < med["r50_fp16"] * 1.05
    for a, b in (("r50_fp32", "r50_fp16"), ("r50_fp16", "r50_int8")):
        out = tmp_path / f"cmp-{a}-{b}.json"
        res = trtui(
            "compare", str(tmp_path / f"{a}.json"), str(tmp_path / f"{b}.json"), "--json", str(out), "--text"
        )
        assert res.returncode == 0, res.stderr
        cmp = json.loads(out.read_text())
        print(
            f"\ncompare {a} -> {b}: matched {cmp['matched_pct_a']:.0f}% / {cmp['matched_pct_b']:.0f}%, "
            f"precision changes {len(cmp['precision_changes'])}\n" + res.stdout[:3000]
        )
        assert cmp["matched_pct_a"] > 50 and cmp["matched_pct_b"] > 50
        shutil.copy(out, out_dir / out.name)


def test_check_one_engine_against_another(engines: dict[str, Path], tmp_path: Path) -> None:
    base = tmp_path / "base.json"
    profile(engines["r50_fp16"], base, duration=3)
    out = tmp_path / "check.json"
    res = trtui(
        "check", str(engines["r50_int8"]), "--baseline", str(base), "--duration", "3", "--json", str(out)
    )
    assert res.returncode == 0, res.stdout + res.stderr  # INT8 is not slower than FP16 end to end
    layers = trtui("check", str(engines["r50_int8"]), "--baseline", str(base), "--duration", "3", "--layers")
    print("\ncheck --layers (INT8 against FP16):\n" + layers.stdout[:2500])
    assert layers.returncode in (0, 1), layers.stderr  # a layer may be slower in INT8: judged, not an error
    doc = json.loads(out.read_text())
    assert doc["passed"] is True
    print("\ncheck:", doc["verdict"])
    worse = trtui("check", str(engines["r50_fp32"]), "--baseline", str(base), "--duration", "3")
    assert worse.returncode == 1, worse.stdout + worse.stderr  # FP32 is slower than FP16: a regression


def test_sweep_across_a_real_profile(trt: Any, engines: dict[str, Path], tmp_path: Path) -> None:
    out = tmp_path / "sweep.json"
    res = trtui(
        "sweep",
        str(engines["r18_dyn_fp16"]),
        "--batch",
        "1,4,16,32,64",
        "--streams",
        "1,2",
        "--duration",
        "1",
        "--warmup",
        "0.5",
        "--headless",
        "--json",
        str(out),
        timeout=400,
    )
    print(res.stdout[-3000:])
    assert res.returncode in (0, 1), res.stderr
    doc = json.loads(out.read_text())
    points = {(p["batch"], p["streams"]): p for p in doc["points"]}
    assert points[(64, 1)]["status"] != "ok"  # above the profile's max (32): reported, the sweep went on
    if _major(trt.__version__) < 10:
        # one context per optimization profile on 8.x: two streams are reported, and the sweep goes on
        assert points[(1, 2)]["status"] != "ok"
    med = {b: points[(b, 1)]["median_ms"] for b in (1, 4, 16, 32)}
    assert med[1] < med[4] < med[16] < med[32]
    assert points[(32, 1)]["samples_per_s"] > 2 * points[(1, 1)]["samples_per_s"]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_serve_metrics(engines: dict[str, Path]) -> None:
    port = _free_port()
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "trtui",
            "serve",
            str(engines["r18_fp16"]),
            "--listen",
            f"127.0.0.1:{port}",
            "--duration",
            "25",
        ],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        body = ""
        deadline = time.monotonic() + 25
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=2) as r:
                    body = r.read().decode()
                if "trtui_layer_mean_seconds{" in body and "trtui_latency_p50_seconds" in body:
                    break
            except OSError:
                pass
            time.sleep(0.5)
        lines = [
            x
            for x in body.splitlines()
            if x.startswith(("trtui_latency_p50", "trtui_layer_mean", "trtui_info"))
        ]
        print("\n/metrics:\n" + "\n".join(lines[:8]))
        assert "trtui_layer_mean_seconds{" in body and 'simulated="false"' in body
        p50 = [float(x.split()[-1]) for x in body.splitlines() if x.startswith("trtui_latency_p50_seconds")]
        assert p50 and 1e-5 < p50[0] < 0.1
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.communicate(timeout=30)
    assert proc.returncode == 0


def test_tune_with_real_builds(trt: Any, engines: dict[str, Path], tmp_path: Path, out_dir: Path) -> None:
    onnx = engines["r18_fp16"].with_name("resnet18.onnx")
    out = tmp_path / "tune.json"
    res = trtui(
        "tune",
        str(onnx),
        "--headless",
        "--fp16",
        f"--tactic-sources={TACTICS}",
        "--max-builds",
        "4",
        "--range",
        "1M:1G",
        "--timing-cache",
        str(engines["r18_fp16"].with_name("timing-r18_fp16.cache")),
        "--json",
        str(out),
        "--save",
        str(tmp_path / "best.engine"),
        timeout=900,
    )
    print(res.stdout[-4000:])
    assert res.returncode == 0, res.stderr[-3000:]
    doc = json.loads(out.read_text())
    shutil.copy(out, out_dir / "tune.json")
    ok = [a for a in doc["attempts"] if a["outcome"] == "ok"]
    assert ok and all(a["latency_ms"] and a["latency_ms"] > 0 for a in ok)
    assert doc["builder"]["tensorrt"] == trt.__version__
    assert (tmp_path / "best.engine").read_bytes()[:4] in (b"ptrt", b"ftrt")
    bad = trtui(
        "tune",
        str(onnx),
        "--headless",
        "--pool",
        "tactic_dram",
        "--max-builds",
        "1",
        f"--tactic-sources={TACTICS}",
    )
    if not hasattr(trt.MemoryPoolType, "TACTIC_DRAM"):
        assert bad.returncode == 2 and "not available with TensorRT" in bad.stderr, bad.stderr


def test_export_of_a_real_run(engines: dict[str, Path], tmp_path: Path, out_dir: Path) -> None:
    rec = out_dir / "r18_fp16_export"
    if rec.exists():
        shutil.rmtree(rec)
    profile(
        engines["r18_fp16"], tmp_path / "e.json", "--export-dir", str(rec), "--profile-every", "5", duration=3
    )
    for key in ("r18_fp16", "r18_int8"):
        shutil.copy(engines[key].with_name(f"{key}.layers.json"), out_dir / f"{key}.layers.json")
    again = trtui("profile", str(rec), "--json", str(tmp_path / "replay.json"), "--quiet")
    assert again.returncode == 0, again.stderr
    replay = json.loads((tmp_path / "replay.json").read_text())
    assert replay["source"]["kind"] == "recording" and not replay["source"]["simulated"]
    assert len(replay["layers"]) == len(json.loads((tmp_path / "e.json").read_text())["layers"])


@pytest.mark.parametrize("key", ["r50_fp16", "r50_int8"])
def test_engine_card_and_roofline(key: str, engines: dict[str, Path], tmp_path: Path, out_dir: Path) -> None:
    doc = profile(engines[key], tmp_path / f"{key}.json", "--profile-every", "5", duration=4)
    shutil.copy(tmp_path / f"{key}.json", out_dir / f"{key}.roofline.summary.json")
    card, roof = doc.get("engine"), doc.get("roofline")
    assert card is not None and roof is not None, doc.get("roofline_unavailable")
    print(f"\n{key} card: " + json.dumps({k: v for k, v in card.items() if k != "layers"})[:1500])
    print(
        f"{key} roofline: clocks {roof['sm_clock_mhz']}/{roof['mem_clock_mhz']} MHz "
        f"from {roof['clocks_from']}, "
        f"peak tensor {roof['peak_tensor_tflops']} TFLOPS, {roof['bandwidth_gbps']} GB/s, "
        f"total headroom {roof['total_headroom_ms']} ms; flagged {roof['faster_than_bound']}"
    )
    rows = roof["layers"]
    top = sorted((r for r in rows if r["headroom_ms"] is not None), key=lambda r: -r["headroom_ms"])[:6]
    for r in top:
        print(
            f"  {r['name'][:60]:60} {r['kind']:12} {r['precision']!s:8} {r['measured_ms']:.4f} ms "
            f"attainable {r['attainable_ms']:.4f} eff {r['efficiency_pct']:.1f}% {r['bound']}"
        )
    assert roof["clocks_from"] and "NVML" in roof["clocks_from"]
    # no layer is faster than its bound: a wrong peak or work count would show here
    assert roof["faster_than_bound"] == []
    assert all(r["efficiency_pct"] is None or 0 <= r["efficiency_pct"] <= 100 for r in rows)
    convs = [r for r in rows if r["kind"] == "convolution"]
    assert convs and all(r["macs"] for r in convs)
    if "startup" in doc:
        print(f"{key} start-up: " + json.dumps(doc["startup"])[:800])


# ------------------------------------------------------------------------ the live screen


@pytest.mark.parametrize("how", ["q", "SIGTERM", "SIGHUP"])
def test_live_screen(how: str, engines: dict[str, Path]) -> None:
    if shutil.which("tmux") is None:
        pytest.skip("tmux is not installed")
    from test_gpu_standin_cli import Tmux, _alive, _children

    name = f"trtui-real-{uuid.uuid4().hex[:6]}"
    started = time.monotonic()
    run = f"{sys.executable} -m trtui {engines['r50_int8']} --profile-every 5"
    cmd = f"cd {ROOT} && {run}; echo TRTUI-EXIT=$?; sleep 9"
    env = {**os.environ, "TERM": "xterm-256color", "SHELL": "/bin/sh"}
    subprocess.run(
        ["tmux", "new-session", "-d", "-s", name, "-x", "160", "-y", "50", cmd],
        check=True,
        env=env,
        timeout=10,
    )
    t = Tmux(name)
    try:
        screen = t.wait_for(lambda s: "CaskConvolution" in s and "RUNNING" in s and "INT8" in s, timeout=60)
        first = time.monotonic() - started
        screen = t.wait_for(lambda s: " W" in s and ("H100" in s or "H200" in s or "NVIDIA" in s))
        print(f"\n{how}: first table after {first:.1f} s:\n{screen}")
        assert "SIMULATED" not in screen
        app = t.app_pid()
        gpu_children = _children(app)
        assert gpu_children
        if how == "q":
            t.run("send-keys", "-t", name, "Enter")
            details = t.wait_for(lambda s: "Layer details" in s and "precision" in s, timeout=10)
            print(details)
            t.run("send-keys", "-t", name, "Escape")
            time.sleep(0.5)
            t.run("send-keys", "-t", name, "q")
        else:
            os.kill(app, getattr(signal, how))
        screen = t.wait_for(lambda s: "TRTUI-EXIT=" in s, timeout=15)
        assert "TRTUI-EXIT=0" in screen
        deadline = time.monotonic() + 2.0
        while any(_alive(p) for p in gpu_children) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not any(_alive(p) for p in gpu_children)
        assert not [x for x in screen.lower().splitlines() if any(w in x for w in WARNINGS)], screen
    finally:
        subprocess.run(["tmux", "kill-session", "-t", name], capture_output=True, timeout=10)
