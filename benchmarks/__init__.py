"""Benchmarks: microgrand against micrograd, PyTorch scalars and the hand-written closed form."""
