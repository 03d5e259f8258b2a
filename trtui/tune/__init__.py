"""Workspace tuning (`trtui tune`): the smallest memory-pool limit whose engine builds, runs within a
tolerance of the best latency and fits the device's memory budget.

A pure search (`search`, `results`) drives a `Builder` one build at a time (`session`): the
simulated one (`simulated`, for `trtui tune demo` and the tests) or a child process per build
(`child`, `real`), so that a crash, an OOM kill or a hang cannot take the tuner down. This package
never imports tensorrt.
"""
