#!/usr/bin/env python3
"""Writes fibonacci's committed inputs and expected outputs (iterative fib; not run by the build)."""
import json
import pathlib

HERE = pathlib.Path(__file__).resolve().parent
SIZES = {"small": 20, "medium": 27, "large": 32}  # medium must stay 27: the runtime tests use it


def fib(n):
    a, b = 0, 1
    for _ in range(n):
        a, b = b, a + b
    return a


for name, n in SIZES.items():
    (HERE / "inputs" / f"{name}.json").write_text(json.dumps({"n": n}) + "\n")
    # Compact with sorted keys, the form nlohmann-json writes.
    out = json.dumps({"n": n, "fib": fib(n)}, separators=(",", ":"), sort_keys=True)
    (HERE / "expected" / f"{name}.json").write_text(out + "\n")
