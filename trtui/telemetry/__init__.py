"""GPU telemetry: memory, utilization, clocks, power, temperature, throttle reasons.

- `sample`: the `TelemetrySample` value and the `TelemetrySource` protocol.
- `sampler`: `TelemetrySampler`, per-metric sources with fallback (NVML through an injected
  `nvml_reader.NvmlReader`, which `trtui.sources.factory.gpu_telemetry` makes from `trtui.gpu.nvml`,
  then Jetson sysfs and /proc in `jetson`, then `tegrastats`).
- `history`: pure ring buffers -> `TelemetrySnapshot`, and latency-spike correlation.
- `report`: the table and JSON of `trtui telemetry`.
- `power_rails`: Jetson rails by I2C driver path, and which rail is the GPU / the whole module.
- `idle_baseline`: idle power measured before a run (`--idle-baseline S`).
"""
