"""sample_engines/make_onnx.py: valid, torchvision-shaped, deterministic ResNet ONNX models and a CLI
that fails with one line and exit code 2."""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from collections import Counter
from pathlib import Path
from typing import Any

import numpy as np
import pytest

REPO = Path(__file__).resolve().parents[2]
if str(REPO) not in sys.path:  # `pytest` (unlike `python -m pytest`) does not put the root on sys.path
    sys.path.insert(0, str(REPO))

from sample_engines import make_onnx  # noqa: E402
from sample_engines.make_onnx import build_resnet, fold_batchnorm, parameter_count  # noqa: E402

SCRIPT = REPO / "sample_engines" / "make_onnx.py"

# torchvision's published parameter counts (torchvision.models.resnet18/50, weights' "num_params").
TORCHVISION_PARAMS = {"resnet18": 11_689_512, "resnet50": 25_557_032}
# Every torchvision conv is bias-free and followed by a BatchNorm with 2*C parameters (weight, bias;
# running mean/var are buffers, not parameters). Folding turns each BN into a conv bias of C values,
# so the folded model has C fewer parameters per BN, where C sums over all BNs:
#   resnet18: bn1 64 + layer1 4*64 + layer2 4*128+128 + layer3 4*256+256 + layer4 4*512+512 = 4,800
#   resnet50: bn1 64 + per bottleneck 6*planes (planes, planes, 4*planes) over [3,4,6,3] blocks of
#             planes 64/128/256/512, plus downsample BNs 256+512+1024+2048 = 26,560
BN_CHANNELS = {"resnet18": 4_800, "resnet50": 26_560}
FOLDED_PARAMS = {"resnet18": 11_684_712, "resnet50": 25_530_472}

ALLOWED_OPS = {"Conv", "Relu", "Add", "MaxPool", "GlobalAveragePool", "Flatten", "Gemm"}
# torchvision: resnet18 has 20 convs (1 + 8 blocks * 2 + 3 downsamples), resnet50 has 53
# (1 + 16 blocks * 3 + 4 downsamples); a ReLU after the stem, after each inner conv and after each add.
EXPECTED_OPS = {
    "resnet18": {
        "Conv": 20,
        "Relu": 17,
        "Add": 8,
        "MaxPool": 1,
        "GlobalAveragePool": 1,
        "Flatten": 1,
        "Gemm": 1,
    },
    "resnet50": {
        "Conv": 53,
        "Relu": 49,
        "Add": 16,
        "MaxPool": 1,
        "GlobalAveragePool": 1,
        "Flatten": 1,
        "Gemm": 1,
    },
}
# Channels and spatial size after each stage for a 224x224 input.
STAGE_OUT = {
    "resnet18": [(64, 56), (128, 28), (256, 14), (512, 7)],
    "resnet50": [(256, 56), (512, 28), (1024, 14), (2048, 7)],
}
LAST_BLOCK = {"resnet18": [1, 1, 1, 1], "resnet50": [2, 3, 5, 2]}


def _onnx() -> Any:
    return pytest.importorskip("onnx", reason="the onnx package is not installed (pip install 'trtui[onnx]')")


def _ort() -> Any:
    return pytest.importorskip("onnxruntime", reason="onnxruntime is not installed (test extra)")


@pytest.fixture(scope="module")
def models(tmp_path_factory: pytest.TempPathFactory) -> dict[tuple[str, str], Path]:
    """Both models, static batch 1 and dynamic, written through the CLI."""
    _onnx()
    out = tmp_path_factory.mktemp("models")
    assert make_onnx.main(["--model", "all", "--out-dir", str(out)]) == 0
    assert make_onnx.main(["--model", "all", "--dynamic-batch", "--out-dir", str(out)]) == 0
    return {
        (name, kind): out / (f"{name}.onnx" if kind == "static" else f"{name}_dynamic.onnx")
        for name in ("resnet18", "resnet50")
        for kind in ("static", "dynamic")
    }


def _session(path: Path) -> Any:
    ort = _ort()
    opts = ort.SessionOptions()
    opts.intra_op_num_threads = 2
    return ort.InferenceSession(str(path), opts, providers=["CPUExecutionProvider"])


@pytest.mark.parametrize("name", ["resnet18", "resnet50"])
@pytest.mark.parametrize("kind", ["static", "dynamic"])
def test_generated_model_passes_the_full_onnx_checker(
    models: dict[tuple[str, str], Path], name: str, kind: str
) -> None:
    onnx = _onnx()
    onnx.checker.check_model(str(models[name, kind]), full_check=True)


@pytest.mark.parametrize("name", ["resnet18", "resnet50"])
def test_onnxruntime_gives_finite_logits_of_the_right_shape(
    models: dict[tuple[str, str], Path], name: str
) -> None:
    rng = np.random.default_rng(123)
    x2 = rng.standard_normal((2, 3, 224, 224), dtype=np.float32)

    static = _session(models[name, "static"])
    (y0,) = static.run(["logits"], {"input": x2[:1]})
    (y1,) = static.run(["logits"], {"input": x2[1:]})
    assert y0.shape == (1, 1000)
    assert y0.dtype == np.float32
    assert np.isfinite(y0).all()
    assert not np.array_equal(y0, y1)  # the input matters

    dynamic = _session(models[name, "dynamic"])
    (y,) = dynamic.run(["logits"], {"input": x2})
    assert y.shape == (2, 1000)
    assert np.isfinite(y).all()
    # Same seed, same weights: the dynamic model computes what the static one does, sample by sample.
    np.testing.assert_allclose(y, np.concatenate([y0, y1]), rtol=1e-4, atol=1e-4)

    with pytest.raises(Exception, match=r"(?i)dimension|shape"):
        static.run(["logits"], {"input": x2})  # the static model has a fixed batch of 1


@pytest.mark.parametrize("name", ["resnet18", "resnet50"])
def test_signature_input_and_logits(models: dict[tuple[str, str], Path], name: str) -> None:
    onnx = _onnx()
    for kind, batch in (("static", 1), ("dynamic", "batch")):
        graph = onnx.load(str(models[name, kind]), load_external_data=False).graph
        (inp,), (out,) = graph.input, graph.output
        assert inp.name == "input"
        assert out.name == "logits"
        assert inp.type.tensor_type.elem_type == onnx.TensorProto.FLOAT
        assert out.type.tensor_type.elem_type == onnx.TensorProto.FLOAT

        def dims(value_info: Any) -> list[int | str]:
            return [d.dim_param or d.dim_value for d in value_info.type.tensor_type.shape.dim]

        assert dims(inp) == [batch, 3, 224, 224]
        assert dims(out) == [batch, 1000]


def test_fixed_batch_other_than_one(tmp_path: Path) -> None:
    onnx = _onnx()
    assert make_onnx.main(["--model", "resnet18", "--batch", "3", "--out-dir", str(tmp_path)]) == 0
    path = tmp_path / "resnet18_b3.onnx"
    model = onnx.load(str(path))
    assert [d.dim_value for d in model.graph.input[0].type.tensor_type.shape.dim] == [3, 3, 224, 224]
    x = np.random.default_rng(0).standard_normal((3, 3, 224, 224), dtype=np.float32)
    (y,) = _session(path).run(["logits"], {"input": x})
    assert y.shape == (3, 1000)


@pytest.mark.parametrize("name", ["resnet18", "resnet50"])
def test_architecture_follows_torchvision(name: str) -> None:
    onnx = _onnx()
    model = build_resnet(name)
    nodes = model.graph.node
    assert {n.op_type for n in nodes} == ALLOWED_OPS
    assert dict(Counter(n.op_type for n in nodes)) == EXPECTED_OPS[name]
    names = [n.name for n in nodes]
    assert all(names) and len(set(names)) == len(names), "every node has a unique name"

    by_name = {n.name: n for n in nodes}

    def attrs(node_name: str) -> dict[str, Any]:
        return {a.name: onnx.helper.get_attribute_value(a) for a in by_name[node_name].attribute}

    assert [names[0], names[1], names[2]] == ["conv1", "relu", "maxpool"]
    assert names[-3:] == ["avgpool", "flatten", "fc"]
    stem = attrs("conv1")
    assert (stem["kernel_shape"], stem["strides"], stem["pads"]) == ([7, 7], [2, 2], [3, 3, 3, 3])
    pool = attrs("maxpool")
    assert (pool["kernel_shape"], pool["strides"], pool["pads"]) == ([3, 3], [2, 2], [1, 1, 1, 1])

    # Strided 1x1 downsample convs where the shape changes; stride 2 on the 3x3 conv (torchvision V1.5).
    downsamples = sorted(n for n in names if n.endswith("downsample.0"))
    expected_ds = ["layer2.0.downsample.0", "layer3.0.downsample.0", "layer4.0.downsample.0"]
    if name == "resnet50":
        expected_ds = ["layer1.0.downsample.0", *expected_ds]
    assert downsamples == expected_ds
    for ds in downsamples:
        a = attrs(ds)
        assert a["kernel_shape"] == [1, 1]
        assert a["strides"] == ([1, 1] if ds.startswith("layer1") else [2, 2])
    strided_3x3 = "layer2.0.conv2" if name == "resnet50" else "layer2.0.conv1"
    assert attrs(strided_3x3)["kernel_shape"] == [3, 3]
    assert attrs(strided_3x3)["strides"] == [2, 2]

    # Stage output shapes, from ONNX shape inference.
    inferred = onnx.shape_inference.infer_shapes(model, strict_mode=True)
    shapes = {
        vi.name: [d.dim_value for d in vi.type.tensor_type.shape.dim] for vi in inferred.graph.value_info
    }
    last_relu = "relu2" if name == "resnet18" else "relu3"
    for stage, ((channels, size), last) in enumerate(zip(STAGE_OUT[name], LAST_BLOCK[name], strict=True), 1):
        assert shapes[f"layer{stage}.{last}.{last_relu}.out"] == [1, channels, size, size]
    assert shapes["flatten.out"] == [1, STAGE_OUT[name][-1][0]]


@pytest.mark.parametrize("name", ["resnet18", "resnet50"])
def test_parameter_count_is_torchvision_with_batchnorm_folded(name: str) -> None:
    _onnx()
    model = build_resnet(name)
    count = parameter_count(model)
    assert count == FOLDED_PARAMS[name] == TORCHVISION_PARAMS[name] - BN_CHANNELS[name]
    # Cross-check from the graph itself: the conv biases are exactly the folded BN channels, and adding
    # a second value per BN channel back gives torchvision's count.
    conv_bias = sum(
        int(np.prod(t.dims))
        for t in model.graph.initializer
        if t.name.endswith(".bias") and t.name != "fc.bias"
    )
    assert conv_bias == BN_CHANNELS[name]
    assert count + conv_bias == TORCHVISION_PARAMS[name]


def test_same_seed_gives_identical_bytes_and_another_seed_other_weights() -> None:
    onnx = _onnx()
    a = build_resnet("resnet18", seed=0).SerializeToString()
    assert build_resnet("resnet18", seed=0).SerializeToString() == a
    m0 = onnx.load_from_string(a)
    m1 = build_resnet("resnet18", seed=1)
    assert [n.name for n in m0.graph.node] == [n.name for n in m1.graph.node]
    w0 = {t.name: onnx.numpy_helper.to_array(t) for t in m0.graph.initializer}
    w1 = {t.name: onnx.numpy_helper.to_array(t) for t in m1.graph.initializer}
    assert w0.keys() == w1.keys()
    assert all(w0[k].shape == w1[k].shape and not np.array_equal(w0[k], w1[k]) for k in w0)


def test_cli_output_is_deterministic_on_disk(tmp_path: Path) -> None:
    _onnx()
    for sub in ("a", "b"):
        assert make_onnx.main(["--model", "resnet18", "--seed", "7", "--out-dir", str(tmp_path / sub)]) == 0
    assert (tmp_path / "a" / "resnet18.onnx").read_bytes() == (tmp_path / "b" / "resnet18.onnx").read_bytes()


def test_fold_batchnorm_matches_onnxruntime_batchnorm() -> None:
    onnx = _onnx()
    ort = _ort()
    helper, TP = onnx.helper, onnx.TensorProto
    rng = np.random.default_rng(5)
    c_in, c_out = 3, 4
    w = rng.standard_normal((c_out, c_in, 3, 3)).astype(np.float32)
    gamma, beta, mean = (rng.standard_normal(c_out).astype(np.float32) for _ in range(3))
    var = rng.uniform(0.1, 2.0, c_out).astype(np.float32)
    fw, fb = fold_batchnorm(w, gamma, beta, mean, var)
    assert fw.shape == w.shape and fb.shape == (c_out,)
    assert fw.dtype == fb.dtype == np.float32

    def run(nodes: list[Any], inits: dict[str, np.ndarray], x: np.ndarray) -> np.ndarray:
        graph = helper.make_graph(
            nodes,
            "g",
            [helper.make_tensor_value_info("x", TP.FLOAT, list(x.shape))],
            [helper.make_tensor_value_info("y", TP.FLOAT, None)],
            initializer=[onnx.numpy_helper.from_array(v, k) for k, v in inits.items()],
        )
        opsets = [helper.make_opsetid("", 17)]
        m = helper.make_model(graph, opset_imports=opsets, ir_version=helper.find_min_ir_version_for(opsets))
        sess = ort.InferenceSession(m.SerializeToString(), providers=["CPUExecutionProvider"])
        return np.asarray(sess.run(["y"], {"x": x})[0])

    x = rng.standard_normal((2, c_in, 8, 8)).astype(np.float32)
    conv = {"kernel_shape": [3, 3], "pads": [1, 1, 1, 1]}
    reference = run(
        [
            helper.make_node("Conv", ["x", "w"], ["c"], **conv),
            helper.make_node("BatchNormalization", ["c", "g", "b", "m", "v"], ["y"], epsilon=1e-5),
        ],
        {"w": w, "g": gamma, "b": beta, "m": mean, "v": var},
        x,
    )
    folded = run([helper.make_node("Conv", ["x", "fw", "fb"], ["y"], **conv)], {"fw": fw, "fb": fb}, x)
    np.testing.assert_allclose(folded, reference, rtol=1e-4, atol=1e-4)


def test_activations_stay_inside_the_float16_range() -> None:
    """Engines are built with --fp16: no activation at any depth may come near float16's 65504."""
    onnx = _onnx()
    ort = _ort()
    model = build_resnet("resnet50")
    for node in model.graph.node:
        if node.op_type in ("Conv", "Add", "Relu"):
            model.graph.output.append(onnx.helper.make_tensor_value_info(node.output[0], 1, None))
    sess = ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])
    x = np.random.default_rng(9).standard_normal((1, 3, 224, 224), dtype=np.float32)
    outputs = sess.run(None, {"input": x})
    assert len(outputs) == 1 + 53 + 16 + 49
    peak = max(float(np.abs(o).max()) for o in outputs)
    assert np.isfinite(peak)
    assert peak < 65504 / 64, f"activation peak {peak} leaves too little float16 headroom"


def test_cli_names_files_and_reports_one_line_each(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _onnx()
    out = tmp_path / "new" / "dir"  # created when missing
    assert make_onnx.main(["--model", "resnet18", "--dynamic-batch", "--out-dir", str(out)]) == 0
    assert make_onnx.main(["--model", "resnet18", "--batch", "4", "--out-dir", str(out)]) == 0
    assert sorted(p.name for p in out.iterdir()) == ["resnet18_b4.onnx", "resnet18_dynamic.onnx"]
    captured = capsys.readouterr()
    assert captured.err == ""
    wrote = [line for line in captured.out.splitlines() if line.startswith("wrote ")]
    assert len(wrote) == 2
    assert "resnet18_dynamic.onnx" in wrote[0] and "11,684,712 parameters" in wrote[0]
    assert "[batch,3,224,224]" in wrote[0] and "[4,3,224,224]" in wrote[1]
    mode = (out / "resnet18_b4.onnx").stat().st_mode & 0o777
    umask = os.umask(0)
    os.umask(umask)
    assert mode == 0o666 & ~umask  # not mkstemp's 0600


def test_script_runs_standalone(tmp_path: Path) -> None:
    """`python sample_engines/make_onnx.py` works from any directory, without trtui on sys.path."""
    _onnx()
    proc = subprocess.run(
        [sys.executable, str(SCRIPT), "--model", "resnet18", "--opset", "13", "--out-dir", "out"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        env={k: v for k, v in os.environ.items() if k != "PYTHONPATH"},
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr == ""
    onnx = _onnx()
    model = onnx.load(str(tmp_path / "out" / "resnet18.onnx"))
    assert model.opset_import[0].version == 13
    onnx.checker.check_model(model, full_check=True)


def _assert_one_line_error(err: str, *fragments: str) -> None:
    lines = err.splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("make_onnx.py: error: ")
    assert "Traceback" not in err
    for fragment in fragments:
        assert fragment in lines[0]


def test_missing_onnx_gives_one_line_and_exit_2(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setitem(sys.modules, "onnx", None)  # makes `import onnx` raise ImportError
    assert make_onnx.main(["--model", "resnet18", "--out-dir", str(tmp_path)]) == 2
    captured = capsys.readouterr()
    _assert_one_line_error(captured.err, 'pip install "trtui[onnx]"')
    assert captured.out == ""
    assert list(tmp_path.iterdir()) == []
    with pytest.raises(make_onnx.OnnxMissingError):
        build_resnet("resnet18")


@pytest.mark.parametrize(
    ("argv", "fragment"),
    [
        (["--model", "resnet34"], "resnet34"),
        (["--batch", "0"], "at least 1"),
        (["--batch", "two"], "two"),
        (["--opset", "9"], "at least 13"),
        (["--opset", "999"], "at most"),
        (["--seed", "-1"], "0 or more"),
        (["--dynamic-batch", "--batch", "2"], "--dynamic-batch"),
        (["--no-such-flag"], "--no-such-flag"),
        (["extra"], "extra"),
    ],
)
def test_bad_arguments_give_one_line_and_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], argv: list[str], fragment: str
) -> None:
    _onnx()  # with onnx missing, the missing package would be reported instead for some of these
    assert make_onnx.main([*argv, "--out-dir", str(tmp_path)]) == 2
    captured = capsys.readouterr()
    _assert_one_line_error(captured.err, fragment)
    assert list(tmp_path.iterdir()) == []


def test_out_dir_that_is_a_file_gives_one_line_and_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _onnx()
    not_a_dir = tmp_path / "file"
    not_a_dir.write_text("x")
    assert make_onnx.main(["--model", "resnet18", "--out-dir", str(not_a_dir)]) == 2
    _assert_one_line_error(capsys.readouterr().err, "not a directory")
    assert not_a_dir.read_text() == "x"


def test_build_resnet_rejects_bad_arguments() -> None:
    _onnx()
    for kwargs in ({"model": "vgg16"}, {"batch": 0}, {"opset": 12}, {"seed": -3}):
        with pytest.raises(ValueError):
            build_resnet(**kwargs)


def test_failed_write_keeps_the_old_file_and_leaves_no_temp(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "resnet18.onnx"
    target.write_bytes(b"old")

    def broken_replace(src: str, dst: str) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", broken_replace)
    with pytest.raises(OSError):
        make_onnx.write_atomic(b"new contents", target)
    assert target.read_bytes() == b"old"
    assert [p.name for p in tmp_path.iterdir()] == ["resnet18.onnx"]


def test_readme_commands_parse_and_name_the_files_they_write() -> None:
    """Every `make_onnx.py` command in sample_engines/README.md is accepted by the script's parser, and
    the file it writes is the one the README's trtexec commands read."""
    readme = (REPO / "sample_engines" / "README.md").read_text()
    commands = [
        line.split("make_onnx.py", 1)[1].split("#")[0].split()
        for line in readme.splitlines()
        if line.strip().startswith("python sample_engines/make_onnx.py")
    ]
    assert len(commands) >= 3
    for argv in commands:
        args = make_onnx.build_parser().parse_args(argv)
        models = ["resnet18", "resnet50"] if args.model == "all" else [args.model]
        for model in models:
            name = make_onnx.output_name(model, args.batch or 1, args.dynamic_batch, args.qdq)
            assert name in readme
    assert "--onnx=resnet50.onnx" in readme and "--onnx=resnet50_dynamic.onnx" in readme


@pytest.mark.parametrize("mode", ["convs", "residual"])
def test_qdq_models_quantize_what_they_say_and_compute_the_same_network(mode: str, tmp_path: Path) -> None:
    onnx = _onnx()
    plain = make_onnx.build_resnet("resnet18")
    quant = make_onnx.build_resnet("resnet18", qdq=mode)
    onnx.checker.check_model(quant, full_check=True)
    nodes = list(quant.graph.node)
    q = [n for n in nodes if n.op_type == "QuantizeLinear"]
    dq = [n for n in nodes if n.op_type == "DequantizeLinear"]
    convs = [n for n in nodes if n.op_type == "Conv"]
    adds = [n for n in nodes if n.op_type == "Add"]
    # every convolution's data input and weights pass a Q/DQ pair; the residual identities only in
    # "residual" mode (the pitfall kept in "convs": the Add stays in higher precision)
    assert len(q) == len(dq) == 2 * len(convs) + (len(adds) if mode == "residual" else 0)
    produced_by = {o: n for n in nodes for o in n.output}
    assert all(produced_by[c.input[0]].op_type == "DequantizeLinear" for c in convs)
    assert all(produced_by[c.input[1]].op_type == "DequantizeLinear" for c in convs)
    quantized_identity = [produced_by[a.input[1]].op_type == "DequantizeLinear" for a in adds]
    assert all(quantized_identity) if mode == "residual" else not any(quantized_identity)
    init = {t.name: onnx.numpy_helper.to_array(t) for t in quant.graph.initializer}
    weight_q = [n for n in q if n.input[0].endswith(".weight")]
    assert weight_q and all(n.attribute[0].name == "axis" and n.attribute[0].i == 0 for n in weight_q)
    assert all(not init[n.input[2]].any() and init[n.input[2]].dtype == np.int8 for n in q)  # symmetric
    # the same weights as the float model, and about the same logits (INT8 rounding)
    assert make_onnx.parameter_count(quant) > make_onnx.parameter_count(plain)
    x = np.random.default_rng(1).standard_normal((1, 3, 224, 224), dtype=np.float32)
    outs = []
    for model, name in ((plain, "plain.onnx"), (quant, "quant.onnx")):
        (tmp_path / name).write_bytes(model.SerializeToString())
        outs.append(_session(tmp_path / name).run(None, {"input": x})[0])
    assert np.corrcoef(outs[0].ravel(), outs[1].ravel())[0, 1] > 0.99
    assert make_onnx.output_name("resnet18", 1, False, mode) == {"convs": "resnet18_qdq.onnx",
                                                                  "residual": "resnet18_qdq_res.onnx"}[mode]


def test_build_engine_without_tensorrt_is_one_line(tmp_path: Path) -> None:
    if importlib.util.find_spec("tensorrt") is not None:
        pytest.skip("a tensorrt module is installed here")
    (tmp_path / "m.onnx").write_bytes(b"\x08\x07")
    done = subprocess.run(
        [sys.executable, str(REPO / "sample_engines" / "build_engine.py"), f"--onnx={tmp_path / 'm.onnx'}",
         f"--saveEngine={tmp_path / 'm.engine'}", "--fp16"],
        capture_output=True, text=True, timeout=60,
        env={k: v for k, v in os.environ.items() if k != "PYTHONPATH"},
    )
    assert done.returncode == 2
    assert done.stderr.startswith("build_engine.py: error: the full 'tensorrt' module does not import")
    assert len(done.stderr.strip().splitlines()) == 1 and not (tmp_path / "m.engine").exists()
