"""Pure derived views over a run's layer table and layer details, and comparisons of two runs.

- `run.RunData`: one run (recording, summary or live update) as the analyses see it;
- `views`: time by layer type / precision / tactic family, reformat share, hotspots (`analyze`);
- `compare.compare(a, b)`: per-layer and per-type deltas joined by name;
- `report`: the plain-text renderings printed by `trtui analyze` and `trtui compare`.
"""
