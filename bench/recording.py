"""Benchmarks of reading trtexec recordings (no GPU, no terminal).

- opening the largest fixture recording under ../shared/fixtures/trtexec/ (the folder with the
  most bytes): `open_recording(folder)` plus its first `read()`, i.e. detection by content,
  validation, joining by layer name and building the source's batch; against the baseline of a
  plain `json.load` of the same files. A ratio of 2 means opening costs twice the bare JSON parse.
- the same for a synthetic large recording (20,000 detailed layers, 50,000 inferences) written
  to a temporary folder, the size of a large LLM engine.
- `trtui compare` of two recordings (load both and compare), for the two largest fixtures.
- cross-engine matching (`match_layers`) of two synthetic 20,000-layer engines whose names never
  meet (an FP16 and a QAT export): every layer is paired by the compute-layer sequence, with a
  reformat before every tenth layer grouped in.

Without the fixtures (../shared/fixtures/trtexec) only the synthetic figure is produced.

Timings are medians over repeats of wall-clock time (`time.perf_counter`), one warm-up first.
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path
from typing import Any

from bench._timing import median_seconds
from trtui.analysis.compare import compare
from trtui.analysis.matching import match_layers
from trtui.core.model import LayerInfo
from trtui.recording.runs import load_run
from trtui.recording.source import open_recording

COMMAND = "python -m bench recording"
FIXTURES = Path(__file__).resolve().parents[1].parent / "shared" / "fixtures" / "trtexec"
REPEATS = 7
SYNTH_LAYERS = 20_000
SYNTH_INFERENCES = 50_000


def _row(name: str, value: float, unit: str, note: str, **extra: Any) -> dict[str, Any]:
    return {"name": name, "value": float(value), "unit": unit, "command": COMMAND, "note": note, **extra}




def _json_files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.glob("*.json") if p.is_file())


def _plain_load(files: list[Path]) -> None:
    for f in files:
        with f.open("rb") as fh:
            json.load(fh)


def _open(folder: Path) -> None:
    open_recording(folder).read(0.0)


def _synthetic(folder: Path) -> None:
    """A large detailed recording in trtexec's formats."""
    layers = []
    profile = [{"count": 100}]
    for i in range(SYNTH_LAYERS):
        name = f"/model/layers.{i // 8}/op_{i} + /model/layers.{i // 8}/act_{i}"
        layers.append(
            {
                "Name": name,
                "LayerType": "gemm" if i % 3 else "kgen",
                "Inputs": [
                    {
                        "Name": f"t{i}",
                        "Location": "Device",
                        "Dimensions": [1, 128, 4096],
                        "Format/Datatype": "Row major linear FP16 format",
                    }
                ],
                "Outputs": [
                    {
                        "Name": f"t{i + 1}",
                        "Location": "Device",
                        "Dimensions": [1, 128, 4096],
                        "Format/Datatype": "Row major linear FP16 format",
                    }
                ],
                "TacticName": f"sm90_xmma_gemm_f16f16_f16f32_f32_tn_n_tilesize128x{64 + i % 4 * 64}x64",
                "Metadata": f"[ONNX Layer: /model/layers.{i // 8}/op_{i}]\u001e[ONNX Layer: act_{i}]",
            }
        )
        t = 0.001 + (i % 97) * 1e-4
        profile.append({"name": name, "timeMs": t * 100, "averageMs": t, "medianMs": t, "percentage": 0.005})
    times = []
    for k in range(SYNTH_INFERENCES):
        s = k * 2.0
        times.append(
            {
                "startEnqMs": s,
                "endEnqMs": s + 0.01,
                "startH2dMs": s,
                "endH2dMs": s,
                "startComputeMs": s,
                "endComputeMs": s + 1.9,
                "startD2hMs": s + 1.9,
                "endD2hMs": s + 1.9,
                "h2dMs": 0,
                "computeMs": 1.9,
                "d2hMs": 0,
                "latencyMs": 1.9,
            }
        )
    (folder / "big.engine.graph.json").write_text(json.dumps({"Layers": layers, "Bindings": ["t0"]}))
    (folder / "big.engine.profile.json").write_text(json.dumps(profile))
    (folder / "big.engine.timing.json").write_text(json.dumps(times))


def _engine(prefix: str, n: int) -> tuple[list[str], dict[str, LayerInfo]]:
    names: list[str] = []
    infos: dict[str, LayerInfo] = {}
    for i in range(n):
        if i % 10 == 0:
            r = f"Reformatting CopyNode for Input Tensor 0 to {prefix}{i}"
            names.append(r)
            infos[r] = LayerInfo(r, "Reformat")
        name = f"{prefix}{i}"
        names.append(name)
        infos[name] = LayerInfo(name, "CaskConvolution" if i % 4 else "CudaPooling")
    return names, infos


def _open_rows(label: str, folder: Path, note: str) -> list[dict[str, Any]]:
    files = _json_files(folder)
    size_mib = sum(f.stat().st_size for f in files) / 2**20
    ours = median_seconds(lambda: _open(folder), REPEATS)
    base = median_seconds(lambda: _plain_load(files), REPEATS)
    return [
        _row(
            f"open {label} ({size_mib:.1f} MiB, {len(files)} files)",
            ours * 1000,
            "ms",
            f"{note}; open_recording(folder) + first read; baseline: plain json.load of the same files "
            f"({base * 1000:.1f} ms); ratio = trtui / json.load (lower is better)",
            ratio=ours / base,
            baseline=base * 1000,
        ),
    ]


def run() -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    dirs = (
        sorted(
            (p for p in FIXTURES.glob("*") if p.is_dir()),
            key=lambda d: -sum(f.stat().st_size for f in _json_files(d)),
        )
        if FIXTURES.is_dir()
        else []
    )
    if dirs:
        rows += _open_rows(f"fixture recording {dirs[0].name}", dirs[0], "largest fixture recording")
        if len(dirs) > 1:
            a, b = dirs[0], dirs[1]
            both = median_seconds(lambda: compare(load_run(a), load_run(b)), REPEATS)
            rows.append(
                _row(
                    f"compare {a.name} vs {b.name}",
                    both * 1000,
                    "ms",
                    "load_run of both recordings + compare (what 'trtui compare A B --text' computes)",
                )
            )
    a_names, a_info = _engine("Conv_", SYNTH_LAYERS)
    b_names, b_info = _engine("layer.weight + QuantizeLinear_", SYNTH_LAYERS)
    t = median_seconds(lambda: match_layers(a_names, a_info.get, b_names, b_info.get), 3)
    rows.append(
        _row(
            f"match layers of two {SYNTH_LAYERS}-layer engines from different exports",
            t * 1000,
            "ms",
            "trtui compare's layer matching when no name meets (sequence alignment, helpers grouped)",
        )
    )
    with tempfile.TemporaryDirectory() as d:
        folder = Path(d)
        _synthetic(folder)
        rows += _open_rows(
            f"synthetic recording ({SYNTH_LAYERS} layers, {SYNTH_INFERENCES} inferences)",
            folder,
            "generated detailed layer info, profile and times in trtexec's formats",
        )
    return rows
