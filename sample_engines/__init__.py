"""What a user needs to make a TensorRT engine for trtui on their own GPU (see README.md here).

`make_onnx` writes ResNet-18/ResNet-50 ONNX models with seeded random weights; engines are built from
them with trtexec (or `trtui tune`) on the target GPU, because an engine is tied to one GPU and one
TensorRT version.
"""
