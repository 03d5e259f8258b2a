"""The layer list and cost model of the simulated demo engine (a ResNet-50-shaped FP16 engine).

Costs follow from each layer's work: convolutions from their FLOPs at an effective tensor-core
rate, memory-bound layers (pooling, reformats) from the bytes they move, plus a fixed launch cost.
All numbers are *simulated*; nothing here was measured.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import numpy.typing as npt

from trtui.core.model import LayerInfo, TensorInfo
from trtui.core.precision import with_rule

EFFECTIVE_TFLOPS = 120.0  # FP16 tensor-core rate a well-tuned conv reaches (H100-like)
EFFECTIVE_GBPS = 1800.0  # memory bandwidth memory-bound layers reach
LAUNCH_US = 5.0  # fixed cost per layer (launch + tail), microseconds
BYTES = 2  # FP16
BATCH = 8  # the demo engine's batch size


@dataclass(frozen=True, slots=True)
class SimLayer:
    """One layer of the simulated engine: its description and its simulated cost."""

    info: LayerInfo
    cost_ms: float  # mean cost at the demo's batch (BATCH), simulated


def _conv(
    name: str,
    cin: int,
    cout: int,
    k: int,
    stride: int,
    hw_in: int,
    act: str | None,
    residual: bool = False,
    nodes: tuple[str, ...] = (),
) -> tuple[SimLayer, int]:
    hw_out = hw_in // stride
    flops = 2.0 * BATCH * cin * cout * k * k * hw_out * hw_out
    moved = BYTES * (
        BATCH * (cin * hw_in * hw_in + cout * hw_out * hw_out * (2 if residual else 1)) + cin * cout * k * k
    )
    ms = max(flops / (EFFECTIVE_TFLOPS * 1e9), moved / (EFFECTIVE_GBPS * 1e6)) + LAUNCH_US / 1000
    tactic = (
        f"sm90_xmma_fprop_implicit_gemm_f16f16_f16f16_f16_nhwckrsc_nhwc_tilesize{128 if cout >= 128 else 64}"
        f"x{min(cout, 256)}x64_warpgroupsize1x1x1_execute_segment_k_off_kernel__5x_cublas"
    )
    info = LayerInfo(
        name=name,
        type="CaskConvolution",
        precision="FP16",
        tactic=tactic,
        inputs=(
            TensorInfo(
                f"{name}:in",
                (BATCH, cin, hw_in, hw_in),
                "FP16",
                "Channel major FP16 format where channel % 8 == 0",
            ),
        ),
        outputs=(
            TensorInfo(
                f"{name}:out",
                (BATCH, cout, hw_out, hw_out),
                "FP16",
                "Channel major FP16 format where channel % 8 == 0",
            ),
        ),
        onnx_nodes=nodes,
        params={"Kernel": [k, k], "Stride": [stride, stride], "OutMaps": cout, "Activation": act or "NONE",
                "Groups": 1, "Weights": {"Type": "Half", "Count": cin * cout * k * k}},
    )
    return SimLayer(info, ms), hw_out


def _memory_layer(
    name: str,
    ltype: str,
    elems_in: int,
    elems_out: int,
    shape_in: tuple[int, ...],
    shape_out: tuple[int, ...],
    precision: str = "FP16",
    origin: str | None = None,
    in_fmt: str = "Channel major FP16 format where channel % 8 == 0",
) -> SimLayer:
    ms = BYTES * BATCH * (elems_in + elems_out) / (EFFECTIVE_GBPS * 1e6) + LAUNCH_US / 1000
    return SimLayer(
        LayerInfo(
            name=name,
            type=ltype,
            precision=precision,
            tactic=None if ltype == "Reformat" else f"{ltype.lower()}_kernel",
            inputs=(TensorInfo(f"{name}:in", shape_in, "FP16", in_fmt),),
            outputs=(
                TensorInfo(f"{name}:out", shape_out, precision, "Row major linear FP16 format (kLINEAR)"),
            ),
            origin=origin,
        ),
        ms,
    )


def resnet50_layers() -> list[SimLayer]:
    """The fused layer list a TensorRT FP16 build of ResNet-50 (batch 8, 224x224) looks like."""
    layers: list[SimLayer] = []
    layers.append(
        SimLayer(
            LayerInfo(
                name="Reformatting CopyNode for Input Tensor 0 to conv1 + relu",
                type="Reformat",
                precision="FP16",
                inputs=(
                    TensorInfo(
                        "input", (BATCH, 3, 224, 224), "FP32", "Row major linear FP32 format (kLINEAR)"
                    ),
                ),
                outputs=(
                    TensorInfo(
                        "input_reformatted",
                        (BATCH, 3, 224, 224),
                        "FP16",
                        "Channel major FP16 format where channel % 4 == 0",
                    ),
                ),
                origin="REFORMAT",
            ),
            BYTES * BATCH * 3 * 224 * 224 * 3 / (EFFECTIVE_GBPS * 1e6) + LAUNCH_US / 1000,
        )
    )
    stem, hw = _conv("conv1 + relu", 3, 64, 7, 2, 224, "RELU", nodes=("conv1", "bn1", "relu"))
    layers.append(stem)
    layers.append(
        _memory_layer(
            "maxpool",
            "CudaPooling",
            64 * hw * hw,
            64 * (hw // 2) ** 2,
            (BATCH, 64, hw, hw),
            (BATCH, 64, hw // 2, hw // 2),
        )
    )
    hw //= 2
    cin = 64
    for stage, (blocks, width) in enumerate(zip((3, 4, 6, 3), (64, 128, 256, 512), strict=True), start=1):
        for b in range(blocks):
            stride = 2 if (b == 0 and stage > 1) else 1
            p = f"layer{stage}.{b}"
            c1, _ = _conv(
                f"{p}.conv1 + {p}.relu1",
                cin,
                width,
                1,
                1,
                hw,
                "RELU",
                nodes=(f"{p}.conv1", f"{p}.bn1", f"{p}.relu"),
            )
            c2, hw2 = _conv(
                f"{p}.conv2 + {p}.relu2",
                width,
                width,
                3,
                stride,
                hw,
                "RELU",
                nodes=(f"{p}.conv2", f"{p}.bn2", f"{p}.relu_1"),
            )
            layers += [c1, c2]
            if b == 0:
                ds, _ = _conv(
                    f"{p}.downsample.0",
                    cin,
                    width * 4,
                    1,
                    stride,
                    hw,
                    None,
                    nodes=(f"{p}.downsample.0", f"{p}.downsample.1"),
                )
                layers.append(ds)
            c3, _ = _conv(
                f"{p}.conv3 + {p}.add + {p}.relu3",
                width,
                width * 4,
                1,
                1,
                hw2,
                "RELU",
                residual=True,
                nodes=(f"{p}.conv3", f"{p}.bn3", f"{p}.add", f"{p}.relu_2"),
            )
            layers.append(c3)
            hw, cin = hw2, width * 4
        if stage == 3:
            # TensorRT often inserts a reformat where the preferred layouts of two tactics differ.
            layers.append(
                _memory_layer(
                    "Reformatting CopyNode for Input Tensor 0 to layer4.0.conv1 + layer4.0.relu1",
                    "Reformat",
                    cin * hw * hw,
                    cin * hw * hw,
                    (BATCH, cin, hw, hw),
                    (BATCH, cin, hw, hw),
                    origin="REFORMAT",
                )
            )
    layers.append(
        _memory_layer("avgpool", "CaskPooling", cin * hw * hw, cin, (BATCH, cin, hw, hw), (BATCH, cin, 1, 1))
    )
    fc, _ = _conv("fc", cin, 1000, 1, 1, 1, None, nodes=("flatten", "fc"))
    fc_info = LayerInfo(
        name="fc",
        type="CaskGemm",
        precision="FP16",
        tactic="sm90_xmma_gemm_f16f16_f16f32_f32_tn_n_tilesize64x64x64",
        inputs=(TensorInfo("fc:in", (BATCH, cin), "FP16"),),
        outputs=(TensorInfo("fc:out", (BATCH, 1000), "FP16"),),
        onnx_nodes=("flatten", "fc"),
    )
    layers.append(SimLayer(fc_info, fc.cost_ms))
    layers.append(
        SimLayer(
            LayerInfo(
                name="Reformatting CopyNode for Output Tensor 0 to fc",
                type="Reformat",
                precision="FP32",
                inputs=(TensorInfo("fc:out", (BATCH, 1000), "FP16"),),
                outputs=(
                    TensorInfo("logits", (BATCH, 1000), "FP32", "Row major linear FP32 format (kLINEAR)"),
                ),
                origin="REFORMAT",
            ),
            LAUNCH_US / 1000,
        )
    )
    return [SimLayer(with_rule(x.info), x.cost_ms) for x in layers]  # precision by the README's rule


def scaled_layers(n: int) -> list[SimLayer]:
    """`n` layers for stress tests: ResNet-50's layers repeated as numbered blocks.

    The first repetition keeps the real names; later ones get a `blockK/` prefix.
    """
    base = resnet50_layers()
    if n <= len(base):
        return base[:n]
    out: list[SimLayer] = []
    rep = 0
    while len(out) < n:
        for layer in base:
            if len(out) == n:
                break
            if rep == 0:
                out.append(layer)
            else:
                renamed = replace(layer.info, name=f"block{rep}/{layer.info.name}")
                out.append(SimLayer(renamed, layer.cost_ms))
        rep += 1
    return out


def layer_costs(layers: list[SimLayer]) -> npt.NDArray[Any]:
    """The layers' costs (ms) in layer order, as one array."""
    return np.array([layer.cost_ms for layer in layers])
