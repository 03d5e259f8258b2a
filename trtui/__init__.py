"""trtui: a terminal profiler for NVIDIA TensorRT engines."""

from trtui.common.version import __version__

__all__ = ["__version__"]
