"""Everything that talks to the GPU: NVML telemetry (`nvml`), the engine runtime (`runtime`) and the
TensorRT builder (`build`). The only package that may import the GPU stack (tensorrt and its lean
modules, pycuda, pynvml, cuda-python, cupti-python, nvtx; a test enforces it); import its modules
lazily, so that trtui runs where they are missing."""
