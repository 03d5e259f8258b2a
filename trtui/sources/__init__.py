"""Sources of timing samples: the simulator, TensorRT engines, trtexec recordings."""
