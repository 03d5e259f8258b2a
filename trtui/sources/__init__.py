"""Where timing samples come from: the `ProfileSource` protocol (and `ReconfigurableSource`), the
simulated demo engine, a TensorRT engine run in a GPU process of its own (or, for debugging, in this
process), the frames between the two, and `factory`, which turns what the user typed into a source and
its telemetry (a trtexec recording replays through `trtui.recording.source`)."""
