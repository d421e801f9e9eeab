#!/usr/bin/python3
"""Writes results/: a small synthetic results folder for the report and model tests.

Not measured: generated from a known model with seeded log-normal noise, so tests know what
the statistics, the model and the plots should show. It has every kind of data the report
draws: 3 functions x 4 runtimes x cold/warm x direct/BaaS (8 repetitions), closed-loop load
levels 1, 2, 4, 8 for fibonacci/medium (throughput follows the Universal Scalability Law with
the SIGMA/KAPPA below), one failed and one contaminated invocation, images.json in the form of
`lumos images --json`, and manifest.json with an `edge` profile.

Re-run after changing it: /usr/bin/python3 tests/data/report/make_fixture.py (numpy).
"""

import json
import pathlib

import numpy as np

OUT = pathlib.Path(__file__).with_name("results")
rng = np.random.default_rng(7)
RUNTIMES = ["native", "runc", "wasmedge-interp", "wasmedge-aot"]
EXEC = {"native": "native", "runc": "native", "wasmedge-interp": "interpreter", "wasmedge-aot": "aot"}
START_NS = {"native": 3e6, "runc": 120e6, "wasmedge-interp": 140e6, "wasmedge-aot": 105e6}
FACTOR = {"native": 1.0, "runc": 1.05, "wasmedge-interp": 150.0, "wasmedge-aot": 1.2}
SERDE_NS_PER_BYTE = {"native": 20.0, "runc": 21.0, "wasmedge-interp": 900.0, "wasmedge-aot": 25.0}
OVERHEAD_NS = {"native": 30e3, "runc": 200e3, "wasmedge-interp": 300e3, "wasmedge-aot": 40e3}
# Contention and coherency of a 2-CPU host: capacity C(8) stays near 2.
SIGMA = {"native": 0.30, "runc": 0.35, "wasmedge-interp": 0.25, "wasmedge-aot": 0.30}
KAPPA = {"native": 0.020, "runc": 0.025, "wasmedge-interp": 0.015, "wasmedge-aot": 0.020}
# function -> input -> (compute work ns on native, request bytes, response bytes)
FUNCTIONS = {
    "hello": {"small": (500.0, 28, 27)},
    "fibonacci": {"small": (8e3, 10, 19), "medium": (330e3, 10, 21)},
    "image-resize": {"kb1": (2e3, 1341, 373)},
}
BAAS = {"fibonacci", "image-resize"}
REPS = 8


def noisy(x, sigma=0.08):
    return float(x * rng.lognormal(0.0, sigma))


def start_phases(rt):
    total = noisy(START_NS[rt])
    if rt in ("native", "runc"):
        return {"sandbox_start": int(total * 0.95), "start_other": int(total * 0.05)}
    p = {"sandbox_start": 0.84, "runtime_init": 0.01, "load": 0.08, "validate": 0.01,
         "instantiate": 0.04, "start_other": 0.02}
    if rt == "wasmedge-aot":
        p["aot_check"] = 0.005
    return {k: int(total * v) for k, v in p.items()}


def record(fn, inp, rt, mode, io, rep, t_ms):
    work, b_in, b_out = FUNCTIONS[fn][inp]
    ph = start_phases(rt) if mode == "cold" else {}
    compute = noisy(work * FACTOR[rt])
    ser = noisy((b_in + b_out) * SERDE_NS_PER_BYTE[rt])
    ph["compute"] = int(compute)
    ph["deserialize"] = int(ser * 0.7)
    ph["serialize"] = int(ser * 0.3)
    baas = 0.0
    if io == "baas":
        ph["baas_get"] = int(noisy(60e3 + 10 * b_in))
        ph["baas_put"] = int(noisy(40e3 + 10 * b_out))
        baas = ph["baas_get"] + ph["baas_put"]
    overhead = noisy(OVERHEAD_NS[rt] * (2 if mode == "cold" else 1))
    invoke = compute + ser + baas + overhead
    ph["invoke"] = int(invoke)
    e2e = invoke + sum(v for k, v in ph.items() if k not in
                       ("compute", "deserialize", "serialize", "baas_get", "baas_put", "invoke"))
    stamp = f"2026-11-27T10:{int(t_ms // 60000) % 60:02d}:{(t_ms / 1000) % 60:06.3f}Z"
    return {"baas_bytes_in": b_in if io == "baas" else 0, "baas_bytes_out": b_out if io == "baas" else 0,
            "bytes_in": b_in, "bytes_out": b_out, "cpu_ns": int(e2e * 0.8), "e2e_ns": int(e2e), "error": "",
            "exec_mode": EXEC[rt], "function": fn, "input": inp, "io": io, "mode": mode, "ok": True,
            "peak_rss_bytes": 1_100_000 if rt in ("native", "runc") else 58_000_000,
            "phases_ns": ph, "rep": rep, "runtime": rt, "started_at": stamp}


lines = []
t = 0.0
for fn, inputs in FUNCTIONS.items():
    for inp in inputs:
        for io in (["direct", "baas"] if fn in BAAS else ["direct"]):
            for rt in RUNTIMES:
                for mode in ("cold", "warm"):
                    for rep in range(REPS):
                        r = record(fn, inp, rt, mode, io, rep, t)
                        t += r["e2e_ns"] / 1e6 + 1.0
                        lines.append(r)

# One failed invocation and one cold request that met a warm instance (no start phases).
bad = dict(lines[0], ok=False, error="timeout: the function did not answer within 10000 ms", rep=REPS)
lines.append(bad)
cont = record("hello", "small", "native", "warm", "direct", REPS, t)
cont["mode"] = "cold"
lines.append(cont)

# Closed-loop levels: N clients, 24 requests each (whole rounds at every level); throughput X(N) = X1 N / (1 + s(N-1) + k N(N-1)).
for rt in RUNTIMES:
    service = 330e3 * FACTOR[rt] + 31 * SERDE_NS_PER_BYTE[rt] + OVERHEAD_NS[rt]
    for n in (1, 2, 4, 8):
        x = (1e9 / service) * n / (1 + SIGMA[rt] * (n - 1) + KAPPA[rt] * n * (n - 1))
        latency = n / x * 1e9
        for k in range(24):
            r = record("fibonacci", "medium", rt, "warm", "direct", k, t)
            r["e2e_ns"] = int(noisy(latency, 0.03))
            r["load"], r["level"] = "closed", float(n)
            r["offset_ns"] = int((k // n) * latency)
            lines.append(r)

OUT.mkdir(exist_ok=True)
(OUT / "invocations.jsonl").write_text("".join(json.dumps(r, sort_keys=True) + "\n" for r in lines))
manifest = {"lumos_version": "0.1.0", "experiment_file": "tests/data/report/make_fixture.py", "status": "finished",
            "environment": {"cpu_model": "synthetic", "cpus_online": 2, "kernel": "none"},
            "profiles": {"edge": {"cpu_share": 0.5, "memory_mb": 1024, "rtt_ms": 20, "bandwidth_mbps": 50}}}
(OUT / "manifest.json").write_text(json.dumps(manifest, indent=1) + "\n")
images = []
for fn in FUNCTIONS:
    for flavour, size in (("container-scratch", 1_150_000), ("container-debian", 31_000_000),
                          ("wasm", 240_000), ("wasm-aot", 420_000 if fn != "hello" else 1_000_000)):
        images.append({"function": fn, "image": flavour, "pulled_bytes": size, "unpacked_bytes": size * 3})
(OUT / "images.json").write_text(json.dumps({"images": images}, indent=1) + "\n")
print(f"wrote {OUT}: {len(lines)} invocations, {len(images)} images")
