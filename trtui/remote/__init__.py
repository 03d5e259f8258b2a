"""Remote runs: a headless run served over HTTP (`trtui serve`: /metrics, /snapshot, /stream) and
the live screen fed from one (`trtui attach`). The wire format is in `trtui.remote.wire`."""
