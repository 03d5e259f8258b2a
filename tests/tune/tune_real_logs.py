"""Real TensorRT builder log lines, as users posted them in public issues (the reference is above each
sample), kept as test data for the log classifier. Only the log lines are quoted; timestamps and
prefixes are as posted, so the classifier sees every logger format: Python `[TRT] [W]`, trtexec
`[W] [TRT]` / `Error[10]:`, DeepStream `WARNING: [TRT]:`, TRT 7 `[TensorRT] ERROR:`, and lower-case
`error:` from another wrapper.
"""

from __future__ import annotations

# NVIDIA/TensorRT-LLM#7650 (comment, 2025-12-07): TensorRT 10 with a workspace limit of 0.
TRTLLM_7650 = [
    "[12/07/2025-13:15:25] [TRT] [I] Some tactics do not have sufficient workspace memory to run. "
    "Increasing workspace size will enable more tactics, please check verbose output for requested sizes.",
    "[12/07/2025-13:15:25] [TRT] [W] Tactic Device request: 5MB Available: 0MB. Device memory is "
    "insufficient to use tactic.",
    "[12/07/2025-13:15:25] [TRT] [W] UNSUPPORTED_STATE: Skipping tactic 0 due to insufficient memory on "
    "requested size of 5658624 detected for tactic 0x1673e3594ce11cea.",
    "[12/07/2025-13:15:25] [TRT] [W] Tactic Device request: 5MB Available: 0MB. Device memory is "
    "insufficient to use tactic.",
    "[12/07/2025-13:15:25] [TRT] [W] UNSUPPORTED_STATE: Skipping tactic 1 due to insufficient memory on "
    "requested size of 5658624 detected for tactic 0x40a12e3938221818.",
]

# ultralytics/ultralytics#22271 (TensorRT export on Orin AGX, 2025-10-01).
ULTRALYTICS_22271 = [
    "[10/01/2025-08:26:34] [TRT] [W] UNSUPPORTED_STATE: Skipping tactic 33 due to insufficient memory on "
    "requested size of 629145600 detected for tactic 0xa5a46bfbd719d757.",
    "[10/01/2025-08:26:34] [TRT] [W] Tactic Device request: 600MB Available: 302MB. Device memory is "
    "insufficient to use tactic.",
    "[10/01/2025-08:26:34] [TRT] [W] UNSUPPORTED_STATE: Skipping tactic 34 due to insufficient memory on "
    "requested size of 629145600 detected for tactic 0x9d562342491490bf.",
    "[10/01/2025-08:26:34] [TRT] [W] Tactic Device request: 600MB Available: 302MB. Device memory is "
    "insufficient to use tactic.",
]

# ultralytics/ultralytics#23760 (yolo26 obb export on Jetson AGX 64G, 2026-02-28).
ULTRALYTICS_23760 = [
    "[02/28/2026-10:10:17] [TRT] [W] Tactic Device request: 131MB Available: 98MB. Device memory is "
    "insufficient to use tactic.",
    "[02/28/2026-10:10:17] [TRT] [W] UNSUPPORTED_STATE: Skipping tactic 41 due to insufficient memory on "
    "requested size of 137625600 detected for tactic 0x00000000000200fe.",
]

# ultralytics/yolov5#12248 (2023): an 8.x build that prints the skip size in MiB, next to the
# matching device request, and spells "insuficient".
YOLOV5_12248 = [
    "[10/18/2023-20:27:01] [TRT] [W] Tactic Device request: 448MB Available: 425MB. Device memory is "
    "insufficient to use tactic.",
    "[10/18/2023-20:27:01] [TRT] [W] Skipping tactic 3 due to insuficient memory on requested size of 448 "
    "detected for tactic 4.",
    "Try decreasing the workspace size with IBuilderConfig::setMaxWorkspaceSize().",
    "[10/18/2023-20:27:09] [TRT] [W] Tactic Device request: 461MB Available: 427MB. Device memory is "
    "insufficient to use tactic.",
    "[10/18/2023-20:27:09] [TRT] [W] Skipping tactic 3 due to insuficient memory on requested size of 461 "
    "detected for tactic 4.",
]

# NVIDIA/TensorRT#2035 (trtexec 8.2.5, 2022): a skip in bytes, then no implementation for a Myelin node.
TRT_2035 = [
    "[06/07/2022-19:05:53] [I] [TRT] Local timing cache in use. Profiling results in this builder pass "
    "will not be stored.",
    "[06/07/2022-19:05:53] [W] [TRT] Skipping tactic 0 due to insuficient memory on requested size of "
    "29147520 detected for tactic 0.",
    "[06/07/2022-19:05:53] [E] Error[10]: [optimizer.cpp::computeCosts::2011] Error Code 10: Internal Error "
    "(Could not find any implementation for node {ForeignNode[onnx::Gather_72...ScatterND_170]}.)",
    "[06/07/2022-19:05:53] [E] Error[2]: [builder.cpp::buildSerializedNetwork::609] Error Code 2: Internal "
    "Error (Assertion enginePtr != nullptr failed. )",
    "[06/07/2022-19:05:53] [E] Engine could not be created from network",
    "[06/07/2022-19:05:53] [E] Building engine failed",
]

# Wanglaoban3/sparsedrive-tensorrt-deploy-implement#3 (TensorRT 10, 2026): the two error lines of a
# failed build in the Python logger's format.
SPARSEDRIVE_3 = [
    "[03/16/2026-17:30:57] [TRT] [E] 10: Could not find any implementation for node {ForeignNode[(Unnamed "
    "Layer* 1247) [Shuffle].../layers.7/Transpose_2 + /layers.7/Reshape_4]}.",
    "[03/16/2026-17:30:57] [TRT] [E] 10: [optimizer.cpp::computeCosts::3869] Error Code 10: Internal Error "
    "(Could not find any implementation for node {ForeignNode[(Unnamed Layer* 1247) [Shuffle].../layers.7/"
    "Transpose_2 + /layers.7/Reshape_4]}.)",
]

# NVIDIA/TensorRT#4324 (2025): a 1.6 GB request skipped, then no implementation.
TRT_4324 = [
    "[01/15/2025-17:13:04] [TRT] [W] UNSUPPORTED_STATE: Skipping tactic 0 due to insufficient memory on "
    "requested size of 1700241408 detected for tactic 0x0000000000000000.",
    "[01/15/2025-17:13:04] [TRT] [E] IBuilder::buildSerializedNetwork: Error Code 10: Internal Error (Could "
    "not find any implementation for node {ForeignNode[/blocks/blocks.10/attn/Gather_2_output_0[Constant]"
    ".../blocks/blocks.11/Reshape_3]}.)",
]

# NVIDIA/TensorRT#3046 (8.6.1, 2023): the "due to insufficient workspace" wording.
TRT_3046 = [
    "[06/07/2023-10:37:56] [TRT] [W] Engine generation failed with backend strategy 2.",
    "Error message: [optimizer.cpp::nvinfer1::builder::cgraph::LeafCNode::computeCosts::3867] Error Code 4: "
    "Internal Error (Could not find any implementation for node /patch_embed/patch_embed.0/Conv due to "
    "insufficient workspace. See verbose log for requested sizes.).",
]

# NVIDIA/TensorRT#1893 (8.4, 2022): another wrapper's lower-case prefixes.
TRT_1893 = [
    "info: Some tactics do not have sufficient workspace memory to run. Increasing workspace size may "
    "increase performance, please check verbose output.",
    "error: 10: [optimizer.cpp::computeCosts::1855] Error Code 10: Internal Error (Could not find any "
    "implementation for node ConvTranspose_1.)",
    "Build engine failed.",
]

# marcoslucianops/DeepStream-Yolo#366 (2023): a 4 GiB workspace on a smaller GPU.
DEEPSTREAM_366 = [
    "ERROR: [TRT]: 2: [virtualMemoryBuffer.cpp::resizePhysical::160] Error Code 2: OutOfMemory (no further "
    "information)",
    "ERROR: [TRT]: 2: [virtualMemoryBuffer.cpp::resizePhysical::145] Error Code 2: OutOfMemory (no further "
    "information)",
    "WARNING: [TRT]: Requested amount of GPU memory (4294967296 bytes) could not be allocated. There may not "
    "be enough free memory for allocation to succeed.",
    "WARNING: [TRT]: Skipping tactic 3 due to insufficient memory on requested size of 4294967296 detected "
    "for tactic 0x0000000000000004.",
    "Try decreasing the workspace size with IBuilderConfig::setMemoryPoolLimit().",
]

# VoltaML/voltaML-fast-stable-diffusion#15 (2022): a 16 GiB request on a 15 GB T4.
VOLTAML_15 = [
    "[12/09/2022-20:25:24] [TRT] [E] 2: [virtualMemoryBuffer.cpp::resizePhysical::145] Error Code 2: "
    "OutOfMemory (no further information)",
    "[12/09/2022-20:25:24] [TRT] [W] Requested amount of GPU memory (17179869184 bytes) could not be "
    "allocated. There may not be enough free memory for allocation to succeed.",
    "[12/09/2022-20:25:25] [TRT] [W] Skipping tactic 8 due to insufficient memory on requested size of "
    "17179869184 detected for tactic 0x000000000000003c.",
]

# NVIDIA/TensorRT#477 (TensorRT 7.0, 2020): an allocation failure that ends in "no implementation";
# the node name was wrapped onto the next line in the post.
TRT_477 = [
    "[03/07/2020-16:57:34] [E] [TRT] C:\\source\\rtSafe\\safeRuntime.cpp (25) - Cuda Error in "
    "nvinfer1::internal::DefaultAllocator::allocate: 2 (out of memory)",
    "[03/07/2020-16:57:34] [W] [TRT] GPU memory allocation error during getBestTactic: conv0_fwd",
    "[03/07/2020-16:57:34] [E] [TRT] Internal error: could not find any implementation for node conv0_fwd, "
    "try increasing the workspace size with IBuilder::setMaxWorkspaceSize()",
]

# NVIDIA-AI-IOT/torch2trt#706 (TensorRT 7): the old "[TensorRT] ERROR:" prefix.
TORCH2TRT_706 = [
    "[TensorRT] ERROR: Tactic Device request: 2304MB Available: 1536MB. Device memory is insufficient to "
    "use tactic.",
]

# jkjung-avt/tensorrt_demos#293 (Jetson Nano 2GB, 2020): what the user saw when the OOM killer ended
# the build.
TENSORRT_DEMOS_293 = [
    "Building an engine.  This would take a while...",
    '(Use "--verbose" or "-v" to enable verbose logging.)',
    "Killed",
]

# NVIDIA/TensorRT-LLM#493 (2023): no separator after the error code name.
TRTLLM_493 = [
    "[11/28/2023-15:47:38] [TRT] [W] UNSUPPORTED_STATESkipping tactic 4 due to insufficient memory on "
    "requested size of 66048 detected for tactic 0x000000000000001f.",
]

# NVIDIA/TensorRT#749 (TensorRT 7, 2020).
TRT_749 = [
    "[08/18/2020-19:07:36] [W] [TRT] GPU memory allocation error during getBestTactic: 9_full_with_bias",
    "[08/18/2020-19:07:36] [E] [TRT] Internal error: could not find any implementation for node "
    "9_full_with_bias, try increasing the workspace size with IBuilder::setMaxWorkspaceSize()",
]
