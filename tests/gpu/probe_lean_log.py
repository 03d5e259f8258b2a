"""Device diagnostic (not a test): print what the real TensorRT lean runtime logs when asked to
deserialize bytes that are not a loadable engine, next to trtui's one-line explanation.

    python tests/gpu/probe_lean_log.py
"""

from __future__ import annotations

from typing import Any

from trtui.common.errors import UserError
from trtui.gpu.runtime.cuda_check import check_cuda_device
from trtui.gpu.runtime.engine_load import load_engine
from trtui.gpu.runtime.trt_logger import VERBOSE, LogStore
from trtui.gpu.runtime.trt_module import load_trt_module
from trtui.gpu.runtime.worker import GpuWorker, PycudaPlatform

CASES = {
    "empty": b"",
    "garbage": b"this is not an engine at all" * 10,
    "ftrt+12": b"ftrt" + bytes(12),
    "ftrt+4096": b"ftrt" + bytes(4096),
    "ptrt+4096": b"ptrt" + bytes(4096),
    "xyzw+4096": b"xyzw" + bytes(4096),
    "onnx-bytes": b"\x08\x07\x12\x07pytorch" + bytes(200),
}


def main() -> None:
    facts = check_cuda_device(0)
    trt = load_trt_module()
    print(
        f"device: {facts.name} cc {facts.compute_capability} driver {facts.driver_version}; "
        f"module {trt.name} {trt.version} lean={trt.lean}"
    )
    for label, data in CASES.items():
        store = LogStore(min_severity=VERBOSE)

        def setup(driver: Any, res: Any, emit: Any, data: bytes = data, store: LogStore = store) -> Any:
            load_engine(trt, data, path="x.engine", allow_host_code=False, plugins=(), res=res, store=store)
            raise AssertionError("loaded")

        worker = GpuWorker(PycudaPlatform(0), setup)
        try:
            worker.start(timeout=60)
            msg = "LOADED?!"
        except UserError as err:
            msg = str(err)
        print(f"== {label}: trtui says: {msg}")
        for ln in store.since(0):
            print(f"   log [{ln.severity}] {ln.message}")


if __name__ == "__main__":
    main()
