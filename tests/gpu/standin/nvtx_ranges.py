"""NVTX ranges as TensorRT emits them, for the GPU tests and the TensorRT stand-in.

TensorRT pushes one range per layer (named after the layer) in its own NVTX domain while it enqueues
that layer's kernels, inside an outer range around the whole enqueue. Here: a small C shim built
against the CUDA toolkit's header-only NVTX v3 (as TensorRT uses it), or the `nvtx` package when no
C compiler or headers are at hand. Either reaches CUPTI through `NVTX_INJECTION64_PATH`, read at the
first NVTX call of the process.
"""

from __future__ import annotations

import ctypes
import os
import shutil
import subprocess
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

SHIM = r"""
#include <nvtx3/nvToolsExt.h>
static nvtxDomainHandle_t dom;
int trtui_domain_push(const char* name) {
    if (!dom) dom = nvtxDomainCreateA("TensorRT");
    nvtxEventAttributes_t a = {0};
    a.version = NVTX_VERSION; a.size = NVTX_EVENT_ATTRIB_STRUCT_SIZE;
    a.messageType = NVTX_MESSAGE_TYPE_ASCII; a.message.ascii = name;
    return nvtxDomainRangePushEx(dom, &a);
}
int trtui_domain_pop(void) { return nvtxDomainRangePop(dom); }
int trtui_push(const char* name) { return nvtxRangePushA(name); }
int trtui_pop(void) { return nvtxRangePop(); }
"""


class Nvtx:
    """`push`/`pop`: ranges in the "TensorRT" domain (the layers); `outer_push`/`outer_pop`: the
    default domain (an enclosing range, as around TensorRT's enqueue)."""

    def __init__(
        self,
        push: Callable[[str], Any],
        pop: Callable[[], Any],
        outer_push: Callable[[str], Any],
        outer_pop: Callable[[], Any],
        how: str,
    ) -> None:
        self.push, self.pop, self.outer_push, self.outer_pop, self.how = push, pop, outer_push, outer_pop, how


def nvtx_shim(tmp: Path) -> Nvtx | None:
    cc = shutil.which("cc") or shutil.which("gcc")
    inc = [
        p
        for p in ("/usr/local/cuda/include", os.environ.get("CUDA_HOME", "") + "/include")
        if p and Path(p, "nvtx3", "nvToolsExt.h").exists()
    ]
    if cc is None or not inc:
        return None
    src = tmp / "nvtx_shim.c"
    src.write_text(SHIM)
    lib = tmp / "libtrtui_nvtx_shim.so"
    done = subprocess.run(
        [cc, "-shared", "-fPIC", "-O1", f"-I{inc[0]}", str(src), "-o", str(lib), "-ldl"],
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        print("nvtx shim build failed:", done.stderr[-500:])
        return None
    so = ctypes.CDLL(str(lib))
    for fn in ("trtui_domain_push", "trtui_push"):
        getattr(so, fn).argtypes = [ctypes.c_char_p]
    return Nvtx(
        lambda n: so.trtui_domain_push(n.encode()),
        so.trtui_domain_pop,
        lambda n: so.trtui_push(n.encode()),
        so.trtui_pop,
        "C shim (NVTX v3 headers, domain ranges)",
    )


def nvtx_package() -> Nvtx | None:
    try:
        import nvtx  # type: ignore[import-not-found]
    except ImportError:
        return None
    return Nvtx(
        lambda n: nvtx.push_range(message=n, domain="TensorRT"),
        lambda: nvtx.pop_range(domain="TensorRT"),
        lambda n: nvtx.push_range(n),
        nvtx.pop_range,
        "nvtx package",
    )


def any_nvtx(tmp: Path | None = None) -> Nvtx | None:
    """The shim (built in `tmp`, or a new temporary folder), else the package, else None."""
    return nvtx_shim(tmp or Path(tempfile.mkdtemp(prefix="trtui-nvtx-"))) or nvtx_package()
