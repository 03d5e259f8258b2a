"""Floor 2, TensorRT's own description of an engine, read and written without TensorRT: the engine
inspector's layer information (`layer_info`, `layer_info_writer`), layer tensors, the engine's I/O list,
and input shapes (`shapes`: trtexec's `--shapes` text; `batch_shapes`: one batch size applied to them)."""
