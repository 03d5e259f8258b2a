"""GPU telemetry: samples of memory, utilization, clocks, power and temperature (pure parts)."""
