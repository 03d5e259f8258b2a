"""Fake cuda-python for the tuner's build child (see bindings/runtime.py)."""
