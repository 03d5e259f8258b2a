"""trtui: a terminal profiler for NVIDIA TensorRT engines."""

__version__ = "0.1.0"
