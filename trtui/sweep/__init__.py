"""Batch and stream sweeps: where throughput stops paying for latency (`trtui sweep`).

Pure pieces (planning, per-point statistics, the knee, the best point under a budget, the table,
the plot, JSON/CSV) and the runner that drives any source that can be reconfigured.
"""
