"""trtexec interop: read, replay and write recordings in trtexec's formats.

- `files`: reading a JSON file and recognising its kind by content;
- `readers`: pure readers of the profile, times and metadata files (`trtui.engine_info.layer_info` reads the
  layer info);
- `loader.load_recording(path)`: a file and its siblings, or a folder, joined by layer name;
- `source.open_recording(path) -> RecordingSource`: a recording (or trtui summary) as a source;
- `summary.summary_dict(update)`: trtui's own JSON summary ("trtui.summary/1", `profile --json`);
- `summary_reader`: that summary read back; `inputs.load_input(path)`: a recording or a summary;
- `runs.load_run(path) -> RunData`: anything `trtui compare` / `trtui analyze` accept;
  `gate_inputs`: a side of `trtui check`; `hardware`: a recording's device and engine facts;
- `export.export_recording(...)`, `export.write_layers_csv(...)`: writers; `roundtrip`: what
  trtui's exports carry beyond trtexec's formats.
"""
