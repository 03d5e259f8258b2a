"""Everything that talks to the GPU. The only package that may import tensorrt, pycuda and pynvml
(a test enforces it); import its modules lazily, so that trtui runs where they are missing."""
