"""How a telemetry source answers for one metric.

A reader returns the value, returns `None` when it has no reading *this time* (a transient
failure: a file not yet there, a busy driver), or raises `NotSupported` when it will never have
one on this machine (NVML's NOT_SUPPORTED, a Jetson file on a datacenter host). The sampler
remembers `NotSupported` per (metric, source) and stops asking; it asks again after `None`.
"""

from __future__ import annotations


class NotSupported(Exception):
    """This source cannot report this metric on this machine; asking again is pointless."""
