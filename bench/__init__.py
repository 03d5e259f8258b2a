"""trtui's benchmarks: `python -m bench` runs every group, `python -m bench GROUP` one group.

A group is a module `bench/<group>.py` exposing `run() -> list[dict]`; each dict is one figure:
`{"name", "value", "unit", "command", "note"}` plus `"ratio"` and `"baseline"` where a baseline was
measured in the same run. Groups print nothing; the runner (`bench/__main__.py`) prints the table.
"""
