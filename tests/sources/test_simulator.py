"""The simulated demo engine: deterministic, realistic shape, scalable, labelled simulated."""

from __future__ import annotations

import numpy as np
import pytest

from trtui.core.options import RunOptions
from trtui.sources.simulated import OUTLIER_P, SimulatedSource, SimulatedTelemetry
from trtui.sources.simulated_engine import resnet50_layers, scaled_layers


def test_same_seed_same_numbers_other_seed_other_numbers() -> None:
    a, b = SimulatedSource(RunOptions(seed=1)), SimulatedSource(RunOptions(seed=1))
    c = SimulatedSource(RunOptions(seed=2))
    ba, bb, bc = a.generate(500), b.generate(500), c.generate(500)
    np.testing.assert_array_equal(ba.latencies_ms, bb.latencies_ms)
    np.testing.assert_array_equal(ba.profiled[3].times_ms, bb.profiled[3].times_ms)
    assert not np.array_equal(ba.latencies_ms, bc.latencies_ms)


def test_resnet50_shape() -> None:
    layers = resnet50_layers()
    types = [layer.info.type for layer in layers]
    names = [layer.info.name for layer in layers]
    convs = [t for t in types if t == "CaskConvolution"]
    # 1 stem + 16 bottlenecks x 3 convs + 4 downsample convs = 53 convolutions (fc is a GEMM)
    assert len(convs) == 53
    assert "maxpool" in names and "avgpool" in names and names[-2] == "fc"
    assert types.count("Reformat") >= 2
    assert any("+ layer1.0.add +" in n for n in names)  # residual add fused into conv3
    # Costs follow the work: the 3x3 convs of the last stage cost more than a reformat.
    cost = {layer.info.name: layer.cost_ms for layer in layers}
    assert cost["layer4.0.conv2 + layer4.0.relu2"] > cost["Reformatting CopyNode for Output Tensor 0 to fc"]


def test_profiling_duty_cycle_and_no_latency_from_profiled_iterations() -> None:
    src = SimulatedSource(RunOptions(profile_every=10))
    batch = src.generate(1000)
    assert len(batch.profiled) == 100
    assert len(batch.latencies_ms) == 900
    assert all(len(p.names) == len(src.layers) for p in batch.profiled)
    # the names tuple is shared between iterations (aggregators rely on it to skip re-keying)
    assert batch.profiled[0].names is batch.profiled[1].names
    never = SimulatedSource(RunOptions(profile_every=0)).generate(50)
    assert never.profiled == () and len(never.latencies_ms) == 50


def test_latency_is_steady_with_rare_outliers() -> None:
    src = SimulatedSource(RunOptions(seed=5, profile_every=0))
    lat = np.asarray(src.generate(20_000).latencies_ms)
    median = np.median(lat)
    assert median == pytest.approx(src.mean_latency_ms, rel=0.02)
    slow = np.mean(lat > 1.25 * median)
    assert 0 < slow < 5 * OUTLIER_P
    # throughput accounting: timing wall time = sum of latencies (the GPU is never idle)
    b = src.generate(100)
    assert b.timing_wall_s == pytest.approx(float(np.sum(b.latencies_ms)) / 1000)


@pytest.mark.parametrize("n", [10, 59, 1000, 20_000])
def test_scaling(n: int) -> None:
    layers = scaled_layers(n)
    assert len(layers) == n
    assert len({layer.info.name for layer in layers}) == n
    src = SimulatedSource(RunOptions(layers=n, profile_every=1))
    batch = src.generate(2)
    assert batch.profiled[0].times_ms.shape == (n,)
    assert src.info.label.endswith("(simulated)") and src.info.simulated


def test_labelled_simulated_everywhere() -> None:
    src = SimulatedSource()
    assert src.info.kind == "simulated" and src.info.simulated
    assert "simulated" in src.info.label and "simulated" in (src.info.mode or "")
    tel = SimulatedTelemetry(src).sample()
    assert tel.simulated and tel.device_name and "Simulated" in tel.device_name


def test_pause_produces_nothing() -> None:
    t = [0.0]
    src = SimulatedSource(clock=lambda: t[0])
    src.start()
    t[0] += 0.1
    assert len(src.read(0).latencies_ms) > 0
    src.set_paused(True)
    t[0] += 0.5
    assert len(src.read(0).latencies_ms) == 0
    src.set_paused(False)
    t[0] += 0.1
    b = src.read(0)
    # resuming does not replay the paused time
    assert 0 < len(b.latencies_ms) + len(b.profiled) <= int(0.1 / (src.mean_latency_ms / 1000)) + 1
