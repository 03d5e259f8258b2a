"""Generate ResNet-18 and ResNet-50 ONNX models with seeded random weights (no download).

TensorRT engines are specific to one GPU and one TensorRT version, so trtui ships no engine: this
script writes the ONNX model that you turn into an engine on your own GPU (see README.md beside it).

The architecture is torchvision's: a 7x7/2 stem convolution, ReLU and a 3x3/2 max pool, four stages
of BasicBlocks ([2, 2, 2, 2], ResNet-18) or Bottlenecks ([3, 4, 6, 3], expansion 4, stride on the
3x3 convolution as in torchvision's "V1.5", ResNet-50) with strided 1x1 downsample convolutions,
global average pooling, flatten and a fully-connected layer to 1000 classes. Every BatchNorm is
folded into the convolution before it, so the graph holds only Conv, Relu, Add, MaxPool,
GlobalAveragePool, Flatten and Gemm: the graph TensorRT sees after its own BN fusion anyway.

The weights are random (He-normal convolutions, seeded), not trained: the outputs mean nothing, the
timings are real. The last BatchNorm of each residual branch gets a small scale, so activations
stay well inside the float16 range at every depth (engines built with --fp16 neither overflow nor
produce NaNs).

    python sample_engines/make_onnx.py --model resnet50            # -> ./resnet50.onnx
    python sample_engines/make_onnx.py --model all --dynamic-batch --out-dir models/
    python sample_engines/make_onnx.py --model resnet50 --qdq convs  # -> ./resnet50_qdq.onnx (INT8)

`--qdq` writes an explicitly quantized (QAT-style) model that TensorRT builds in INT8 with no
calibration data: QuantizeLinear/DequantizeLinear pairs on every convolution's data input (per-tensor
scale) and weights (per-output-channel scale, axis 0, symmetric, zero point 0). `convs` leaves each
residual Add's identity input unquantized, so TensorRT cannot fuse the Add into the INT8 convolution
and runs it in a higher precision: the classic INT8 pitfall, kept on purpose for comparison.
`residual` also quantizes that input, so the Add (and the ReLU after it) fuse into the convolution.
Scales are fixed, not calibrated (activations: amax 8, weights: each channel's max |w|): the
timings are those of a real INT8 network, the outputs mean nothing.

Importable too: `from sample_engines.make_onnx import build_resnet`.
Needs numpy and the `onnx` package (`pip install "trtui[onnx]"`).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

import numpy as np

if TYPE_CHECKING:
    import onnx

PROG = "make_onnx.py"
INSTALL_HINT = 'pip install "trtui[onnx]"'
INPUT_NAME = "input"
OUTPUT_NAME = "logits"
BATCH_DIM = "batch"
IMAGE_SIZE = 224
NUM_CLASSES = 1000
DEFAULT_OPSET = 17
MIN_OPSET = 13  # Flatten-13, Gemm-13, Relu/Add-14 ... all ops used have their current form from 13 on
BN_EPS = 1e-5
QDQ_MODES = ("none", "convs", "residual")
ACT_AMAX = 8.0  # fixed activation range for --qdq (not calibrated: the weights are random anyway)
# Scale of the last BatchNorm in each residual branch. With a scale of 1 the activations' variance
# doubles at each block (~2**16 after ResNet-50's 16 blocks); with 0.25 it grows ~6 % per block.
BRANCH_OUT_SCALE = 0.25


@dataclass(frozen=True)
class ResNetSpec:
    """Block kind and blocks per stage of one ResNet variant."""

    name: str
    block: str  # "basic" (two 3x3 convs) or "bottleneck" (1x1, 3x3, 1x1 with expansion 4)
    layers: tuple[int, int, int, int]

    @property
    def expansion(self) -> int:
        return 4 if self.block == "bottleneck" else 1


SPECS: dict[str, ResNetSpec] = {
    "resnet18": ResNetSpec("resnet18", "basic", (2, 2, 2, 2)),
    "resnet50": ResNetSpec("resnet50", "bottleneck", (3, 4, 6, 3)),
}


class OnnxMissingError(ImportError):
    """The optional `onnx` package is not installed."""

    def __init__(self) -> None:
        super().__init__(f"the 'onnx' package is not installed: {INSTALL_HINT}")


class UsageError(Exception):
    """A bad command line or output location: printed as one line, exit code 2."""


def _import_onnx() -> Any:
    try:
        import onnx
    except ImportError as err:
        raise OnnxMissingError() from err
    return onnx


def fold_batchnorm(
    weight: np.ndarray,
    gamma: np.ndarray,
    beta: np.ndarray,
    mean: np.ndarray,
    var: np.ndarray,
    eps: float = BN_EPS,
) -> tuple[np.ndarray, np.ndarray]:
    """Fold BatchNorm(gamma, beta, mean, var) after a bias-free conv into the conv's weight and bias.

    BN(conv(x)) = gamma * (W*x - mean) / sqrt(var + eps) + beta = (s*W)*x + (beta - s*mean),
    with s = gamma / sqrt(var + eps) per output channel.
    """
    scale = gamma / np.sqrt(var + eps)
    folded_w = weight * scale.reshape(-1, *([1] * (weight.ndim - 1)))
    folded_b = beta - mean * scale
    return folded_w.astype(np.float32), folded_b.astype(np.float32)


class _GraphBuilder:
    """Collects nodes and initializers in execution order; draws weights from one seeded stream."""

    def __init__(self, onnx_mod: Any, seed: int, qdq: str = "none") -> None:
        self.onnx = onnx_mod
        self.helper = onnx_mod.helper
        self.rng = np.random.default_rng(seed)
        self.nodes: list[Any] = []
        self.initializers: list[Any] = []
        self.qdq = qdq

    def quantize(self, name: str, x: str, scale: np.ndarray, axis: int | None = None) -> str:
        """QuantizeLinear + DequantizeLinear on `x` (symmetric INT8: zero point 0), as QAT exports write
        them; per-tensor for a scalar `scale`, per-channel along `axis` otherwise."""
        scale = np.asarray(scale, dtype=np.float32)
        zero = np.zeros(scale.shape, dtype=np.int8)
        s_name = self._init(f"{name}.scale", scale)
        z_name = self._init(f"{name}.zero_point", zero)
        attrs = {} if axis is None else {"axis": axis}
        q = f"{name}.q"
        self.nodes.append(self.helper.make_node("QuantizeLinear", [x, s_name, z_name], [q],
                                                name=f"{name}.QuantizeLinear", **attrs))
        dq = f"{name}.dq"
        self.nodes.append(self.helper.make_node("DequantizeLinear", [q, s_name, z_name], [dq],
                                                name=f"{name}.DequantizeLinear", **attrs))
        return dq

    def quantize_activation(self, name: str, x: str) -> str:
        return self.quantize(name, x, np.float32(ACT_AMAX / 127.0))

    def _init(self, name: str, array: np.ndarray) -> str:
        self.initializers.append(self.onnx.numpy_helper.from_array(np.ascontiguousarray(array), name))
        return name

    def conv_bn(
        self,
        name: str,
        x: str,
        c_in: int,
        c_out: int,
        kernel: int,
        stride: int,
        bn_name: str,
        bn_scale: float = 1.0,
    ) -> str:
        """A bias-free conv (He-normal) followed by a BatchNorm, emitted as one folded Conv node."""
        fan_in = c_in * kernel * kernel
        w = self.rng.standard_normal((c_out, c_in, kernel, kernel), dtype=np.float32)
        w *= np.float32(np.sqrt(2.0 / fan_in))
        gamma = self.rng.uniform(0.9, 1.1, c_out).astype(np.float32) * np.float32(bn_scale)
        beta = (0.02 * self.rng.standard_normal(c_out)).astype(np.float32)
        mean = (0.05 * self.rng.standard_normal(c_out)).astype(np.float32)
        var = self.rng.uniform(0.8, 1.25, c_out).astype(np.float32)
        w, b = fold_batchnorm(w, gamma, beta, mean, var)
        pad = kernel // 2
        out = f"{name}.out"
        w_in = self._init(f"{name}.weight", w)
        if self.qdq != "none":
            x = self.quantize_activation(f"{name}.input_quantizer", x)
            amax = np.abs(w).reshape(c_out, -1).max(axis=1)
            w_in = self.quantize(f"{name}.weight_quantizer", w_in, np.maximum(amax, 1e-8) / 127.0, axis=0)
        self.nodes.append(
            self.helper.make_node(
                "Conv",
                [x, w_in, self._init(f"{name}.bias", b)],
                [out],
                name=name,
                doc_string=f"{name} with {bn_name} folded in",
                kernel_shape=[kernel, kernel],
                strides=[stride, stride],
                pads=[pad, pad, pad, pad],
                dilations=[1, 1],
                group=1,
            )
        )
        return out

    def op(self, op_type: str, name: str, inputs: list[str], **attrs: Any) -> str:
        out = f"{name}.out"
        self.nodes.append(self.helper.make_node(op_type, inputs, [out], name=name, **attrs))
        return out

    def relu(self, name: str, x: str) -> str:
        return self.op("Relu", name, [x])

    def fc(self, name: str, x: str, c_in: int, c_out: int, out: str) -> str:
        # torchvision's nn.Linear init: uniform(-1/sqrt(fan_in), 1/sqrt(fan_in)) for weight and bias.
        bound = 1.0 / np.sqrt(c_in)
        w = self.rng.uniform(-bound, bound, (c_out, c_in)).astype(np.float32)
        b = self.rng.uniform(-bound, bound, c_out).astype(np.float32)
        self.nodes.append(
            self.helper.make_node(
                "Gemm",
                [x, self._init(f"{name}.weight", w), self._init(f"{name}.bias", b)],
                [out],
                name=name,
                transB=1,
            )
        )
        return out


def _basic_block(g: _GraphBuilder, prefix: str, x: str, c_in: int, planes: int, stride: int) -> str:
    y = g.conv_bn(f"{prefix}.conv1", x, c_in, planes, 3, stride, f"{prefix}.bn1")
    y = g.relu(f"{prefix}.relu1", y)
    y = g.conv_bn(f"{prefix}.conv2", y, planes, planes, 3, 1, f"{prefix}.bn2", BRANCH_OUT_SCALE)
    identity = x
    if stride != 1 or c_in != planes:
        identity = g.conv_bn(f"{prefix}.downsample.0", x, c_in, planes, 1, stride, f"{prefix}.downsample.1")
    y = g.op("Add", f"{prefix}.add", [y, _residual_input(g, prefix, identity)])
    return g.relu(f"{prefix}.relu2", y)


def _residual_input(g: _GraphBuilder, prefix: str, identity: str) -> str:
    """The identity input of a residual Add: quantized only with --qdq residual (then TensorRT fuses
    the Add into the INT8 convolution before it)."""
    if g.qdq == "residual":
        return g.quantize_activation(f"{prefix}.residual_quantizer", identity)
    return identity


def _bottleneck(g: _GraphBuilder, prefix: str, x: str, c_in: int, planes: int, stride: int) -> str:
    c_out = planes * 4
    y = g.conv_bn(f"{prefix}.conv1", x, c_in, planes, 1, 1, f"{prefix}.bn1")
    y = g.relu(f"{prefix}.relu1", y)
    y = g.conv_bn(f"{prefix}.conv2", y, planes, planes, 3, stride, f"{prefix}.bn2")
    y = g.relu(f"{prefix}.relu2", y)
    y = g.conv_bn(f"{prefix}.conv3", y, planes, c_out, 1, 1, f"{prefix}.bn3", BRANCH_OUT_SCALE)
    identity = x
    if stride != 1 or c_in != c_out:
        identity = g.conv_bn(f"{prefix}.downsample.0", x, c_in, c_out, 1, stride, f"{prefix}.downsample.1")
    y = g.op("Add", f"{prefix}.add", [y, _residual_input(g, prefix, identity)])
    return g.relu(f"{prefix}.relu3", y)


def _check_options(model: str, batch: int, opset: int, seed: int, qdq: str = "none") -> None:
    if qdq not in QDQ_MODES:
        raise ValueError(f"unknown qdq mode {qdq!r}: choose one of {', '.join(QDQ_MODES)}")
    if model not in SPECS:
        raise ValueError(f"unknown model {model!r}: choose one of {', '.join(SPECS)}")
    if batch < 1:
        raise ValueError(f"batch must be at least 1, got {batch}")
    if opset < MIN_OPSET:
        raise ValueError(f"opset must be at least {MIN_OPSET}, got {opset}")
    if seed < 0:
        raise ValueError(f"seed must be 0 or more, got {seed}")


def build_resnet(
    model: str = "resnet50",
    *,
    batch: int = 1,
    dynamic_batch: bool = False,
    opset: int = DEFAULT_OPSET,
    seed: int = 0,
    qdq: str = "none",
) -> onnx.ModelProto:
    """Build a torchvision-layout ResNet ("resnet18" or "resnet50") with seeded random weights.

    Input `input` [N, 3, 224, 224] float32, output `logits` [N, 1000] float32; N is `batch`, or the
    symbolic dimension "batch" when `dynamic_batch` is true. The same arguments give the same bytes.
    `qdq` ("none", "convs", "residual"): explicit INT8 quantization, see the module docstring; the
    weights drawn are the same as without it.
    Raises OnnxMissingError without the `onnx` package and ValueError for bad arguments.
    """
    _check_options(model, batch, opset, seed, qdq)
    onnx_mod = _import_onnx()
    helper = onnx_mod.helper
    max_opset = int(onnx_mod.defs.onnx_opset_version())
    if opset > max_opset:
        raise ValueError(f"opset must be at most {max_opset} (the installed onnx's newest), got {opset}")
    spec = SPECS[model]
    g = _GraphBuilder(onnx_mod, seed, qdq)

    x = g.conv_bn("conv1", INPUT_NAME, 3, 64, 7, 2, "bn1")
    x = g.relu("relu", x)
    x = g.op("MaxPool", "maxpool", [x], kernel_shape=[3, 3], strides=[2, 2], pads=[1, 1, 1, 1])
    c_in = 64
    block = _bottleneck if spec.block == "bottleneck" else _basic_block
    for stage, (planes, blocks) in enumerate(zip((64, 128, 256, 512), spec.layers, strict=True), start=1):
        for i in range(blocks):
            stride = 2 if stage > 1 and i == 0 else 1
            x = block(g, f"layer{stage}.{i}", x, c_in, planes, stride)
            c_in = planes * spec.expansion
    x = g.op("GlobalAveragePool", "avgpool", [x])
    x = g.op("Flatten", "flatten", [x], axis=1)
    g.fc("fc", x, c_in, NUM_CLASSES, OUTPUT_NAME)

    n: int | str = BATCH_DIM if dynamic_batch else batch
    graph = helper.make_graph(
        g.nodes,
        spec.name,
        [
            helper.make_tensor_value_info(
                INPUT_NAME, onnx_mod.TensorProto.FLOAT, [n, 3, IMAGE_SIZE, IMAGE_SIZE]
            )
        ],
        [helper.make_tensor_value_info(OUTPUT_NAME, onnx_mod.TensorProto.FLOAT, [n, NUM_CLASSES])],
        initializer=g.initializers,
    )
    opsets = [helper.make_opsetid("", opset)]
    proto: onnx.ModelProto = helper.make_model(
        graph,
        opset_imports=opsets,
        # The oldest IR version that carries this opset: readable by older parsers and runtimes.
        ir_version=helper.find_min_ir_version_for(opsets),
        producer_name="trtui sample_engines/make_onnx.py",
        producer_version="1",
        doc_string=f"{spec.name} (torchvision layout, BatchNorm folded) with seeded random weights: "
        "not trained, its outputs are meaningless; for timing and profiling only.",
    )
    helper.set_model_props(
        proto,
        {
            "trtui.sample.model": spec.name,
            "trtui.sample.seed": str(seed),
            "trtui.sample.weights": "random (He-normal, seeded), not trained",
            "trtui.sample.qdq": qdq,
        },
    )
    return proto


def parameter_count(model: onnx.ModelProto) -> int:
    """Number of weight values (all initializers)."""
    return sum(int(np.prod(t.dims, dtype=np.int64)) for t in model.graph.initializer)


def output_name(model: str, batch: int = 1, dynamic_batch: bool = False, qdq: str = "none") -> str:
    """File name for a generated model: resnet50.onnx, resnet50_b8.onnx, resnet50_dynamic.onnx, and
    with explicit quantization resnet50_qdq.onnx (convs) or resnet50_qdq_res.onnx (residual)."""
    tag = {"none": "", "convs": "_qdq", "residual": "_qdq_res"}[qdq]
    if dynamic_batch:
        return f"{model}_dynamic{tag}.onnx"
    return f"{model}{tag}.onnx" if batch == 1 else f"{model}_b{batch}{tag}.onnx"


def write_atomic(data: bytes, path: Path) -> None:
    """Write `data` to `path` via a temporary file in the same directory and os.replace."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)  # mkstemp makes 0600; give the usual permissions
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        raise UsageError(f"{message} (see '{self.prog} --help')")


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


def _nonnegative_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be 0 or more, got {value}")
    return value


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog=PROG,
        description="Write ResNet-18/ResNet-50 ONNX models (torchvision layout, BatchNorm folded, seeded "
        "random weights) to build TensorRT engines from on your own GPU. No download.",
    )
    parser.add_argument("--model", choices=[*SPECS, "all"], default="all", help="which model (default: all)")
    parser.add_argument(
        "--batch",
        type=_positive_int,
        default=None,
        metavar="N",
        help="fixed batch size (default: 1); the file is MODEL.onnx for 1, MODEL_bN.onnx otherwise",
    )
    parser.add_argument(
        "--dynamic-batch",
        action="store_true",
        help=f"make the batch dimension symbolic ('{BATCH_DIM}'); the file is MODEL_dynamic.onnx",
    )
    parser.add_argument(
        "--opset",
        type=_positive_int,
        default=DEFAULT_OPSET,
        help=f"ONNX opset ({MIN_OPSET} up to the installed onnx's newest; default: {DEFAULT_OPSET})",
    )
    parser.add_argument("--seed", type=_nonnegative_int, default=0, help="weight seed (default: 0)")
    parser.add_argument(
        "--qdq",
        choices=QDQ_MODES,
        default="none",
        help="explicit INT8 quantization (Q/DQ pairs, no calibration needed): 'convs' on every "
        "convolution's input and weights (residual Adds stay in higher precision), 'residual' also on "
        "the Adds' identity inputs (default: none)",
    )
    parser.add_argument(
        "--out-dir", type=Path, default=Path("."), metavar="DIR", help="where to write (default: .)"
    )
    return parser


def _prepare_out_dir(out_dir: Path) -> None:
    if out_dir.exists() and not out_dir.is_dir():
        raise UsageError(
            f"--out-dir {out_dir} is not a directory: give a directory (it is created if missing)"
        )
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise UsageError(f"cannot create --out-dir {out_dir}: {err.strerror or err}") from None
    if not os.access(out_dir, os.W_OK | os.X_OK):
        raise UsageError(f"cannot write to --out-dir {out_dir}: choose a writable directory")


def main(argv: Sequence[str] | None = None) -> int:
    try:
        args = build_parser().parse_args(argv)
        if args.dynamic_batch and args.batch is not None:
            raise UsageError(
                "--batch and --dynamic-batch exclude each other: a dynamic model has no fixed batch"
            )
        batch = 1 if args.batch is None else args.batch
        if args.opset < MIN_OPSET:
            raise UsageError(f"--opset must be at least {MIN_OPSET}, got {args.opset}")
        _import_onnx()
        _prepare_out_dir(args.out_dir)
        models = list(SPECS) if args.model == "all" else [args.model]
        for name in models:
            try:
                proto = build_resnet(
                    name, batch=batch, dynamic_batch=args.dynamic_batch, opset=args.opset, seed=args.seed,
                    qdq=args.qdq,
                )
            except ValueError as err:
                raise UsageError(str(err)) from None
            path = args.out_dir / output_name(name, batch, args.dynamic_batch, args.qdq)
            data = proto.SerializeToString()
            try:
                write_atomic(data, path)
            except OSError as err:
                raise UsageError(f"cannot write {path}: {err.strerror or err}") from None
            shape = f"[{BATCH_DIM if args.dynamic_batch else batch},3,{IMAGE_SIZE},{IMAGE_SIZE}]"
            print(
                f"wrote {path} ({parameter_count(proto):,} parameters, {len(data) / 2**20:.1f} MiB, "
                f"input '{INPUT_NAME}' {shape}, opset {args.opset}, seed {args.seed}"
                + (f", Q/DQ {args.qdq}" if args.qdq != "none" else "") + ")"
            )
    except OnnxMissingError as err:
        print(f"{PROG}: error: {err}", file=sys.stderr)
        return 2
    except UsageError as err:
        print(f"{PROG}: error: {err}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"{PROG}: interrupted", file=sys.stderr)
        return 130
    print("next: build an engine on your GPU with trtexec; see sample_engines/README.md")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
