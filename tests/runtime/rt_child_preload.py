"""Imported first in a GPU child process (`TRTUI_CHILD_PRELOAD=rt_child_preload`, with tests/runtime
on PYTHONPATH): puts the fakes of `rt_fakes` behind the real start sequence, as the in-process
adapter tests do with monkeypatch. A full module (with an engine inspector) when
TRTUI_FAKE_FULL=1, else the lean one."""

from __future__ import annotations

import os

import rt_fakes as fk

import trtui.gpu.runtime.cuda_check as cuda_check
import trtui.gpu.runtime.cuda_graphs as cuda_graphs
import trtui.gpu.runtime.trt_module as trt_module
import trtui.gpu.runtime.worker as worker_mod
from trtui.gpu.runtime.cuda_check import DeviceFacts


class FullFakeTrt(fk.FakeTrt):
    """The full module's names: the inspector exists."""

    class EngineInspector:  # only its presence matters (engines create their own)
        pass


_facts = DeviceFacts(0, "Fake H100", (9, 0), 80 << 30, "13.0")
cuda_check.check_cuda_device = lambda index=0: _facts  # type: ignore[assignment]
if os.environ.get("TRTUI_FAKE_FULL") == "1":
    _module = trt_module.TrtModule("tensorrt", FullFakeTrt, "10.13.0.35")  # type: ignore[arg-type]
else:
    _module = trt_module.TrtModule("tensorrt_lean_bindings", fk.FakeTrt, "11.4.0.106")  # type: ignore[arg-type]
trt_module.load_trt_module = lambda names=(): _module  # type: ignore[assignment]
worker_mod.PycudaPlatform = lambda device=0: fk.FakePlatform()  # type: ignore[assignment,misc]
cuda_graphs.CudaGraphs = fk.FakeGraphs  # type: ignore[assignment,misc]

if os.environ.get("TRTUI_FAKE_STDERR"):  # what a driver or library prints in the GPU process
    import sys

    print(os.environ["TRTUI_FAKE_STDERR"], file=sys.stderr, flush=True)
