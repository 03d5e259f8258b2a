"""GPU telemetry: memory, utilization, clocks, power, temperature, throttle reasons.

- `sample`: the `TelemetrySample` value and the `TelemetrySource` protocol.
- `sampler`: `TelemetrySampler`, per-metric sources with fallback (NVML through an injected
  `nvml_reader.NvmlReader`, which `trtui.sources.factory.gpu_telemetry` makes from `trtui.gpu.nvml`,
  then Jetson sysfs and /proc in `jetson`, then `tegrastats`).
- `fsread`: tolerant reads of sysfs, procfs and system files, under roots tests can move.
- `history`: pure ring buffers -> `TelemetrySnapshot`, and latency-spike correlation.
- `report`: the table and JSON of `trtui telemetry`.
- `power_rails`: the Jetson INA3221 rails read by I2C driver path (which rail is the GPU and which
  the whole module is `trtui.core.rail_roles`).

Idle power before a run (`--idle-baseline S`) is measured by `trtui.pipeline.idle_baseline`.
"""
