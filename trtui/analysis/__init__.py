"""Pure derived views over a run's layer table and layer details, and comparisons of two runs.

- `run.RunData`: one run (recording, summary or live update) as the analyses see it, with its
  energy per inference (`run_energy`);
- `views`: time by layer type / precision / tactic family, reformat share, hotspots (`analyze`);
- `engine_card`, `work`, `peaks`, `roofline`, `engine_view`: what an engine is, each layer's work
  and bytes, the GPU's peaks, and each layer against the roofline;
- `compare.compare(a, b)`: per-layer and per-type deltas, layers paired by `matching` (name, ONNX
  node, engine order), residual-path rows (`residuals`);
- `gate`, `gate_report`: the regression verdict of `trtui check` and its text, JSON, JUnit and
  Markdown reports;
- `report`: the plain-text renderings printed by `trtui analyze` and `trtui compare`.
"""
