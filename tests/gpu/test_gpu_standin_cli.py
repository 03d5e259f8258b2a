"""The whole CLI on a real GPU, with a GPU-backed stand-in for TensorRT (`tests/gpu/standin/`): real
CUDA kernels per layer on the stream trtui gives, per-layer times from CUDA events, a detailed
inspector. `trtui profile` headless (graphs on and off, 4 streams, transfers, profiling every N) and
the live screen under tmux (q, SIGTERM, SIGHUP). Everything runs through the unchanged CLI and the
GPU process; only `import tensorrt` finds the stand-in.

Skips without a CUDA device, pycuda, cuda-python and NVRTC. Run with: pytest -m gpu tests/gpu -s
"""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import signal
import statistics
import subprocess
import sys
import time
import uuid
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

pytestmark = pytest.mark.gpu

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
STANDIN = HERE / "standin"
WARNINGS = ("out-of-thread", "cuda warning", "cudaerror", "could not be cleaned up", "traceback")

LAYERS = ["conv1 + relu", "conv2 + relu", "pool", "conv3 + add", "{ForeignNode[attn]}", "fc", "softmax"]
SPEC: dict[str, Any] = {
    "inputs": [{"name": "input", "dtype": "FLOAT", "shape": [1, 3, 224, 224]}],
    "outputs": [{"name": "output", "dtype": "FLOAT", "shape": [1, 1000]}],
    "layers": LAYERS,
    "layer_ms": [0.20, 0.30, 0.05, 0.15, 0.40, 0.10, 0.05],
    "kernels": {"conv2 + relu": 3, "{ForeignNode[attn]}": 4},
    "types": {"pool": "CudaPooling", "{ForeignNode[attn]}": "Myelin", "fc": "CaskGemm", "softmax": "Softmax"},
    "precisions": {"conv1 + relu": "INT8", "fc": "FP32", "softmax": "FP32"},
}


@pytest.fixture(scope="module")
def standin() -> ModuleType:
    pytest.importorskip("pycuda.driver", reason="pycuda is not installed")
    pytest.importorskip("cuda.bindings.nvrtc", reason="cuda-python (NVRTC) is not installed")
    from cuda.bindings import driver as cu

    if int(cu.cuInit(0)[0]) != 0 or cu.cuDeviceGetCount()[1] < 1:
        pytest.skip("no usable CUDA device")
    sys.path.insert(0, str(HERE.parent / "runtime"))
    spec = importlib.util.spec_from_file_location("trtui_standin", STANDIN / "tensorrt.py")
    assert spec is not None and spec.loader is not None
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def calibrate(standin: ModuleType, repeats: int = 30) -> dict[str, float]:
    """Each layer's kernels timed on their own with CUDA events (median ms), as the stand-in runs them:
    behind a busy kernel, as inside an inference (on an idle stream the start event fires before the
    first kernel can start, which added 6-10 us to every layer, depending on the machine)."""
    from cuda.bindings import driver as cu

    ok = standin._ok
    dev = ok(cu.cuDeviceGet(0))
    ctx = ok(cu.cuDevicePrimaryCtxRetain(dev))
    ok(cu.cuCtxPushCurrent(ctx))
    try:
        kernels = standin.Kernels()
        stream = ok(cu.cuStreamCreate(0))
        start, end = ok(cu.cuEventCreate(0)), ok(cu.cuEventCreate(0))
        blocks = max(1, int(0.25 * kernels.resident_blocks + 0.999))
        out: dict[str, float] = {}
        for name, kernel_ns in standin.layer_plan(SPEC):
            times = []
            for _ in range(repeats):
                kernels.launch(int(stream), 50_000, blocks)  # 50 us: the stream is busy at `start`
                ok(cu.cuEventRecord(start, stream))
                for ns in kernel_ns:
                    kernels.launch(int(stream), ns, blocks)
                ok(cu.cuEventRecord(end, stream))
                ok(cu.cuEventSynchronize(end))
                times.append(standin._elapsed(start, end))
            out[name] = statistics.median(times)
        for ev in (start, end):
            cu.cuEventDestroy(ev)
        cu.cuStreamDestroy(stream)
        kernels.close()
    finally:
        cu.cuCtxPopCurrent()
        cu.cuDevicePrimaryCtxRelease(dev)
    return out


def env() -> dict[str, str]:
    e = dict(os.environ)
    e["PYTHONPATH"] = os.pathsep.join(
        [str(STANDIN), str(HERE.parent / "runtime"), str(ROOT), e.get("PYTHONPATH", "")]
    )
    e["TERM"] = "xterm-256color"
    e["SHELL"] = "/bin/sh"  # tmux runs the pane's command with $SHELL: a container's may not exist
    return e


@pytest.fixture(scope="module")
def engine_file(tmp_path_factory: pytest.TempPathFactory, standin: ModuleType) -> Path:
    path = tmp_path_factory.mktemp("standin") / "standin.engine"
    path.write_bytes(standin.plan(**SPEC))
    return path


@pytest.fixture(scope="module")
def kernel_ms(standin: ModuleType) -> dict[str, float]:
    return calibrate(standin)


def trtui_cli(*args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    """`python -m trtui ARGS` with the stand-in as `tensorrt`, from the project root."""
    return subprocess.run(
        [sys.executable, "-m", "trtui", *args],
        env=env(),
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=ROOT,
    )


def profile(engine: Path, tmp: Path, *extra: str, duration: float = 4.0) -> tuple[dict[str, Any], str]:
    out = tmp / f"out-{uuid.uuid4().hex[:6]}.json"
    res = trtui_cli("profile", str(engine), "--duration", str(duration), "--json", str(out), "--quiet",
                    *extra)
    assert res.returncode == 0, res.stderr
    return json.loads(out.read_text()), res.stderr


CASES = {
    "graphs": ("--profile-every", "5"),
    "no-graphs": ("--no-cuda-graph", "--profile-every", "5"),
    "4-streams": ("--streams", "4", "--profile-every", "5"),
    "transfers": ("--transfers", "--profile-every", "3"),
}


@pytest.mark.parametrize("case", list(CASES))
def test_profile_headless_measures_what_the_kernels_cost(
    case: str, engine_file: Path, kernel_ms: dict[str, float], tmp_path: Path
) -> None:
    summary, stderr = profile(engine_file, tmp_path, *CASES[case])
    assert not [line for line in stderr.lower().splitlines() if any(w in line for w in WARNINGS)], stderr
    # the GPU process's own warnings (TensorRT, CUDA) arrive as notices
    assert not [n for n in summary["notices"] if n.startswith("GPU process:")], summary["notices"]
    src = summary["source"]
    assert src["kind"] == "engine" and src["trt_module"] == "tensorrt" and not src["simulated"]
    assert summary["iterations"] > 100 and summary["profiled_iterations"] > 10
    layers = {x["name"]: x for x in summary["layers"]}
    assert list(layers) == LAYERS or set(layers) == set(LAYERS)
    assert layers["fc"]["type"] == "CaskGemm" and layers["fc"]["precision"] == "FP32"
    assert layers["{ForeignNode[attn]}"]["type"] == "Myelin"
    assert (
        layers["conv2 + relu"]["type"] == "CaskConvolution" and layers["conv2 + relu"]["precision"] == "FP16"
    )
    figures = []
    for name in LAYERS:
        got, want = layers[name]["mean_ms"], kernel_ms[name]
        figures.append(f"{name}: {got:.4f} vs {want:.4f}")
        assert abs(got - want) <= 0.05 * want + 0.006, figures
    layer_sum = sum(layers[n]["mean_ms"] for n in LAYERS)
    median = summary["latency_ms"]["median"]
    print(
        f"\n{case}: layer sum {layer_sum:.4f} ms, latency median {median:.4f} ms, "
        f"{summary['throughput_per_s']:.0f}/s; " + "; ".join(figures)
    )
    if case == "transfers":
        assert layer_sum < median  # the copies are in the latency, not in the layers
    elif case == "4-streams":
        assert median >= 0.95 * layer_sum  # contexts share the GPU: never faster than alone
    else:
        assert abs(layer_sum - median) <= 0.10 * median


# ------------------------------------------------------------------------------ the live screen


class Tmux:
    def __init__(self, name: str) -> None:
        self.name = name

    def run(self, *args: str) -> str:
        return subprocess.run(["tmux", *args], capture_output=True, text=True, timeout=10).stdout

    def screen(self) -> str:
        return self.run("capture-pane", "-p", "-t", self.name)

    def wait_for(self, test: Any, timeout: float = 30.0) -> str:
        deadline = time.monotonic() + timeout
        screen = ""
        while time.monotonic() < deadline:
            screen = self.screen()
            if test(screen):
                return screen
            time.sleep(0.2)
        sessions = self.run("ls")
        raise AssertionError(f"timed out; sessions: {sessions!r}; the screen was:\n{screen}")

    def app_pid(self) -> int:
        shell = int(self.run("display-message", "-p", "-t", self.name, "#{pane_pid}").strip())
        out = subprocess.run(["pgrep", "-P", str(shell)], capture_output=True, text=True)
        return int(out.stdout.split()[0])


def _children(pid: int) -> list[int]:
    out = subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True)
    return [int(x) for x in out.stdout.split()]


def _alive(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().split(")")[-1].split()[0] != "Z"
    except OSError:
        return False


@pytest.mark.parametrize("how", ["q", "SIGTERM", "SIGHUP"])
def test_live_screen_on_the_gpu(how: str, engine_file: Path, tmp_path: Path) -> None:
    if shutil.which("tmux") is None:
        pytest.skip("tmux is not installed")
    name = f"trtui-gpu-{uuid.uuid4().hex[:6]}"
    # Textual draws on stderr: it stays the terminal. Whatever is printed after the screen is
    # left (a warning at exit) is on the pane afterwards.
    run = f"{sys.executable} -m trtui {engine_file} --profile-every 5"
    cmd = f"cd {ROOT} && {run}; echo TRTUI-EXIT=$?; sleep 9"
    subprocess.run(
        ["tmux", "new-session", "-d", "-s", name, "-x", "160", "-y", "50", cmd],
        check=True,
        env=env(),
        timeout=10,
    )
    t = Tmux(name)
    try:
        time.sleep(1.0)
        if not t.run("ls"):
            pytest.fail("the tmux session ended at once")
        screen = t.wait_for(lambda s: "CaskGemm" in s and "Myelin" in s and "RUNNING" in s)
        screen = t.wait_for(lambda s: " W" in s and ("H200" in s or "H100" in s or "NVIDIA" in s))
        print(f"\n{how}: screen on the GPU:\n{screen}")
        assert "SIMULATED" not in screen
        app = t.app_pid()
        gpu_children = _children(app)
        assert gpu_children, "the engine runs in a GPU process of its own"
        if how == "q":
            t.run("send-keys", "-t", name, "q")
        else:
            os.kill(app, getattr(signal, how))
        screen = t.wait_for(lambda s: "TRTUI-EXIT=" in s, timeout=10)
        assert "TRTUI-EXIT=0" in screen
        deadline = time.monotonic() + 2.0
        while any(_alive(p) for p in gpu_children) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not any(_alive(p) for p in gpu_children), "the GPU process outlived the screen"
        text = screen.lower()
        assert not [line for line in text.splitlines() if any(w in line for w in WARNINGS)], text
    finally:
        subprocess.run(["tmux", "kill-session", "-t", name], capture_output=True, timeout=10)
