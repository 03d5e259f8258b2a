"""Fake cuda-python bindings (runtime only)."""
